"""Titles for conversations whose export carries none."""

from __future__ import annotations

from blog.formats.base import ImportedTurn
from blog.markdown import auto_title
from blog.vocabulary import Role

UNTITLED = "Untitled conversation"
TITLE_LENGTH = 72


def title_from_turns(turns: list[ImportedTurn], length: int = TITLE_LENGTH) -> str:
    """The first prompt's first line of prose as plain text, shortened at a word to `length`."""
    for turn in turns:
        if turn.role == Role.USER and (title := auto_title(turn.text, length)):
            return title
    return UNTITLED
