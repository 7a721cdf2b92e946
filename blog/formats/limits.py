"""How much an untrusted upload may make an import read, and the stream that holds it to that.

The byte budget and the JSON nesting depth are enforced while bytes are read, before any
parser sees them, so a huge or deeply nested file is refused without being built in memory.
"""

from __future__ import annotations

import io
import re
from array import array
from dataclasses import dataclass
from itertools import accumulate
from typing import BinaryIO

from blog.formats.base import ImportFormatError

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

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        if not data:
            return 0
        if self.offset + len(data) > self._max_bytes:
            raise ImportFormatError(
                f"too large: more than {self._max_bytes:,} bytes (the configured limit)",
                self._where,
            )
        if self._max_depth is not None:
            if self.offset == 0 and data.startswith(UTF8_BOM):
                # JSON parsers reject the byte order mark some editors write.
                self.offset = len(UTF8_BOM)
                data = data[len(UTF8_BOM) :]
            self._check_depth(data, self._max_depth)
        self.offset += len(data)
        buffer[: len(data)] = data
        return len(data)

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
