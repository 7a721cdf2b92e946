"""Linear-time matching for the detectors: RE2 patterns and the lookarounds they replace.

RE2 guarantees time linear in the text, but has no lookarounds or backreferences. Each
detector pattern that needs "not preceded by" or "not followed by" is written with
:func:`bounded`: the excluded neighbours become a consumed prefix and suffix around the
named group ``m`` (the finding itself), and :func:`matches` resumes searching at the end of
``m``, so the character after one finding can still precede the next. Patterns are run
over the UTF-8 bytes of the text, encoded once per search, with offsets mapped back to
characters as the matches arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import re2

# Python's \w on str: letters, digits (of any script) and the underscore. RE2's \w is
# ASCII-only, so neighbour classes spell it out to keep "é" and "٣" counting as word.
WORD = r"\pL\pN_"
# Python's \s on str, which also counts no-break and other Unicode spaces.
SPACE = r"[\s\pZ\x85]"
_PREFIX = "(?:^|[^"


def compile_re(pattern: str, max_mem: int | None = None) -> re2._Regexp:
    """An RE2 pattern (linear time in the text, whatever the input). `max_mem`: the bytes
    its automata may take, for a pattern larger than RE2's default serves."""
    if max_mem is None:
        return re2.compile(pattern)
    options = re2.Options()
    options.max_mem = max_mem
    # Past that, RE2 falls back to its slower automaton with the same answer: not an error.
    options.log_errors = False
    return re2.compile(pattern, options)


def bounded(body: str, before: str | None = None, after: str | None = None) -> re2._Regexp:
    """A pattern for `body` not preceded by a character of class `before`, nor followed by
    a match of `after` (an alternation of classes written as a consuming suffix)."""
    prefix = f"{_PREFIX}{before}])" if before else ""
    suffix = f"(?:{after})" if after else ""
    pattern = compile_re(f"{prefix}(?P<m>{body}){suffix}")
    _BODIES[pattern.pattern] = body
    return pattern


_BODIES: dict[str, str] = {}


def core(pattern: re2._Regexp) -> str:
    """What every match of a pattern holds, as a pattern of its own: a `bounded` pattern's
    body without its neighbours, any other pattern whole; named groups made plain, so that
    cores alternated in one pattern need not have distinct names."""
    return _NAMED_GROUP.sub("(?:", _BODIES.get(pattern.pattern, pattern.pattern))


_NAMED_GROUP = re2.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


@cache
def group_number(pattern, name: str) -> int:
    """The number of a named group (0, the whole match, when it has none). Cached: RE2
    builds its `groupindex` mapping anew on every access."""
    return pattern.groupindex.get(name, 0)


class Hit:
    """One match, with group spans in characters of the original text."""

    __slots__ = ("_match", "_pattern", "_offsets", "text")

    def __init__(self, pattern, match, offsets: _Offsets, text: str) -> None:
        self._pattern, self._match, self._offsets, self.text = pattern, match, offsets, text

    def span(self, group: str | int = "m") -> tuple[int, int]:
        index = group_number(self._pattern, group) if isinstance(group, str) else group
        start, end = self._match.span(index)
        if start < 0:
            return -1, -1
        return self._offsets.char(start), self._offsets.char(end)

    def start(self, group: str | int = "m") -> int:
        return self.span(group)[0]

    def end(self, group: str | int = "m") -> int:
        return self.span(group)[1]

    def group(self, group: str | int = "m") -> str | None:
        start, end = self.span(group)
        return None if start < 0 else self.text[start:end]

    def match_after(self, pattern, group: str | int = 0) -> Hit | None:
        """The match of a pattern anchored where this match's group ends."""
        index = group_number(self._pattern, group) if isinstance(group, str) else group
        found = pattern.match(self._offsets.data, self._match.span(index)[1])
        return None if found is None else Hit(pattern, found, self._offsets, self.text)


class _Offsets:
    """Maps byte offsets of the UTF-8 text to character offsets, moving mostly forward."""

    def __init__(self, text: str, data: bytes) -> None:
        self.data = data
        self.ascii = len(data) == len(text)
        self.byte = self.char_at = 0

    def char(self, byte: int) -> int:
        if self.ascii:
            return byte
        if byte >= self.byte:
            self.char_at += len(self.data[self.byte : byte].decode("utf-8"))
        else:
            self.char_at -= len(self.data[byte : self.byte].decode("utf-8"))
        self.byte = byte
        return self.char_at


def matches(pattern, text: str) -> Iterator[Hit]:
    """Every match of a pattern in text, left to right, each resuming after group ``m``."""
    data = text.encode("utf-8")
    offsets = _Offsets(text, data)
    group = group_number(pattern, "m")
    # The last character of one match may be the neighbour that lets the next one start;
    # only a pattern that consumes its neighbour can use it, and never as part of a body.
    back = 1 if pattern.pattern.startswith(_PREFIX) else 0
    position = 0
    while (found := pattern.search(data, position)) is not None:
        yield Hit(pattern, found, offsets, text)
        start, end = found.span(group)
        resume = end - back if end - back > start else end
        while back and resume > start and data[resume] & 0xC0 == 0x80:
            resume -= 1  # to the first byte of that character
        position = resume if resume > position else position + 1
