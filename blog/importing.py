"""Saving imported conversations as drafts: all or nothing per file, never a silent duplicate."""

from __future__ import annotations

import io
import json
import mimetypes
import re
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import Connection, Dialect, delete, insert, select, update
from sqlalchemy.exc import DBAPIError

from .extensions import db
from .importers.base import ImportedConversation, ImportFormatError
from .importers.detect import ImportLimits, read_conversations
from .models import AI_ROLES, Asset, Post, SlugRedirect, Turn, User, post_tags, utcnow
from .posts import slugify, tags_named
from .scan import scan_text
from .site import bump_generation

ATTACHMENT_REF = re.compile(r"\]\(attachment:(\d+)\)")
DUPLICATE_CHOICES = ("skip", "update")


@dataclass(frozen=True)
class SavedPost:
    """A post an import created or updated."""

    id: int
    slug: str
    title: str


@dataclass
class ImportReport:
    """What one file's import did, for the CLI and the import page."""

    created: list[SavedPost] = field(default_factory=list)
    updated: list[SavedPost] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    turns: int = 0
    # Privacy and secret findings per imported post title, a warning before any publishing.
    warnings: list[str] = field(default_factory=list)

    def merge(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped
        self.turns += other.turns
        self.warnings += other.warnings


def import_limits() -> ImportLimits:
    """The configured limits on what an upload may contain."""
    config = current_app.config
    return ImportLimits(
        max_bytes=config.get("IMPORT_MAX_BYTES", config["MAX_CONTENT_LENGTH"]),
        max_uncompressed_bytes=config.get("IMPORT_MAX_UNCOMPRESSED_BYTES", 2 * 1024**3),
        max_entries=config.get("IMPORT_MAX_ENTRIES", 10_000),
        max_json_depth=config.get("IMPORT_MAX_JSON_DEPTH", 64),
        max_asset_bytes=config["ASSET_MAX_BYTES"],
    )


def import_file(
    source: bytes | BinaryIO | str | Path,
    filename: str,
    author: User | None,
    *,
    on_duplicate: str = "skip",
    chosen: set[str] | None = None,
    progress: Callable[[ImportedConversation], None] | None = None,
) -> ImportReport:
    """Import every conversation in one file, in one transaction: all of it or none."""
    if on_duplicate not in DUPLICATE_CHOICES:
        raise ValueError(f"on_duplicate must be one of {DUPLICATE_CHOICES}")
    batch = ImportBatch(author, on_duplicate)
    try:
        for index, conversation in enumerate(
            read_conversations(source, filename, limits=import_limits())
        ):
            if chosen is not None and conversation_key(conversation, index) not in chosen:
                continue
            batch.add(conversation)
            if progress is not None:
                progress(conversation)
        batch.finish()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return batch.report


class CountingReader(io.RawIOBase):
    """A read-only file wrapper that reports the bytes read, for progress bars."""

    def __init__(self, raw: BinaryIO, advance: Callable[[int], None]) -> None:
        self.raw = raw
        self.advance = advance

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(buffer)
        self.advance(count or 0)
        return count

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


def conversation_key(conversation: ImportedConversation, index: int) -> str:
    """How the import page names a conversation in a file: its source id, else its place."""
    return conversation.source_id or f"#{index}"


class KnownPosts:
    """What is already in the database, read once: slugs in use and earlier imports."""

    def __init__(self) -> None:
        connection = db.session.connection()
        rows = connection.execute(
            select(Post.id, Post.slug, Post.source_kind, Post.source_id, Post.content_hash)
        ).all()
        self.slugs = {row.slug for row in rows}
        self.slugs.update(connection.execute(select(SlugRedirect.old_slug)).scalars())
        self.by_source = {(r.source_kind, r.source_id): (r.id, r.slug) for r in rows if r.source_id}
        self.by_hash = {r.content_hash: (r.id, r.slug) for r in rows if r.content_hash}

    def match(self, conversation: ImportedConversation, digest: str) -> tuple[int, str] | None:
        """The (id, slug) of a post imported earlier from this conversation, by source or hash."""
        if conversation.source_id:
            found = self.by_source.get((conversation.source_kind, conversation.source_id))
            if found:
                return found
        return self.by_hash.get(digest)

    def remember(
        self, conversation: ImportedConversation, digest: str, post: tuple[int, str]
    ) -> None:
        self.by_hash[digest] = post
        if conversation.source_id:
            self.by_source[(conversation.source_kind, conversation.source_id)] = post

    def free_slug(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`… whichever is not taken yet; it is then taken."""
        candidate, n = base, 1
        while candidate in self.slugs:
            n += 1
            candidate = f"{base}-{n}"
        self.slugs.add(candidate)
        return candidate


# Compiled once and reused: one statement per imported conversation.
INSERT_POST = insert(Post).returning(Post.id)


class ImportBatch:
    """Saves conversations as drafts with few round trips: what is known is read once,
    posts are inserted one statement each, turns in large batches."""

    TURN_BATCH = 5000

    def __init__(self, author: User | None, on_duplicate: str) -> None:
        self.author_id = author.id if author is not None else None
        self.on_duplicate = on_duplicate
        self.report = ImportReport()
        self.scan_budget = current_app.config.get("IMPORT_SCAN_MAX_TURNS", 5000)
        self.pending_turns: list[dict] = []
        self.connection = db.session.connection()
        self.known = KnownPosts()
        self.asset_bytes = 0

    def check_asset_sizes(self, conversation: ImportedConversation) -> None:
        """Refuse the file when one attachment, or all of them together, is too large."""
        config = current_app.config
        per_file, per_import = config["ASSET_MAX_BYTES"], config["IMPORT_ASSETS_MAX_BYTES"]
        for turn in conversation.turns:
            for attachment in turn.attachments:
                size = len(attachment.data or b"")
                if size > per_file:
                    raise ImportFormatError(
                        f"the attachment {attachment.name!r} is {size:,} bytes, more than "
                        f"the limit of {per_file:,} per file",
                        conversation.title or "a conversation",
                    )
                self.asset_bytes += size
        if self.asset_bytes > per_import:
            raise ImportFormatError(
                f"its attachments come to more than the limit of {per_import:,} bytes per import",
                conversation.title or "a conversation",
            )

    def add(self, conversation: ImportedConversation) -> None:
        """Queue one conversation as a draft post (or an update of an earlier import)."""
        if not conversation.turns:
            self.report.skipped.append(f"{conversation.title} (no visible turns)")
            return
        digest = conversation.content_hash()
        existing = self.known.match(conversation, digest)
        if existing is not None and self.on_duplicate == "skip":
            self.report.skipped.append(f"{conversation.title} (already imported as {existing[1]})")
            return
        title = (conversation.title or "Untitled conversation")[:300]
        values = {
            "title": title,
            "summary": conversation.summary or "",
            "source_kind": conversation.source_kind,
            "source_id": conversation.source_id,
            "content_hash": digest,
            "model_name": (conversation.model or "")[:200],
            "conversation_at": conversation.created_at,
            "updated_at": utcnow(),
            # New text needs a new review before anyone reads it.
            "status": "draft",
        }
        if existing is not None:
            post_id, slug = existing
            self.flush_turns()
            self.connection.execute(delete(Turn).where(Turn.post_id == post_id))
            self.connection.execute(delete(Asset).where(Asset.post_id == post_id))
            self.connection.execute(
                update(Post).where(Post.id == post_id).values(version=Post.version + 1, **values)
            )
            self.report.updated.append(SavedPost(post_id, slug, title))
        else:
            slug = self.known.free_slug(slugify(title))
            post_id = self.connection.execute(
                INSERT_POST,
                {"slug": slug, "author_id": self.author_id, "license": "", "created_at": utcnow()}
                | values,
            ).scalar_one()
            self.report.created.append(SavedPost(post_id, slug, title))
        self.known.remember(conversation, digest, (post_id, slug))
        if conversation.tags:
            self.tag(post_id, conversation.tags)
        self.check_asset_sizes(conversation)
        rows = [
            turn_row(post_id, position, turn) for position, turn in enumerate(conversation.turns)
        ]
        self.pending_turns.extend(rows)
        self.report.turns += len(rows)
        if self.report.turns <= self.scan_budget:
            warn_about_findings(title, slug, rows, self.report)
        if len(self.pending_turns) >= self.TURN_BATCH:
            self.flush_turns()

    def tag(self, post_id: int, names: list[str]) -> None:
        self.connection.execute(delete(post_tags).where(post_tags.c.post_id == post_id))
        tags = tags_named(names)
        db.session.flush()
        self.connection.execute(
            insert(post_tags), [{"post_id": post_id, "tag_id": tag.id} for tag in tags]
        )

    def flush_turns(self) -> None:
        if not self.pending_turns:
            return
        dialect = self.connection.dialect
        prepared = turn_insert(dialect)
        if prepared is None:
            self.connection.execute(insert(Turn), self.pending_turns)
        elif dialect.driver == "psycopg":
            copy_turns(self.connection, map(prepared[1], self.pending_turns))
        else:
            statement, values = prepared
            self.connection.exec_driver_sql(statement, list(map(values, self.pending_turns)))
        self.pending_turns = []

    def finish(self) -> None:
        """Write what is still queued (the caller commits)."""
        self.flush_turns()
        if self.report.updated:
            bump_generation()


def warn_about_findings(title: str, slug: str, rows: list[dict], report: ImportReport) -> None:
    """Scan the visible turns now, so the author hears about private data before publishing."""
    kinds: dict[str, int] = {}
    for row in rows:
        if not row["excluded"]:
            for finding in scan_text(row["source"]):
                kinds[finding.label] = kinds.get(finding.label, 0) + 1
    if kinds:
        listed = ", ".join(f"{count} {label}" for label, count in sorted(kinds.items()))
        report.warnings.append(f"{title} ({slug}): {listed}")


TURN_COLUMNS = (
    "post_id",
    "position",
    "role",
    "speaker",
    "model",
    "source",
    "html",
    "original_source",
    "alternatives_json",
    "reviewed",
    "excluded",
    "created_at",
    "version",
)
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def turn_insert(dialect: Dialect) -> tuple[str, Callable[[dict], tuple]] | None:
    """A driver-level INSERT for turn rows and a function that gives a row's values for it
    (None for a driver whose parameter style it does not write).

    Each value is converted as SQLAlchemy would bind it (UTC timestamps, booleans), so
    whole batches go to the driver's executemany without per-row statement handling.
    """
    if dialect in _TURN_INSERTS:
        return _TURN_INSERTS[dialect]
    placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
    if placeholder is None:
        _TURN_INSERTS[dialect] = None
        return None
    quote = dialect.identifier_preparer.quote
    table = dialect.identifier_preparer.format_table(Turn.__table__)
    statement = (
        f"INSERT INTO {table} ({', '.join(quote(name) for name in TURN_COLUMNS)}) "
        f"VALUES ({', '.join([placeholder] * len(TURN_COLUMNS))})"
    )
    processors = [
        (index, processor)
        for index, name in enumerate(TURN_COLUMNS)
        if (processor := Turn.__table__.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    plain = itemgetter(*TURN_COLUMNS)

    def values(row: dict) -> tuple:
        converted = list(plain(row))
        for index, processor in processors:
            converted[index] = processor(converted[index])
        return tuple(converted)

    _TURN_INSERTS[dialect] = statement, values
    return statement, values


_TURN_INSERTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def copy_turns(connection: Connection, rows: Iterable[tuple]) -> None:
    """Write turn rows with PostgreSQL's COPY, which is faster than INSERT for many rows."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    statement = (
        f"COPY {dialect.identifier_preparer.format_table(Turn.__table__)} "
        f"({', '.join(quote(name) for name in TURN_COLUMNS)}) FROM STDIN"
    )
    error = dialect.loaded_dbapi.Error
    try:
        with (
            connection.connection.driver_connection.cursor() as cursor,
            cursor.copy(statement) as copy,
        ):
            for row in rows:
                copy.write_row(row)
    except error as exc:
        # Raised as SQLAlchemy raises driver errors for every other statement.
        raise DBAPIError.instance(statement, None, exc, error, dialect=dialect) from exc


def turn_row(post_id: int, position: int, turn) -> dict:
    text = store_attachments(post_id, turn) if turn.attachments else turn.text
    return {
        "post_id": post_id,
        "position": position,
        "role": turn.role,
        "speaker": (turn.speaker or "")[:200],
        "model": (turn.model or "")[:200],
        "source": text,
        "html": None,  # rendered on first view or at publish, never in the import request
        "original_source": text,
        "alternatives_json": (
            json.dumps(turn.alternatives, ensure_ascii=False) if turn.alternatives else "[]"
        ),
        "reviewed": turn.role not in AI_ROLES,
        "excluded": turn.hidden,
        "created_at": turn.created_at,
        "version": 1,
    }


def store_attachments(post_id: int, turn) -> str:
    """Save the turn's files as assets and point its Markdown at them."""
    urls: list[str | None] = []
    for attachment in turn.attachments:
        if attachment.data is None:
            urls.append(None)
            continue
        name = safe_asset_name(attachment.name, attachment.mime_type)
        asset_id = (
            db.session.connection()
            .execute(
                insert(Asset)
                .values(
                    post_id=post_id,
                    name=name,
                    mime_type=attachment.mime_type,
                    data=attachment.data,
                    created_at=utcnow(),
                )
                .returning(Asset.id)
            )
            .scalar_one()
        )
        urls.append(f"/assets/{asset_id}/{name}")

    def point(m: re.Match[str]) -> str:
        index = int(m.group(1))
        url = urls[index] if index < len(urls) else None
        return f"]({url})" if url else "](#image-not-included)"

    text = ATTACHMENT_REF.sub(point, turn.text)
    # A missing file is shown as a clear placeholder, never as a broken image.
    return re.sub(
        r"!\[([^\]]*)\]\(#image-not-included\)",
        lambda m: f"*[Image not included in the export{': ' + m.group(1) if m.group(1) else ''}]*",
        text,
    )


def safe_asset_name(name: str, mime_type: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip(".-")[:80] or "file"
    extension = mimetypes.guess_extension(mime_type) or ""
    return stem if not extension or stem.endswith(extension) else stem + extension


__all__ = ["ImportFormatError", "ImportReport", "import_file", "conversation_key"]
