"""Taking everything out: every post as Markdown and JSON, or the public site as static HTML."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from flask import Flask, url_for
from sqlalchemy import select

from .exporters import to_json, to_markdown
from .extensions import db
from .models import Asset, Post, Tag
from .posts import as_conversation, published_posts, published_tag_ids

STATIC_PAGES = (
    "public.index",
    "public.archive",
    "public.license_page",
    "public.rss",
    "public.atom",
    "public.sitemap",
    "public.robots",
)


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
    """Render the public site to static files, feeds included; returns the number of files."""
    directory.mkdir(parents=True, exist_ok=True)
    base_url = app.config.get("SITE_URL") or "http://localhost"
    # Paths relative to the site's root: the client below adds the base URL's own prefix.
    with app.test_request_context():
        paths = public_paths()
    client = app.test_client()
    written = 0
    for path in paths:
        response = client.get(path, base_url=base_url)
        if response.status_code != 200:
            continue
        target = static_target(directory, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.data)
        written += 1
    shutil.copytree(app.static_folder, directory / "static", dirs_exist_ok=True)
    return written


def public_paths() -> list[str]:
    """The path of every public page and file, as the URL map builds it (request context)."""
    paths = [url_for(endpoint) for endpoint in STATIC_PAGES]
    for post in db.session.scalars(published_posts()):
        paths += [
            url_for(endpoint, slug=post.slug)
            for endpoint in ("public.post", "public.post_markdown", "public.post_json")
        ]
        assets = db.session.scalars(select(Asset).where(Asset.post_id == post.id))
        paths += [url_for("public.asset", asset_id=a.id, name=a.name) for a in assets]
    for tag in db.session.scalars(select(Tag).where(Tag.id.in_(published_tag_ids()))):
        paths += [url_for("public.tag", slug=tag.slug), url_for("public.tag_rss", slug=tag.slug)]
    return paths


def static_target(directory: Path, path: str) -> Path:
    """`/posts/x` → `posts/x/index.html`; files with an extension keep their name."""
    relative = path.strip("/")
    if not relative:
        return directory / "index.html"
    if "." in Path(relative).name:
        return directory / relative
    return directory / relative / "index.html"
