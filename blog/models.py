"""Tables and relationships: no Markdown, no HTTP."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .extensions import db
from .vocabulary import AI_ROLES, Status


class StorableString(TypeDecorator):
    """Text every database can hold: NUL characters (refused by PostgreSQL) become U+FFFD."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, str) and "\x00" in value:
            return value.replace("\x00", "\ufffd")
        return value


class StorableText(StorableString):
    """Long text, stored like StorableString."""

    impl = Text
    cache_ok = True


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class PostShape:
    """What a post and its published revision (`posts.PublishedPost`) both answer from
    their status and turns."""

    @property
    def visible_turns(self) -> list:
        """The turns a reader sees, in order: left-out turns are not among them."""
        return [turn for turn in self.turns if not turn.excluded]

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def is_reachable(self) -> bool:
        """Public or unlisted: reachable by anyone holding the link."""
        return self.status in (Status.PUBLISHED, Status.UNLISTED)


class TurnShape:
    """What a turn and its published copy (`posts.PublishedTurn`) both answer from its role."""

    @property
    def is_ai(self) -> bool:
        return self.role in AI_ROLES


def is_edited(turn) -> bool:
    """True when a turn's text (a `Turn`, or a row with its columns) differs from the text it
    arrived with."""
    return turn.original_source is not None and turn.source != turn.original_source


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(StorableString(80), unique=True)
    display_name: Mapped[str] = mapped_column(StorableString(200), default="")
    password_hash: Mapped[str] = mapped_column(StorableString(300))
    # Rotated at logout and password change: every session cookie issued
    # before stops working, in every worker.
    session_token: Mapped[str] = mapped_column(StorableString(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def name(self) -> str:
        return self.display_name or self.username


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(StorableString(80))
    slug: Mapped[str] = mapped_column(StorableString(80), unique=True)


class Series(db.Model):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(StorableString(200))
    slug: Mapped[str] = mapped_column(StorableString(200), unique=True)


class ImportBatch(db.Model):
    """One import of one file (CLI or web): what it did, so it can be listed and undone."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(StorableString(300), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    turn_count: Mapped[int] = mapped_column(Integer, default=0)
    # The posts it updated rather than created: undoing the batch leaves them alone.
    updated_ids_json: Mapped[str] = mapped_column(StorableText, default="[]")
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def updated_ids(self) -> list[int]:
        return json.loads(self.updated_ids_json or "[]")


class Post(PostShape, db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_status_published_at", "status", "published_at"),
        Index("ix_posts_source", "source_kind", "source_id"),
        Index("ix_posts_updated_at", "updated_at"),
        # A post's id is in permanent public addresses (its fediverse object): SQLite must not
        # give a deleted post's id to a new one, as PostgreSQL's sequences never do.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(StorableString(200), unique=True)
    title: Mapped[str] = mapped_column(StorableString(300))
    summary: Mapped[str] = mapped_column(StorableText, default="")
    status: Mapped[str] = mapped_column(StorableString(20), default=Status.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source_kind: Mapped[str] = mapped_column(StorableString(40), default="editor")
    source_id: Mapped[str | None] = mapped_column(StorableString(200))
    content_hash: Mapped[str | None] = mapped_column(StorableString(64), index=True)
    model_name: Mapped[str] = mapped_column(StorableString(200), default="")
    # The program that wrote an imported log ("Claude Code") and its version, as the log says.
    agent: Mapped[str] = mapped_column(StorableString(80), default="", server_default="")
    agent_version: Mapped[str] = mapped_column(StorableString(80), default="", server_default="")
    license: Mapped[str] = mapped_column(StorableString(40), default="")
    conversation_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The author's confirmation of the publishing checklist, recorded with its time.
    checklist_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How it was made, when the author states it; otherwise derived from the turns.
    how_made: Mapped[str] = mapped_column(StorableString(40), default="")
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    series_position: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped by every change to the post or its turns (imports count updates by it).
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped only when the details form's fields change, so a turn action on the same page
    # never makes a Save details look stale.
    details_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The import that created the post (an import that only updated it leaves this alone).
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    # Open privacy findings in the visible turns, counted when turns are saved, so lists
    # never scan; None when no scan has run (an import past its scan budget).
    findings: Mapped[int | None] = mapped_column(Integer)
    # Published by the worker at this time as `scheduled_status` (a draft's plan; Publish,
    # Cancel or a gate failing at that time ends it). The checklist was confirmed when it was set.
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    scheduled_status: Mapped[str] = mapped_column(StorableString(20), default="", server_default="")
    # Why the scheduled publish did not happen at its time, shown until the author acts.
    schedule_problem: Mapped[str] = mapped_column(StorableText, default="", server_default="")
    # What readers see: the revision recorded by the last Publish or Update (None when a draft).
    # A plain column, no foreign key in the database: adding one would make SQLite rebuild
    # `posts` (losing its search triggers); a revision goes only with its post, so the
    # pointer cannot dangle.
    published_revision_id: Mapped[int | None] = mapped_column(Integer)

    author: Mapped[User | None] = relationship()
    series: Mapped[Series | None] = relationship()
    published_revision: Mapped[Revision | None] = relationship(
        primaryjoin="foreign(Post.published_revision_id) == Revision.id", post_update=True
    )
    turns: Mapped[list[Turn]] = relationship(
        back_populates="post",
        order_by="Turn.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, order_by="Tag.name")


class Turn(TurnShape, db.Model):
    __tablename__ = "turns"
    __table_args__ = (Index("ix_turns_post_position", "post_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(StorableString(20))
    speaker: Mapped[str] = mapped_column(StorableString(200), default="")
    model: Mapped[str] = mapped_column(StorableString(200), default="")
    source: Mapped[str] = mapped_column(StorableText, default="")
    # How the source is shown: Markdown, or plain text as typed (vocabulary.TextFormat).
    text_format: Mapped[str] = mapped_column(
        StorableString(10), default="markdown", server_default="markdown"
    )
    # Rendered when the turn is saved (editor or import); readers only ever read it.
    html: Mapped[str | None] = mapped_column(StorableText)
    # What a reader sees, as plain text and its word count, kept with the HTML at each render.
    text: Mapped[str | None] = mapped_column(StorableText)
    words: Mapped[int | None] = mapped_column(Integer)
    # What the HTML was rendered from (posts/rerender.py render_key: source, display form,
    # renderer version); empty while the HTML is only the escaped source, waiting to be rendered.
    render_key: Mapped[str | None] = mapped_column(StorableString(40), index=True)
    # The text as it arrived from the import (or the first save), for provenance.
    original_source: Mapped[str | None] = mapped_column(StorableText)
    alternatives_json: Mapped[str] = mapped_column(StorableText, default="[]")
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    post: Mapped[Post] = relationship(back_populates="turns")

    @property
    def edited(self) -> bool:
        """True when the author changed an imported AI turn's text."""
        return is_edited(self)

    @property
    def alternatives(self) -> list[str]:
        return json.loads(self.alternatives_json or "[]")


revision_tags = Table(
    "revision_tags",
    db.metadata,
    Column("revision_id", ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Revision(db.Model):
    """A post as readers saw it after one Publish or Update: its details and turns, as JSON."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(StorableText, default="")
    status: Mapped[str] = mapped_column(StorableString(20))
    # Kept as columns because lists of posts filter, order and title by them.
    title: Mapped[str] = mapped_column(StorableString(300))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    series_position: Mapped[int] = mapped_column(Integer, default=0)
    # Loaded only where a page shows the turns: lists of titles never read it.
    data: Mapped[str] = mapped_column(StorableText, deferred=True)

    tags: Mapped[list[Tag]] = relationship(secondary=revision_tags, order_by="Tag.name")
    series: Mapped[Series | None] = relationship()


# What search finds: the title and visible turns of each public post's published revision.
search_entries = Table(
    "search_entries",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), index=True, nullable=False),
    Column("turn_number", Integer),
    Column("body", StorableText, nullable=False),
)


def new_asset_token() -> str:
    """The unguessable part of an asset's address (128 random bits)."""
    return secrets.token_urlsafe(16)


class Asset(db.Model):
    """A file carried in with an import (an image), stored with its post."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    # An asset is addressed by this and its name, never by its id: ids count up, and would
    # let anyone list the files of every post, unlisted ones included.
    token: Mapped[str] = mapped_column(
        StorableString(32), unique=True, index=True, default=new_asset_token
    )
    # Shown by the post's published revision: readers may fetch it while the post is public.
    # Set at Publish and Update, so a file only a staged edit shows stays the author's.
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    name: Mapped[str] = mapped_column(StorableString(300))
    mime_type: Mapped[str] = mapped_column(StorableString(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def new_preview_token() -> str:
    """The unguessable part of a preview link's address (256 random bits)."""
    return secrets.token_urlsafe(32)


class PreviewLink(db.Model):
    """A private address at which anyone holding it sees a post's working copy, until revoked."""

    __tablename__ = "preview_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(
        StorableString(64), unique=True, index=True, default=new_preview_token
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    post: Mapped[Post] = relationship()


class SlugRedirect(db.Model):
    """An old slug that keeps working after a post's slug changes."""

    __tablename__ = "slug_redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_slug: Mapped[str] = mapped_column(StorableString(200), unique=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))


class Dismissal(db.Model):
    """A scan finding the author looked at and chose to keep, with the reason."""

    __tablename__ = "dismissals"
    __table_args__ = (UniqueConstraint("post_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(StorableString(64))
    kind: Mapped[str] = mapped_column(StorableString(40))
    reason: Mapped[str] = mapped_column(StorableText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Setting(db.Model):
    """A site setting the author can change in the browser."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(StorableString(80), primary_key=True)
    value: Mapped[str] = mapped_column(StorableText)


class LoginAttempt(db.Model):
    """A counted attempt, kept briefly to throttle across workers (`blog/throttle.py`): a failed
    sign-in, or a request to the fediverse inbox (keys `inbox:…`)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(StorableString(200))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportJob(db.Model):
    """An upload being read or saved in the background, so the page can show progress."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(StorableString(64), unique=True)
    filename: Mapped[str] = mapped_column(StorableString(300))
    path: Mapped[str] = mapped_column(StorableString(500))
    # reading → listed → saving → rendering → done, or failed while reading or saving
    status: Mapped[str] = mapped_column(StorableString(20), default="reading")
    total_bytes: Mapped[int] = mapped_column(Integer, default=0)
    done_bytes: Mapped[int] = mapped_column(Integer, default=0)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    saved: Mapped[int] = mapped_column(Integer, default=0)
    # Once the drafts are saved: their turns to render, and how many are done.
    render_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rendered: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    message: Mapped[str] = mapped_column(StorableText, default="")
    listing_json: Mapped[str] = mapped_column(StorableText, default="[]")
    report_json: Mapped[str] = mapped_column(StorableText, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the worker running the current step last said it was alive; empty while the step
    # waits in the queue. (On SQLite the worker beats on a file beside the upload instead:
    # its import's write transaction would keep it from writing this row.)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
