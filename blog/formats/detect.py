"""Recognise an uploaded file's format from its content and read every conversation in it.

This is the single entry point for imports. The format table and the sniffers are in
`sniff`, the streaming of JSON in `json_stream`, and the walk through a zip's members in
`zip_walk`; this module turns the upload into a stream, sends it to the reader its format
calls for, and says where anything went wrong.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import BinaryIO

import ijson

from blog.formats.archive import AssetLookup, SafeZip
from blog.formats.base import (
    ACCOUNT_DATA,
    ImportedConversation,
    ImportFormatError,
    NotAConversationFile,
)
from blog.formats.blocks import with_missing_files_listed
from blog.formats.chatgpt.conversations import extract_chat_html, parse_chatgpt
from blog.formats.copilot import parse_copilot
from blog.formats.google.gemini_activity import parse_gemini_activity
from blog.formats.google.gemini_html import parse_gemini_html
from blog.formats.grok import parse_grok
from blog.formats.json_stream import first_error_line, json_items, json_problem
from blog.formats.limits import GuardedReader, ImportLimits, RepairNotes
from blog.formats.perplexity.markdown_export import parse_perplexity_markdown
from blog.formats.sniff import (
    FORMATS,
    HEAD_BYTES,
    ITEM_FORMATS,
    JSON_FORMATS,
    JSON_PARSERS,
    LONG_HEAD_BYTES,
    Sniffed,
    is_account_file,
    sniff,
)
from blog.formats.text.markdown import parse_markdown
from blog.formats.text.pasted import parse_pasted
from blog.formats.zip_walk import ZipWalk

__all__ = ["FORMATS", "ImportLimits", "detect_format", "read_conversations"]


def detect_format(head: bytes, filename: str = "") -> str:
    """The format of a file from its first bytes: one of FORMATS, else ImportFormatError."""
    sniffed = sniff(head, filename or "the file", complete=False, final=True)
    if sniffed.format == "account":
        raise NotAConversationFile(ACCOUNT_DATA, filename or "the file")
    if sniffed.format not in FORMATS:
        raise ImportFormatError("the file holds no conversations", filename or "the file")
    return sniffed.format


def read_conversations(
    source: bytes | BinaryIO | str | os.PathLike[str],
    filename: str = "",
    *,
    limits: ImportLimits | None = None,
    notes: list[str] | None = None,
) -> Iterator[ImportedConversation]:
    """Every conversation in an uploaded file (zip, JSON, JSONL, HTML or text), in file order.

    Errors of any kind surface as ImportFormatError, possibly after some
    conversations were already yielded; callers save all of a file or none of it.
    Archive members that hold no conversation are listed in `notes` with the reason.
    A file of account data from an export raises NotAConversationFile.
    """
    limits = limits or ImportLimits()
    if not filename and isinstance(source, str | os.PathLike):
        filename = Path(source).name
    where = filename or "the upload"
    reader = Reader(limits, notes if notes is not None else [])
    with _as_seekable(source, where, limits) as stream:
        for conversation in reader.guard(reader.read_stream(stream, filename, where), where):
            # Every reader's files the export does not hold are named, never dropped.
            conversation.turns = with_missing_files_listed(conversation.turns)
            yield conversation


def _as_seekable(
    source: bytes | BinaryIO | str | os.PathLike[str], where: str, limits: ImportLimits
) -> BinaryIO:
    """A seekable binary stream over the source, refusing anything over the byte limit."""
    too_big = f"the file is larger than the limit of {limits.max_bytes:,} bytes"
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > limits.max_bytes:
            raise ImportFormatError(too_big, where)
        return io.BytesIO(bytes(source))
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if path.stat().st_size > limits.max_bytes:
                raise ImportFormatError(too_big, where)
            return path.open("rb")
        except OSError as exc:
            raise ImportFormatError(f"cannot open the file ({exc.strerror})", where) from exc
    if getattr(source, "seekable", lambda: False)():
        start = source.tell()
        size = source.seek(0, io.SEEK_END) - start
        source.seek(start)
        if size > limits.max_bytes:
            raise ImportFormatError(too_big, where)
        return _Unclosed(source)
    # Returned to the caller's `with` block, which closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    copied = 0
    while chunk := source.read(1024 * 1024):
        copied += len(chunk)
        if copied > limits.max_bytes:
            spool.close()
            raise ImportFormatError(too_big, where)
        spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


class _Unclosed(io.BufferedIOBase):
    """A caller's stream used in a `with` block without closing it at the end."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw

    def read(self, size: int | None = -1) -> bytes:
        return self._raw.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass


