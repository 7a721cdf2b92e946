"""Taking everything out: every post as Markdown and JSON, or the public site as static HTML."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from .exporters import to_json, to_markdown
from .extensions import db
from .mirror import export_site
from .models import Asset, Post
from .posts import as_conversation


def all_posts() -> list[Post]:
    return list(db.session.scalars(select(Post).order_by(Post.id)))


def export_posts(directory: Path) -> int:
    """Write every post (drafts included) as `<slug>.md` and `<slug>.json`; returns the count."""
    directory.mkdir(parents=True, exist_ok=True)
    posts = all_posts()
    for post in posts:
        conversation = as_conversation(post, include_hidden=True)
        (directory / f"{post.slug}.md").write_text(to_markdown(conversation), encoding="utf-8")
        (directory / f"{post.slug}.json").write_text(to_json(conversation), encoding="utf-8")
    return len(posts)


def export_zip() -> bytes:
    """Every post as Markdown and JSON, zipped, for the editor's download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for post in all_posts():
            conversation = as_conversation(post, include_hidden=True)
            archive.writestr(f"colloquy-export/{post.slug}.md", to_markdown(conversation))
            archive.writestr(f"colloquy-export/{post.slug}.json", to_json(conversation))
    return buffer.getvalue()


def export_static(app: Flask, directory: Path) -> int:
    """Render the public site to static files, feeds and images included: the mirror's build."""
    return export_site(app, directory)


ASSET_SLICE = 256 * 1024


def asset_chunks(asset_id: int, size: int) -> Iterator[bytes]:
    """An asset's bytes in slices read one query at a time (SQL `substr` on the blob,
    the same in SQLite and PostgreSQL), so memory stays bounded whatever the size."""
    # Each slice has its own short connection from the engine taken now: the generator
    # outlives the request's session and context, and a reader who stops early leaves
    # nothing open.
    return _slices(db.engine, asset_id, size)


def _slices(engine, asset_id: int, size: int) -> Iterator[bytes]:
    for start in range(1, size + 1, ASSET_SLICE):  # SQL counts from 1
        with engine.connect() as connection:
            piece = connection.scalar(
                select(func.substr(Asset.data, start, ASSET_SLICE)).where(Asset.id == asset_id)
            )
        if piece is None:
            return  # deleted while being sent
        yield bytes(piece)
