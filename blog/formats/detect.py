"""Recognise an uploaded file's format from its content and read every conversation in it."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import tempfile
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import ijson
import re2

from blog.formats.archive import AssetLookup, SafeZip, sniff_image_type
from blog.formats.base import (
    ACCOUNT_DATA,
    ImportedConversation,
    ImportFormatError,
    NotAConversationFile,
)
from blog.formats.chatgpt import extract_chat_html, parse_chatgpt
from blog.formats.claude import parse_claude
from blog.formats.claude_code import parse_claude_code
from blog.formats.codex import parse_codex
from blog.formats.colloquy_json import parse_colloquy_json
from blog.formats.librechat import parse_librechat
from blog.formats.limits import GuardedReader, ImportLimits
from blog.formats.markdown import parse_markdown
from blog.formats.open_webui import parse_open_webui
from blog.formats.openai_messages import parse_openai_messages
from blog.formats.pasted import looks_pasted, parse_pasted
from blog.formats.sharegpt import parse_sharegpt

__all__ = ["FORMATS", "ImportLimits", "detect_format", "read_conversations"]

FORMATS = (
    "zip",
    "chatgpt",
    "claude",
    "claude-code",
    "codex",
    "open-webui",
    "librechat",
    "sharegpt",
    "openai",
    "colloquy",
    "chatgpt-html",
    "pasted",
    "markdown",
)
# Each JSON format's reader: items (conversation objects or log lines) -> conversations.
JSON_PARSERS: dict[str, Callable[[Iterable[object]], Iterator[ImportedConversation]]] = {
    "claude": parse_claude,
    "claude-code": parse_claude_code,
    "codex": parse_codex,
    "open-webui": parse_open_webui,
    "librechat": parse_librechat,
    "sharegpt": parse_sharegpt,
    "openai": parse_openai_messages,
    "colloquy": parse_colloquy_json,
}
JSON_FORMATS = ("chatgpt", *JSON_PARSERS)
# Session logs: every line of the file belongs to one conversation.
_LOG_TYPES = {
    "claude-code": {"user", "assistant", "summary", "system"},
    "codex": {"session_meta", "response_item", "event_msg", "turn_context", "compacted"},
}
HEAD_BYTES = 64 * 1024
LONG_HEAD_BYTES = 4 * 1024 * 1024
_SNIFF_EVENTS = 50_000

# Files of other kinds that people upload by mistake, by their first bytes.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file (unpack it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (upload a .zip instead)"),
    (b"Rar!", "a RAR archive (upload a .zip instead)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"OggS", "an Ogg audio file"),
    (b"ID3", "an MP3 audio file"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)
_IMAGE_NAMES = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
}
_TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text"}
_JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
_HTML_SUFFIXES = {".html", ".htm"}
# Files in ChatGPT and Claude exports that hold account data, not conversations.
_NOT_CONVERSATIONS = {
    "user.json",
    "users.json",
    "projects.json",
    "memories.json",
    "message_feedback.json",
    "model_comparisons.json",
    "shared_conversations.json",
    "export_manifest.json",
    "user_settings.json",
    "group_chats.json",
    "sora.json",
    "shopping.json",
}
# Keys that mark the account files of an export (users, memories, projects, settings).
_ACCOUNT_KEYS = {
    "email_address",
    "verified_phone_number",
    "conversations_memory",
    "project_memories",
    "prompt_template",
    "is_starter_project",
    "chatgpt_plus_user",
    "birth_year",
}
# RE2: on long runs of blank lines, backtracking retried the whole run from every line.
_PASTED_MARKER = re2.compile(r"(?m)^\s*(?:#{1,6}\s*)?(?:You said:|ChatGPT said:)\s*$")
# Headings, blockquotes or front matter: written as Markdown, not copied from a page.
_MARKDOWN_MARKS = re.compile(r"\A(?:---|\+\+\+)\s*$|^#{1,6}\s+\S|^>", re.MULTILINE)
_CHAT_HTML = re.compile(r"var\s+jsonData\s*=|<title>\s*ChatGPT Data Export\s*</title>", re.I)
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]", re.I)


@dataclass
class _Sniffed:
    """What the first bytes say: the format and, for JSON, where the conversations sit."""

    format: str
    # ijson prefix of each conversation ("item", "", "conversations.item"), or
    # "jsonl" (one per line) or "whole" (the entire value is one conversation).
    shape: str = ""
    notes: list[str] = field(default_factory=list)


def detect_format(head: bytes, filename: str = "") -> str:
    """The format of a file from its first bytes: one of FORMATS, else ImportFormatError."""
    sniffed = _sniff(head, filename or "the file", complete=False)
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
    reader = _Reader(limits, notes if notes is not None else [])
    with _as_seekable(source, where, limits) as stream:
        yield from reader.guard(reader.read_stream(stream, filename, where), where)


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


class _Reader:
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
            raise ImportFormatError(_json_problem(exc), where) from exc
        except ijson.JSONError as exc:
            raise ImportFormatError(f"the JSON is malformed ({_first_line(exc)})", where) from exc
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
        if _is_account_file(filename):
            raise NotAConversationFile(ACCOUNT_DATA, where)
        start = stream.tell()
        head = stream.read(HEAD_BYTES)
        sniffed = _sniff(head, where, complete=len(head) < HEAD_BYTES, filename=filename)
        if sniffed.format == "json-unknown":
            head += stream.read(LONG_HEAD_BYTES - len(head))
            sniffed = _sniff(
                head, where, complete=len(head) < LONG_HEAD_BYTES, filename=filename, final=True
            )
        stream.seek(start)
        if sniffed.format == "empty":
            return
        if sniffed.format == "account":
            raise NotAConversationFile(ACCOUNT_DATA, where)
        if sniffed.format == "zip":
            yield from self.read_zip(SafeZip(stream, where, self.limits, nesting=nesting))
        elif sniffed.format in JSON_FORMATS:
            yield from self.read_json(stream, sniffed, where, max_bytes=self.limits.max_bytes)
        else:
            text = _decode(stream.read(self.limits.max_bytes + 1), where, self.limits)
            yield from self.read_text(text, sniffed.format, filename, where)

    def read_json(
        self,
        stream: BinaryIO,
        sniffed: _Sniffed,
        where: str,
        assets: AssetLookup | None = None,
        *,
        max_bytes: int,
    ) -> Iterator[ImportedConversation]:
        guard = GuardedReader(stream, where, max_bytes, self.limits.max_json_depth)
        buffered = io.BufferedReader(guard, 64 * 1024)
        try:
            cut_short: list[str] = []
            if sniffed.shape == "jsonl":
                items: Iterable[object] = _jsonl_items(buffered, where, cut_short)
            elif sniffed.shape == "whole":
                items = _whole_value(buffered, sniffed.format)
            else:
                items = ijson.items(buffered, sniffed.shape, use_float=True)
            told = False
            for conversation in self.parser(sniffed.format, assets)(items):
                # A session log is read to its end before its one conversation comes out.
                told = told or bool(cut_short)
                conversation.warnings.extend(cut_short)
                yield conversation
            if cut_short and not told:
                self.notes.extend(f"{where}: {warning}" for warning in cut_short)
        except ijson.JSONError as exc:
            raise ImportFormatError(
                f"{_json_problem(exc)} (found before byte {guard.offset:,})", where
            ) from exc

    def read_text(
        self, text: str, fmt: str, filename: str, where: str
    ) -> Iterator[ImportedConversation]:
        if fmt == "chatgpt-html":
            data, _ = extract_chat_html(text, where)
            yield from self.parser("chatgpt", None)(data)
        elif fmt == "pasted":
            yield parse_pasted(text)
        else:
            yield parse_markdown(text, filename)

    def read_zip(self, archive: SafeZip) -> Iterator[ImportedConversation]:
        found = False
        conversation_files = archive.conversation_files()
        chat_html = archive.find_file("chat.html")
        if conversation_files:
            assets = archive.assets()
            for name in conversation_files:
                found = True
                yield from self.read_entry(archive, name, assets)
            self.note_account_files(archive)
        elif chat_html is not None:
            where = archive.describe(chat_html)
            text = _decode(archive.read(chat_html), where, self.limits)
            data, asset_names = extract_chat_html(text, where)
            found = True
            yield from self.guard(self.parser("chatgpt", archive.assets(asset_names))(data), where)
            self.note_account_files(archive)
        else:
            for name in archive.names():
                if _is_account_file(name):
                    self.notes.append(f"{archive.describe(name)}: skipped ({ACCOUNT_DATA})")
                elif _worth_reading(name):
                    yielded = 0
                    try:
                        for conversation in self.read_entry(archive, name, None):
                            yielded += 1
                            yield conversation
                    except NotAConversationFile as skipped:
                        self.notes.append(f"{archive.describe(name)}: skipped ({skipped.reason})")
                        continue
                    found = found or yielded > 0
                    if not yielded:
                        self.notes.append(
                            f"{archive.describe(name)}: skipped (no conversations in it)"
                        )
                else:
                    self.notes.append(
                        f"{archive.describe(name)}: skipped (not a conversation file)"
                    )
        if not found:
            raise ImportFormatError(
                "no conversations found in this zip: expected a ChatGPT or Claude export "
                "(conversations.json) or Markdown / JSON conversation files",
                archive.where,
            )

    def note_account_files(self, archive: SafeZip) -> None:
        """List the account files that ship beside an export's conversations as skipped."""
        for name in archive.names():
            if _is_account_file(name):
                self.notes.append(f"{archive.describe(name)}: skipped ({ACCOUNT_DATA})")

    def read_entry(
        self, archive: SafeZip, name: str, assets: AssetLookup | None
    ) -> Iterator[ImportedConversation]:
        where = archive.describe(name)
        with archive.open(name) as entry:
            head = entry.read(HEAD_BYTES)
        if head.startswith(b"PK\x03\x04"):
            yield from self.guard(self.read_zip(archive.nested(name)), where)
            return
        sniffed = _sniff(head, where, complete=len(head) < HEAD_BYTES, filename=name)
        if sniffed.format == "json-unknown":
            with archive.open(name) as entry:
                head = entry.read(LONG_HEAD_BYTES)
            sniffed = _sniff(
                head, where, complete=len(head) < LONG_HEAD_BYTES, filename=name, final=True
            )
        if sniffed.format == "empty":
            return
        if sniffed.format == "account":
            raise NotAConversationFile(ACCOUNT_DATA, where)
        if sniffed.format in JSON_FORMATS:
            with archive.open(name) as entry:
                conversations = self.read_json(
                    entry, sniffed, where, assets, max_bytes=self.limits.max_uncompressed_bytes
                )
                yield from self.guard(conversations, where)
        else:
            text = _decode(archive.read(name), where, self.limits)
            yield from self.guard(
                self.read_text(text, sniffed.format, PurePosixPath(name).name, where), where
            )

    def parser(
        self, fmt: str, assets: AssetLookup | None
    ) -> Callable[[Iterable[object]], Iterator[ImportedConversation]]:
        """The parse function for a JSON format (ChatGPT's also finds the export's images)."""
        if fmt == "chatgpt":
            return lambda items: parse_chatgpt(items, assets)  # type: ignore[arg-type]
        return JSON_PARSERS[fmt]