class Reader:
    """One import run: limits, options, and the dispatch from format to parser."""

    def __init__(self, limits: ImportLimits, notes: list[str]) -> None:
        self.limits = limits
        self.notes = notes

    def guard(
        self, conversations: Iterator[ImportedConversation], where: str
    ) -> Iterator[ImportedConversation]:
        """Re-raise whatever goes wrong as ImportFormatError that says where."""
        try:
            yield from conversations
        except NotAConversationFile:
            raise
        except ImportFormatError as error:
            raise _relocated(error, where) from error
        except ijson.IncompleteJSONError as exc:
            raise ImportFormatError(json_problem(exc), where) from exc
        except ijson.JSONError as exc:
            raise ImportFormatError(
                f"the JSON is malformed ({first_error_line(exc)})", where
            ) from exc
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"the text is not UTF-8 (invalid byte at position {exc.start:,})", where
            ) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ImportFormatError(f"the archive is damaged ({exc})", where) from exc
        except RecursionError as exc:
            raise ImportFormatError("the data is nested too deeply to read", where) from exc
        except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
            raise ImportFormatError(
                f"the data is not shaped like the format it claims to be ({type(exc).__name__}: {exc})",
                where,
            ) from exc

    def read_stream(
        self, stream: BinaryIO, filename: str, where: str, *, nesting: int = 0
    ) -> Iterator[ImportedConversation]:
        """A whole upload, sniffed from its head and handed to the zip, JSON or text reader."""
        if is_account_file(filename):
            raise NotAConversationFile(ACCOUNT_DATA, where)
        start = stream.tell()
        head = stream.read(HEAD_BYTES)
        sniffed = sniff(head, where, complete=len(head) < HEAD_BYTES, filename=filename)
        if sniffed.format == "json-unknown":
            head += stream.read(LONG_HEAD_BYTES - len(head))
            sniffed = sniff(
                head, where, complete=len(head) < LONG_HEAD_BYTES, filename=filename, final=True
            )
        stream.seek(start)
        if sniffed.format == "empty":
            return
        if sniffed.format == "account":
            raise NotAConversationFile(ACCOUNT_DATA, where)
        if sniffed.format == "zip":
            archive = SafeZip(stream, where, self.limits, nesting=nesting)
            yield from ZipWalk(self, archive).conversations()
        elif sniffed.format in JSON_FORMATS:
            yield from self.read_json(stream, sniffed, where, max_bytes=self.limits.max_bytes)
        else:
            text = self.decode(stream.read(self.limits.max_bytes + 1), where)
            yield from self.read_text(text, sniffed.format, filename, where)

    def read_json(
        self,
        stream: BinaryIO,
        sniffed: Sniffed,
        where: str,
        assets: AssetLookup | None = None,
        *,
        max_bytes: int,
        parse: Callable[[Iterable[object]], Iterator[ImportedConversation]] | None = None,
    ) -> Iterator[ImportedConversation]:
        """JSON streamed through its format's parser (or `parse`), held to the byte and
        depth limits.

        A log's last line cut short is said on its conversation, or in the notes when
        no conversation came out of the file.
        """
        guard = GuardedReader(stream, where, max_bytes, self.limits.max_json_depth)
        buffered = io.BufferedReader(guard, 64 * 1024)
        try:
            cut_short: list[str] = []
            skipped: list[str] = []
            items = json_items(buffered, sniffed.shape, sniffed.format, where, cut_short)
            told = False
            repaired = RepairNotes(guard)
            for conversation in (parse or self.parser(sniffed.format, assets, skipped))(items):
                # A session log is read to its end before its one conversation comes out.
                told = told or bool(cut_short)
                conversation.warnings.extend(cut_short)
                repaired.tell(conversation)
                yield conversation
            if cut_short and not told:
                self.notes.extend(f"{where}: {warning}" for warning in cut_short)
            self.notes.extend(f"{where}: {note}" for note in repaired.untold())
            self.notes.extend(f"{where}, {note}" for note in skipped)
        except ijson.JSONError as exc:
            raise ImportFormatError(
                f"{json_problem(exc)} (found before byte {guard.offset:,})", where
            ) from exc

    def read_text(
        self, text: str, fmt: str, filename: str, where: str
    ) -> Iterator[ImportedConversation]:
        """Text: a ChatGPT export saved as a page, Copilot's CSV, text copied from a chat page,
        or Markdown."""
        if fmt == "chatgpt-html":
            data, _ = extract_chat_html(text, where)
            yield from self.parser("chatgpt", None)(data)
        elif fmt == "gemini-html":
            yield from parse_gemini_html(text)
        elif fmt == "perplexity-md":
            yield parse_perplexity_markdown(text)
        elif fmt == "copilot":
            yield from parse_copilot(text)
        elif fmt == "pasted":
            yield parse_pasted(text)
        else:
            yield _markdown_or_pasted(text, filename)

    def decode(self, data: bytes, where: str) -> str:
        """The whole text of a file or archive member, refused past the byte limit."""
        if len(data) > self.limits.max_bytes:
            raise ImportFormatError(
                f"the file is larger than the limit of {self.limits.max_bytes:,} bytes", where
            )
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"the text is not UTF-8 (invalid byte at position {exc.start:,})", where
            ) from exc

    def parser(
        self, fmt: str, assets: AssetLookup | None, skipped: list[str] | None = None
    ) -> Callable[[Iterable[object]], Iterator[ImportedConversation]]:
        """The parse function for a JSON format (ChatGPT's and Grok's also find the export's files).

        Formats of independent records name each record that is no conversation in `skipped`.
        """
        if fmt == "chatgpt":
            return lambda items: parse_chatgpt(items, assets)  # type: ignore[arg-type]
        if fmt == "grok":
            return lambda items: parse_grok(items, assets)
        if fmt == "gemini":
            return lambda items: parse_gemini_activity(items, assets)
        if fmt in ITEM_FORMATS:
            return partial(JSON_PARSERS[fmt], skipped=skipped)
        return JSON_PARSERS[fmt]


def _markdown_or_pasted(text: str, filename: str) -> ImportedConversation:
    """Markdown; failing that, text copied from a chat page (`Human:` … `Claude:` with the
    page's buttons), whose marks the sniffer may have taken for Markdown's."""
    try:
        return parse_markdown(text, filename)
    except ImportFormatError as not_markdown:
        try:
            return parse_pasted(text)
        except ImportFormatError:
            raise not_markdown from None


def _relocated(error: ImportFormatError, outer: str) -> ImportFormatError:
    """The same error with `outer` (a file or zip entry name) in front of where it happened."""
    if error.where == outer or error.where.startswith(f"{outer}, "):
        return error
    message = str(error)
    if error.where and message.startswith(f"{error.where}: "):
        message = message[len(error.where) + 2 :]
    return ImportFormatError(message, f"{outer}, {error.where}" if error.where else outer)
