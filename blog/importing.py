"""Saving imported conversations as drafts: all or nothing per file, never a silent duplicate."""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import insert, or_, select

from .extensions import db
from .importers.base import ImportedConversation, ImportFormatError
from .importers.detect import ImportLimits, read_conversations
from .models import AI_ROLES, Asset, Post, Turn, User, utcnow
from .posts import slugify, tags_named, unique_slug
from .scan import scan_text

ATTACHMENT_REF = re.compile(r"\]\(attachment:(\d+)\)")
DUPLICATE_CHOICES = ("skip", "update")


@dataclass
class ImportReport:
    """What one file's import did, for the CLI and the import page."""

    created: list[Post] = field(default_factory=list)
    updated: list[Post] = field(default_factory=list)
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
    report = ImportReport()
    try:
        for index, conversation in enumerate(
            read_conversations(source, filename, limits=import_limits())
        ):
            if chosen is not None and conversation_key(conversation, index) not in chosen:
                continue
            save_conversation(conversation, author, on_duplicate, report)
            if progress is not None:
                progress(conversation)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return report


def conversation_key(conversation: ImportedConversation, index: int) -> str:
    """How the import page names a conversation in a file: its source id, else its place."""
    return conversation.source_id or f"#{index}"


def find_existing(conversation: ImportedConversation) -> Post | None:
    """A post imported earlier from the same conversation (by source id or content hash)."""
    conditions = [Post.content_hash == conversation.content_hash()]
    if conversation.source_id:
        conditions.append(
            (Post.source_kind == conversation.source_kind)
            & (Post.source_id == conversation.source_id)
        )
    return db.session.scalar(select(Post).where(or_(*conditions)).limit(1))


def save_conversation(
    conversation: ImportedConversation,
    author: User | None,
    on_duplicate: str,
    report: ImportReport,
) -> None:
    """Add one conversation to the session as a draft (the caller commits)."""
    if not conversation.turns:
        report.skipped.append(f"{conversation.title} (no visible turns)")
        return
    existing = find_existing(conversation)
    if existing is not None and on_duplicate == "skip":
        report.skipped.append(f"{conversation.title} (already imported as {existing.slug})")
        return
    if existing is not None:
        post = existing
        post.turns.clear()
        db.session.flush()
        # New text needs a new review before anyone reads it.
        post.status = "draft"
        report.updated.append(post)
    else:
        post = Post(
            slug=unique_slug(slugify(conversation.title)),
            author=author,
            license="",
            status="draft",
        )
        db.session.add(post)
        report.created.append(post)
    post.title = (conversation.title or "Untitled conversation")[:300]
    post.summary = conversation.summary or post.summary or ""
    post.source_kind = conversation.source_kind
    post.source_id = conversation.source_id
    post.content_hash = conversation.content_hash()
    post.model_name = (conversation.model or "")[:200]
    post.conversation_at = conversation.created_at
    post.updated_at = utcnow()
    if conversation.tags:
        post.tags = tags_named(conversation.tags)
    db.session.flush()
    rows = [turn_row(post, position, turn) for position, turn in enumerate(conversation.turns)]
    db.session.execute(insert(Turn), rows)
    report.turns += len(rows)
    if report.turns <= current_app.config.get("IMPORT_SCAN_MAX_TURNS", 5000):
        warn_about_findings(post, rows, report)
    db.session.expire(post, ["turns"])


def warn_about_findings(post: Post, rows: list[dict], report: ImportReport) -> None:
    """Scan the visible turns now, so the author hears about private data before publishing."""
    kinds: dict[str, int] = {}
    for row in rows:
        if not row["excluded"]:
            for finding in scan_text(row["source"]):
                kinds[finding.label] = kinds.get(finding.label, 0) + 1
    if kinds:
        listed = ", ".join(f"{count} {label}" for label, count in sorted(kinds.items()))
        report.warnings.append(f"{post.title} ({post.slug}): {listed}")


def turn_row(post: Post, position: int, turn) -> dict:
    text = store_attachments(post, turn) if turn.attachments else turn.text
    return {
        "post_id": post.id,
        "position": position,
        "role": turn.role,
        "speaker": (turn.speaker or "")[:200],
        "model": (turn.model or "")[:200],
        "source": text,
        "html": None,  # rendered on first view or at publish, never in the import request
        "original_source": text,
        "alternatives_json": json.dumps(turn.alternatives, ensure_ascii=False),
        "reviewed": turn.role not in AI_ROLES,
        "excluded": turn.hidden,
        "created_at": turn.created_at,
        "version": 1,
    }


def store_attachments(post: Post, turn) -> str:
    """Save the turn's files as assets and point its Markdown at them."""
    urls: list[str | None] = []
    for attachment in turn.attachments:
        if attachment.data is None:
            urls.append(None)
            continue
        name = safe_asset_name(attachment.name, attachment.mime_type)
        asset = Asset(
            post_id=post.id, name=name, mime_type=attachment.mime_type, data=attachment.data
        )
        db.session.add(asset)
        db.session.flush()
        urls.append(f"/assets/{asset.id}/{name}")

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
