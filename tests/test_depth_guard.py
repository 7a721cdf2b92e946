"""The JSON depth guard agrees with a plain character-by-character reading, however data is split."""

from __future__ import annotations

import io
import random

import pytest

from blog.formats.base import ImportFormatError
from blog.formats.limits import GuardedReader

STRUCTURE = ["[", "]", "{", "}", ",", ":", " ", "1"]
# Inside strings: escapes (backslashes, quotes) and brackets that do not count.
STRING_PARTS = ["a", "\\\\", '\\"', "[", "]", "{", "}", "\\n"]


def json_like(rng: random.Random) -> str:
    """Brackets and strings full of escapes and brackets, as JSON writes them."""
    pieces = []
    for _ in range(rng.randint(1, 30)):
        if rng.random() < 0.3:
            body = "".join(rng.choice(STRING_PARTS) for _ in range(rng.randint(0, 6)))
            pieces.append(f'"{body}"')
        else:
            pieces.append(rng.choice(STRUCTURE))
    return "".join(pieces)


def deepest(text: str) -> int:
    """The deepest bracket nesting outside strings, read one character at a time."""
    depth = best = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            best = max(best, depth)
        elif char in "]}":
            depth -= 1
    return best


class Trickle(io.RawIOBase):
    """A stream that hands out at most `longest` bytes at a time, split at random places."""

    def __init__(self, data: bytes, rng: random.Random, longest: int = 5) -> None:
        self.data, self.rng, self.position, self.longest = data, rng, 0, longest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        step = self.rng.randint(1, self.longest)
        chunk = self.data[self.position : self.position + step]
        self.position += len(chunk)
        return chunk


def refused(data: bytes, limit: int, rng: random.Random) -> bool:
    reader = GuardedReader(Trickle(data, rng), "test.json", max_bytes=10**9, max_depth=limit)
    buffer = bytearray(64)
    try:
        while reader.readinto(memoryview(buffer)):
            pass
    except ImportFormatError:
        return True
    return False


@pytest.mark.parametrize("seed", range(40))
def test_guard_matches_a_plain_reading_across_chunk_boundaries(seed):
    rng = random.Random(seed)
    for _ in range(50):
        text = json_like(rng)
        limit = rng.randint(1, 6)
        assert refused(text.encode(), limit, rng) == (deepest(text) > limit), text
