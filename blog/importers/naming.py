"""Titles for conversations whose export carries none."""

from __future__ import annotations

from blog.importers.base import ImportedTurn

UNTITLED = "Untitled conversation"
TITLE_LENGTH = 72


def title_from_turns(turns: list[ImportedTurn], length: int = TITLE_LENGTH) -> str:
    """The first line of the first user turn, shortened at a word to `length` characters."""
    for turn in turns:
        if turn.role != "user":
            continue
        for line in turn.text.splitlines():
            line = line.strip().lstrip("#>*-_ ").strip()
            if line:
                if len(line) <= length:
                    return line
                cut = line[: length - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
                return cut + "…"
    return UNTITLED
