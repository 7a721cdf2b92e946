"""Titles that look machine-made: said in the publish panel and by `publish`, never a block.

A title is the author's own words, shown on the home page, in feeds and in search results, so
a leftover "{" or "Web search results:" is worth a word before publishing. It is a warning and
not a refusal because a title harms no one: the publish gates block only what would mislead
readers or expose people (unreviewed AI text, private details), and a post *about* braces may
rightly be titled "{ }".
"""

from __future__ import annotations

from dataclasses import dataclass

from ..markdown import auto_title, names_nothing, title_problem
from ..models import Post
from ..vocabulary import Role


@dataclass(frozen=True)
class TitleWarning:
    """Why the title looks machine-made, and a better one from the first prompt ("" if none)."""

    reason: str
    suggestion: str


def title_warning(post: Post) -> TitleWarning | None:
    """A warning when the post's title looks machine-made, else None."""
    reason = title_problem(post.title)
    if not reason:
        return None
    return TitleWarning(reason, suggested_title(post))


def suggested_title(post: Post) -> str:
    """The first prompt's first line of prose, if it makes a different, real title."""
    for turn in post.visible_turns:
        if turn.role == Role.USER and (title := auto_title(turn.source)):
            return "" if title == post.title or names_nothing(title) else title
    return ""
