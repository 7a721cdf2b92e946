"""What a transaction changed that readers can see, kept until it commits.

The services record it as they write (a post, or the whole site); once the transaction
commits, the static mirror (`blog/mirror.py`) rewrites exactly the pages it touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from .extensions import db

KEY = "public_changes"


@dataclass
class Changes:
    """Posts whose public pages may differ now, or the whole site."""

    posts: set[int] = field(default_factory=set)
    everything: bool = False


def pending() -> Changes:
    """The changes recorded so far in the current session's transaction."""
    return db.session.info.setdefault(KEY, Changes())


def post_changed(post_id: int | None) -> None:
    """Record that this post changed (a post not yet flushed has no public page)."""
    if post_id is not None:
        pending().posts.add(post_id)


def site_changed() -> None:
    """Record a change every public page shows (settings, the renderer, the first account)."""
    pending().everything = True


def peek(session: Session) -> Changes | None:
    """The changes of the transaction that just ended, left for the next listener to take."""
    return session.info.get(KEY)


def take(session: Session) -> Changes | None:
    """The changes of the transaction that just ended, forgetting them."""
    return session.info.pop(KEY, None)