def _worth_reading(name: str) -> bool:
    """Whether a file in a zip of exports could hold conversations."""
    suffix = PurePosixPath(name).suffix.lower()
    return suffix in _TEXT_SUFFIXES | _JSON_SUFFIXES | {".zip"}


def _is_account_file(name: str) -> bool:
    return PurePosixPath(name).name.lower() in _NOT_CONVERSATIONS


def _jsonl_items(stream: BinaryIO, where: str, warnings: list[str]) -> Iterator[object]:
    """Each line's value; a last line cut short (a log still being written) is left out,
    with a warning."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            # Only the last line can lack its newline; a cut can fall inside a character.
            cut = isinstance(exc, UnicodeDecodeError) or exc.msg != "Extra data"
            if cut and not line.endswith(b"\n"):
                warnings.append(
                    f"line {number}, the last, is cut short (the log may still have been "
                    "being written) and was left out"
                )
                return
            if isinstance(exc, UnicodeDecodeError):
                raise ImportFormatError(f"line {number} is not UTF-8 text", where) from exc
            raise ImportFormatError(f"line {number} is not valid JSON ({exc.msg})", where) from exc


def _whole_value(stream: BinaryIO, fmt: str) -> Iterator[object]:
    """The whole JSON value as one conversation: a bare list of messages."""
    for value in ijson.items(stream, "", use_float=True):
        yield {"conversations": value} if fmt == "sharegpt" else value


def _sniff(
    head: bytes, where: str, *, complete: bool, filename: str = "", final: bool = True
) -> _Sniffed:
    """Classify the first bytes of a file (`complete` when they are the whole file)."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _Sniffed("zip")
    image = sniff_image_type(head)
    if image:
        # Exports ship their images beside the conversations.
        raise NotAConversationFile(
            f"this looks like {_IMAGE_NAMES[image]}, not a conversation export", where
        )
    for magic, description in _MAGIC:
        if head.startswith(magic):
            raise ImportFormatError(
                f"this looks like {description}, not a conversation export", where
            )
    if head[4:8] == b"ftyp":
        raise ImportFormatError(
            "this looks like a video or HEIC image, not a conversation export", where
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFormatError(
            "the file is saved as UTF-16; save it as UTF-8 and try again", where
        )
    text = _decode_head(head, where)
    stripped = text.lstrip("\ufeff \t\r\n")
    suffix = PurePosixPath(filename).suffix.lower()
    if not stripped:
        raise ImportFormatError("the file is empty", where)
    if stripped[0] in "[{":
        return _sniff_json(head, where, complete=complete, final=final)
    if suffix in _JSON_SUFFIXES:
        raise ImportFormatError("the file is named .json but does not contain JSON", where)
    if _CHAT_HTML.search(stripped[:HEAD_BYTES]):
        return _Sniffed("chatgpt-html")
    if _HTML_START.match(stripped) or suffix in _HTML_SUFFIXES:
        raise ImportFormatError(
            "this is an HTML page, not a conversation export (from a ChatGPT export, "
            "upload the whole zip or its conversations.json)",
            where,
        )
    if _PASTED_MARKER.search(text):
        return _Sniffed("pasted")
    if not _MARKDOWN_MARKS.search(text) and looks_pasted(text):
        return _Sniffed("pasted")
    return _Sniffed("markdown")


def _decode_head(head: bytes, where: str) -> str:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The head may end in the middle of a multi-byte character, and so may a log
        # still being written; whoever reads the whole text says if that matters.
        if exc.start < len(head) - 3 or exc.reason != "unexpected end of data":
            raise ImportFormatError(
                f"this is not UTF-8 text (invalid byte at position {exc.start:,}); "
                "it may be a binary file or use another encoding",
                where,
            ) from exc
        text = head[: exc.start].decode("utf-8")
    controls = sum(1 for char in text[:4096] if ord(char) < 32 and char not in "\t\n\r\f")
    if "\x00" in text or controls > len(text[:4096]) // 20:
        raise ImportFormatError("this is binary data, not a conversation export", where)
    return text


def _decode(data: bytes, where: str, limits: ImportLimits) -> str:
    if len(data) > limits.max_bytes:
        raise ImportFormatError(
            f"the file is larger than the limit of {limits.max_bytes:,} bytes", where
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"the text is not UTF-8 (invalid byte at position {exc.start:,})", where
        ) from exc


def _sniff_json(head: bytes, where: str, *, complete: bool, final: bool) -> _Sniffed:
    """Classify JSON from the keys seen in its first bytes (a truncated head is expected)."""
    keys: dict[str, set[str]] = defaultdict(set)
    strings: dict[str, str] = {}
    line_types: set[str] = set()
    first_event = ""
    top_level_values = event_count = 0
    problem: ijson.JSONError | None = None
    guard = GuardedReader(io.BytesIO(head), where, len(head) + 1, 64)
    events = ijson.parse(io.BufferedReader(guard), multiple_values=True)
    try:
        for count, (prefix, event, value) in enumerate(events):
            event_count = count + 1
            if count == 0:
                first_event = event
            if event == "map_key":
                keys[prefix].add(value)
            elif event == "string" and prefix in ("format", "item.format"):
                strings[prefix] = value
            elif event == "string" and prefix == "type":
                line_types.add(value)
            elif event in ("start_map", "start_array") and prefix == "":
                top_level_values += 1
            if count > _SNIFF_EVENTS:
                break
    except ijson.JSONError as exc:
        problem = exc
    if complete and problem is None and event_count == 2 and top_level_values == 1:
        return _Sniffed("empty")
    fmt, shape = _classify_log(keys, line_types) or _classify_json(first_event, keys, strings)
    # A recognised file with a mistake further on fails while reading, which says where.
    if problem is not None and fmt is None and (complete or not _is_premature_end(problem)):
        raise ImportFormatError(_json_problem(problem), where)
    if fmt is None and _ACCOUNT_KEYS & (keys.get("", set()) | keys.get("item", set())):
        return _Sniffed("account")
    if fmt is None:
        if not final and not complete:
            return _Sniffed("json-unknown")
        raise ImportFormatError(
            "this JSON is not a conversation format we know (expected a ChatGPT or Claude "
            "export, a Claude Code or Codex session log, an Open WebUI or LibreChat export, "
            "ShareGPT, or OpenAI-style messages)",
            where,
        )
    if shape == "" and top_level_values > 1:
        shape = "jsonl"
    return _Sniffed(fmt, shape)


def _classify_log(keys: dict[str, set[str]], line_types: set[str]) -> tuple[str, str] | None:
    """A Claude Code or Codex session log: JSON lines of one session."""
    own = keys.get("", set())
    if line_types & _LOG_TYPES["codex"] and "payload" in own:
        return "codex", "jsonl"
    if {"instructions", "id", "timestamp"} <= own and "sessionId" not in own:
        return "codex", "jsonl"
    claude_code_keys = {"sessionId", "leafUuid", "parentUuid", "session_id"}
    if line_types & _LOG_TYPES["claude-code"] and own & claude_code_keys:
        return "claude-code", "jsonl"
    return None


def _classify_json(
    first_event: str, keys: dict[str, set[str]], strings: dict[str, str]
) -> tuple[str | None, str]:
    if first_event == "start_array":
        fmt = _classify_object(keys, "item", strings.get("item.format"))
        if fmt:
            return fmt, "item"
        item_keys = keys.get("item", set())
        if "role" in item_keys:
            return "openai", "whole"
        if item_keys & {"from", "value"}:
            return "sharegpt", "whole"
        if "role" in keys.get("item.item", set()):
            return "openai", "item"
        return None, ""
    if first_event == "start_map":
        fmt = _classify_object(keys, "", strings.get("format"))
        if fmt:
            return fmt, ""
        if "conversations" in keys.get("", set()):
            fmt = _classify_object(keys, "conversations.item", None)
            if fmt:
                return fmt, "conversations.item"
    return None, ""


def _classify_object(
    keys: dict[str, set[str]], prefix: str, format_value: str | None
) -> str | None:
    """Which format an object with these keys belongs to, by the keys only that format uses."""
    own = keys.get(prefix, set())
    inner = f"{prefix}." if prefix else ""
    if "mapping" in own:
        return "chatgpt"
    if "chat_messages" in own:
        return "claude"
    if "chat" in own and keys.get(f"{inner}chat", set()) & {"history", "messages"}:
        return "open-webui"
    if "messagesTree" in own and "conversationId" in own:
        return "librechat"
    if "messages" in own and (
        "conversationId" in own
        or keys.get(f"{inner}messages.item", set()) & {"messageId", "isCreatedByUser"}
    ):
        return "librechat"
    if format_value == "colloquy":
        return "colloquy"
    if "conversations" in own and keys.get(f"{inner}conversations.item", set()) & {"from", "value"}:
        return "sharegpt"
    if "messages" in own and "role" in keys.get(f"{inner}messages.item", {"role"}):
        return "openai"
    return None


def _is_premature_end(error: ijson.JSONError) -> bool:
    return "premature EOF" in str(error)


def _json_problem(error: ijson.JSONError) -> str:
    if _is_premature_end(error):
        return "the JSON ends too early; the file looks truncated or incomplete"
    lines = _error_lines(error)
    problem = f"the JSON is malformed ({lines[0].strip().rstrip('.')})"
    # The parser quotes the text around the mistake on its second line.
    if len(lines) > 2 and lines[1].strip():
        problem += f' near "{lines[1].strip()[:80]}"'
    return problem


def _first_line(error: Exception) -> str:
    return _error_lines(error)[0].strip().rstrip(".")


def _error_lines(error: Exception) -> list[str]:
    text = str(error)
    if text.startswith(("b'", 'b"')):
        try:
            text = ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError, AttributeError):
            text = text[2:]
    return text.splitlines() or ["unknown error"]


def _relocated(error: ImportFormatError, outer: str) -> ImportFormatError:
    """The same error with `outer` (a file or zip entry name) in front of where it happened."""
    if error.where == outer or error.where.startswith(f"{outer}, "):
        return error
    message = str(error)
    if error.where and message.startswith(f"{error.where}: "):
        message = message[len(error.where) + 2 :]
    return ImportFormatError(message, f"{outer}, {error.where}" if error.where else outer)
