"""Taking everything out: every post as Markdown and JSON, or the public site as static HTML."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from .extensions import db
from .formats.writing import to_json, to_markdown
from .mirror import export_site
from .models import Post
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
