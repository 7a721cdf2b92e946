"""How much an untrusted upload may make an import read, and the stream that holds it to that.

The byte budget and the JSON nesting depth are enforced while bytes are read, before any
parser sees them, so a huge or deeply nested file is refused without being built in memory.
A lone surrogate escape in JSON (`\\ude00`, half of a UTF-16 pair, which some exporters
write when they cut a string inside an emoji) is read as U+FFFD, and counted so the reader
can say so: the parser would refuse the whole file as not UTF-8.
"""

from __future__ import annotations

import io
import re
from array import array
from dataclasses import dataclass
from itertools import accumulate
from typing import BinaryIO

from blog.formats.base import ImportedConversation, ImportFormatError

MiB = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ImportLimits:
    """How much an import may read before it is refused; the caller may tighten or relax them."""

    max_bytes: int = 512 * MiB
    max_uncompressed_bytes: int = 2048 * MiB
    max_entries: int = 10_000
    max_json_depth: int = 64
    max_ratio: int = 200
    max_asset_bytes: int = 20 * MiB


class GuardedReader(io.RawIOBase):
    """A binary stream that stops with ImportFormatError past a byte budget or a JSON nesting depth.

    The depth check tracks brackets outside JSON strings chunk by chunk, so a depth
    bomb is refused before any parser builds it; `max_depth=None` turns it off.
    """

    # An escaped backslash or quote, which neither ends a string nor starts an escape.
    _ESCAPED = re.compile(rb'\\[\\"]')
    _NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{}')
    _STRING = re.compile(rb'"[^"]*"')
    _SIGNED = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
    # An escaped backslash (skipped whole), a surrogate pair, or a lone surrogate.
    _SURROGATE = re.compile(
        rb"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
        rb"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
    )
    # The longest of those: bytes closer than this to a chunk's end wait for the next chunk.
    _HELD = 12

    def __init__(
        self, raw: BinaryIO, where: str, max_bytes: int, max_depth: int | None = None
    ) -> None:
        super().__init__()
        self._raw = raw
        self._where = where
        self._max_bytes = max_bytes
        self._max_depth = max_depth
        self.offset = 0
        self._depth = 0
        self._in_string = False
        self._escape_pending = False  # the previous chunk ended in an unpaired backslash
        self.lone_surrogates = 0  # lone surrogate escapes read as U+FFFD
        self._read = 0  # bytes read from the source
        self._held = b""  # the end of the last chunk, which may be half an escape
        self._ready = b""  # bytes checked and repaired, not yet handed out
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._ready and not self._ended:
            self._fill(len(buffer))
        count = min(len(buffer), len(self._ready))
        buffer[:count] = self._ready[:count]
        self._ready = self._ready[count:]
        return count

    def _fill(self, size: int) -> None:
        """Read one chunk from the source into the bytes ready to hand out, checked."""
        data = self._raw.read(size)
        if not data:
            self._ended = True
        if self._read + len(data) > self._max_bytes:
            raise ImportFormatError(
                f"too large: more than {self._max_bytes:,} bytes (the configured limit)",
                self._where,
            )
        if self._max_depth is not None:
            if self._read == 0 and data.startswith(UTF8_BOM):
                # JSON parsers reject the byte order mark some editors write.
                self.offset = self._read = len(UTF8_BOM)
                data = data[len(UTF8_BOM) :]
            self._read += len(data)
            data = self._repair_surrogates(data)
            self._check_depth(data, self._max_depth)
        else:
            self._read += len(data)
        self.offset += len(data)
        self._ready += data

    def _repair_surrogates(self, data: bytes) -> bytes:
        """The chunk with each lone surrogate escape made `\\ufffd` (as long: offsets hold); its
        last few bytes are held back until the next chunk shows how an escape there ends."""
        text = self._held + data
        keep = len(text) if self._ended else max(0, len(text) - self._HELD)
        if b"\\ud" not in text and b"\\uD" not in text:
            self._held = text[keep:]
            return text[:keep]
        pieces: list[bytes] = []
        done = 0
        for found in self._SURROGATE.finditer(text):
            if found.start() >= keep:
                # Too near the end to know whether a low half follows.
                keep = found.start()
                break
            if found.end() - found.start() == 6:  # not a pair, nor an escaped backslash
                pieces += [text[done : found.start()], b"\\ufffd"]
                done = found.end()
                self.lone_surrogates += 1
            keep = max(keep, found.end())
        pieces.append(text[done:keep])
        self._held = text[keep:]
        return b"".join(pieces)

    def _check_depth(self, data: bytes, limit: int) -> None:
        """Follow the nesting through one chunk with whole-chunk byte operations only."""
        if self._escape_pending:
            data = data[1:]  # the character the previous chunk's backslash escaped
        trailing = len(data) - len(data.rstrip(b"\\"))
        self._escape_pending = trailing % 2 == 1
        if b"\\" in data:
            data = self._ESCAPED.sub(b"", data)
        # Only quotes and brackets are left; every quote now opens or closes a string.
        marks = data.translate(None, self._NOT_MARKS)
        if self._in_string:
            marks = b'"' + marks
        # Two quotes in a row enclose nothing, inside a string or out: most strings go here.
        outside = self._STRING.sub(b"", marks.replace(b'""', b""))
        open_quote = outside.find(b'"')
        self._in_string = open_quote >= 0
        if self._in_string:
            outside = outside[:open_quote]
        if not outside:
            return
        brackets = outside.translate(self._SIGNED)
        opened = brackets.count(1)
        if self._depth + opened > limit:
            # Near enough to the limit that the order of the brackets matters.
            deepest = max(accumulate(array("b", brackets), initial=self._depth))
            if deepest > limit:
                raise ImportFormatError(
                    f"JSON nested deeper than {limit} levels "
                    f"(around byte {self.offset:,}); this is not a conversation export",
                    self._where,
                )
        self._depth += 2 * opened - len(brackets)


class RepairNotes:
    """Tell each conversation read through a GuardedReader about the lone surrogates in it.

    The reader counts them as bytes go by, a buffer ahead of the parser, so a conversation
    is told when the count has grown and its text shows U+FFFD.
    """

    def __init__(self, guard: GuardedReader) -> None:
        self.guard = guard
        self.told = 0

    def tell(self, conversation: ImportedConversation) -> None:
        new = self.guard.lone_surrogates - self.told
        if new and _holds_replacement(conversation):
            conversation.warnings.append(lone_surrogates_note(new))
            self.told += new

    def untold(self) -> list[str]:
        """The note for surrogates no conversation was told of (in fields no turn displays)."""
        new = self.guard.lone_surrogates - self.told
        return [lone_surrogates_note(new)] if new else []


def lone_surrogates_note(count: int) -> str:
    """What the reader says of `count` lone surrogate escapes it read as U+FFFD."""
    escapes = "escape" if count == 1 else "escapes"
    return (
        f"{count} lone surrogate {escapes} in the JSON (half of a UTF-16 pair, such as "
        "\\ude00, which encodes no character) read as U+FFFD (\ufffd)"
    )


def _holds_replacement(conversation: ImportedConversation) -> bool:
    texts = [conversation.title, *(turn.text for turn in conversation.turns)]
    texts += [alternative for turn in conversation.turns for alternative in turn.alternatives]
    return any("\ufffd" in text for text in texts if isinstance(text, str))
