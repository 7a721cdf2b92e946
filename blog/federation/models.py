"""The fediverse's tables: remote actors, followers, what was delivered, reactions, replies,
blocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import StorableString, StorableText, UTCDateTime, utcnow


class RemoteActor(db.Model):
    """A fediverse account we met: where its inbox is and the key it signs with."""

    __tablename__ = "fediverse_actors"

    id: Mapped[int] = mapped_column(primary_key=True)
    uri: Mapped[str] = mapped_column(StorableString(500), unique=True)
    key_id: Mapped[str] = mapped_column(StorableString(500), index=True)
    public_key_pem: Mapped[str] = mapped_column(StorableText)
    inbox: Mapped[str] = mapped_column(StorableString(500))
    shared_inbox: Mapped[str] = mapped_column(StorableString(500), default="")
    name: Mapped[str] = mapped_column(StorableString(200), default="")
    url: Mapped[str] = mapped_column(StorableString(500), default="")
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Follower(db.Model):
    """A remote actor following the blog."""

    __tablename__ = "fediverse_followers"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_uri: Mapped[str] = mapped_column(StorableString(500), unique=True)
    inbox: Mapped[str] = mapped_column(StorableString(500))
    shared_inbox: Mapped[str] = mapped_column(StorableString(500), default="")
    follow_id: Mapped[str] = mapped_column(StorableString(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FederatedPost(db.Model):
    """What followers were last told of a post: its revision, or that it is gone (Tombstone).

    No foreign key: the row outlives a deleted post, to answer 410 at the object's id.
    """

    __tablename__ = "fediverse_posts"

    post_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision_id: Mapped[int | None] = mapped_column(Integer)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reaction(db.Model):
    """A Like or an Announce (boost) of a post from a remote actor."""

    __tablename__ = "fediverse_reactions"
    __table_args__ = (UniqueConstraint("post_id", "actor_uri", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(StorableString(20))  # "like" or "announce"
    actor_uri: Mapped[str] = mapped_column(StorableString(500))
    activity_id: Mapped[str] = mapped_column(StorableString(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RemoteComment(db.Model):
    """A reply from the fediverse to a post, shown under it once the author approves it."""

    __tablename__ = "fediverse_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    object_uri: Mapped[str] = mapped_column(StorableString(500), unique=True)
    actor_uri: Mapped[str] = mapped_column(StorableString(500), index=True)
    actor_name: Mapped[str] = mapped_column(StorableString(200), default="")
    url: Mapped[str] = mapped_column(StorableString(500), default="")
    # Sanitised by blog/allowlist.py when it arrives: printed as stored.
    content_html: Mapped[str] = mapped_column(StorableText)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the author rejected it (or blocked its author): kept, never shown, so the same
    # note delivered again does not wait for approval a second time. `federation/replies.py`
    # is the one place that decides, so a reply is never both approved and rejected.
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Block(db.Model):
    """A server (`kind` "domain": it and its subdomains) or one account ("actor") refused."""

    __tablename__ = "fediverse_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(StorableString(10))
    # A lower-case host name, or an actor's id as its server gives it.
    target: Mapped[str] = mapped_column(StorableString(500), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InboxState(db.Model):
    """An inbox whose deliveries are failing: since when, how many tries, when to try it next.

    No row: the inbox answers. Deliveries to an inbox with a row wait for its next try
    instead of each costing a timeout (see `delivery.py`).
    """

    __tablename__ = "fediverse_inboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbox: Mapped[str] = mapped_column(StorableString(500), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retry_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(StorableString(500), default="")


class Undelivered(db.Model):
    """An activity given up for one inbox after its whole retry schedule, for the studio."""

    __tablename__ = "fediverse_undelivered"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbox: Mapped[str] = mapped_column(StorableString(500))
    activity_type: Mapped[str] = mapped_column(StorableString(40), default="")
    # The post the activity was about (no foreign key: a Delete outlives its post).
    post_id: Mapped[int | None] = mapped_column(Integer, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_tried_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    gave_up_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(StorableString(500), default="")
