"""What the fediverse said about a post, for its page: likes, boosts, approved replies."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from .. import changes
from ..extensions import db
from ..settings import bump_generation
from .models import Reaction, RemoteComment


@dataclass(frozen=True)
class PostReactions:
    likes: int
    boosts: int
    replies: list[RemoteComment]


def for_post(post_id: int) -> PostReactions | None:
    """The counts and approved replies of a post; None when federation is off."""
    if not current_app.config.get("FEDERATION_ENABLED"):
        return None
    counts = dict(
        db.session.execute(
            select(Reaction.kind, func.count(Reaction.id))
            .where(Reaction.post_id == post_id)
            .group_by(Reaction.kind)
        ).all()
    )
    replies = db.session.scalars(
        select(RemoteComment)
        .where(RemoteComment.post_id == post_id, RemoteComment.approved.is_(True))
        .order_by(RemoteComment.received_at, RemoteComment.id)
    ).all()
    return PostReactions(counts.get("like", 0), counts.get("announce", 0), list(replies))


def shown_changed(post_id: int) -> None:
    """What readers see under a post changed: cached copies and the mirror's page must too."""
    changes.post_changed(post_id)
    bump_generation()
