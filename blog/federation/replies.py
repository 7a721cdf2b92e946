"""Deciding on replies from the fediverse: approve, reject or delete, for the studio and the CLI.

This is the one place a reply's state changes at the author's word, so both ways of deciding
update what readers see alike: a reply shown or taken away marks its post changed
(`reactions.shown_changed`), which refreshes the cached pages, the feeds' next build and the
static mirror's page after the commit.

A reply is pending until decided; approved and rejected are final (the author can still delete
either). An edit from its server puts an approved reply back in moderation (`inbox.update`);
a rejected one stays rejected.
"""

from __future__ import annotations

from sqlalchemy import case, select

from ..allowlist import text_of
from ..extensions import db
from ..models import Post, utcnow
from .models import RemoteComment
from .reactions import shown_changed

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class ReplyError(ValueError):
    """A decision that cannot be made; the message says why."""


def state(reply: RemoteComment) -> str:
    """Pending, approved or rejected."""
    if reply.rejected_at is not None:
        return REJECTED
    return APPROVED if reply.approved else PENDING


def listing(*, decided: bool = True) -> list[tuple[RemoteComment, str, str]]:
    """(reply, post title, post slug): pending first, then approved, then rejected, newest first
    within each; only the pending ones unless `decided`."""
    order = case((RemoteComment.rejected_at.is_not(None), 2), (RemoteComment.approved, 1), else_=0)
    query = (
        select(RemoteComment, Post.title, Post.slug)
        .join(Post, Post.id == RemoteComment.post_id)
        .order_by(order, RemoteComment.received_at.desc(), RemoteComment.id.desc())
    )
    if not decided:
        query = query.where(RemoteComment.approved.is_(False), RemoteComment.rejected_at.is_(None))
    return [tuple(row) for row in db.session.execute(query)]


def get(reply_id: int) -> RemoteComment:
    """The reply with this id, or ReplyError."""
    reply = db.session.get(RemoteComment, reply_id)
    if reply is None:
        raise ReplyError(f"There is no reply {reply_id}.")
    return reply


def pending(reply: RemoteComment) -> None:
    if state(reply) != PENDING:
        raise ReplyError(f"Reply {reply.id} is already {state(reply)}: nothing was changed.")


def approve(reply: RemoteComment) -> None:
    """Show a pending reply under its post."""
    pending(reply)
    reply.approved = True
    shown_changed(reply.post_id)
    db.session.commit()


def reject(reply: RemoteComment) -> None:
    """Never show a pending reply; it is kept, so the same note is not asked about again."""
    pending(reply)
    reply.rejected_at = utcnow()
    db.session.commit()


def withhold(reply: RemoteComment) -> None:
    """Reject a reply whatever its state (its author was blocked); the caller commits."""
    if reply.approved:
        shown_changed(reply.post_id)
    reply.approved = False
    reply.rejected_at = reply.rejected_at or utcnow()


def delete(reply: RemoteComment) -> None:
    """Delete the reply here (it stays on its own server)."""
    if reply.approved:
        shown_changed(reply.post_id)
    db.session.delete(reply)
    db.session.commit()


def excerpt(reply: RemoteComment, width: int = 80) -> str:
    """The reply's text on one line, cut to `width` characters."""
    text = " ".join(text_of(reply.content_html).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
