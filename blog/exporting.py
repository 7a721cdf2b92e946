"""Taking everything out: every post as Markdown and JSON, or the public site as static HTML."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, url_for
from sqlalchemy import func, select

from .exporters import to_json, to_markdown
from .extensions import db
from .importers.archive import sniff_image_type
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
        paths, assets = public_paths()
    client = app.test_client()
    written = 0
    for path in paths:
        response = client.get(path, base_url=base_url)
        if response.status_code != 200:
            continue
        body = response.data
        for old, (_, new) in assets.items():
            body = body.replace(old.encode(), f"{old.rsplit('/', 1)[0]}/{new}".encode())
        target = static_target(directory, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        written += 1
    for old, (asset_id, new) in assets.items():
        target = static_target(directory, f"{old.rsplit('/', 1)[0]}/{new}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            for chunk in asset_chunks(asset_id, asset_size(asset_id)):
                out.write(chunk)
        written += 1
    shutil.copytree(app.static_folder, directory / "static", dirs_exist_ok=True)
    return written


def public_paths() -> tuple[list[str], dict[str, tuple[int, str]]]:
    """The path of every public page, as the URL map builds it (request context), and each
    public asset's path with its id and exported file name."""
    paths = [url_for(endpoint) for endpoint in STATIC_PAGES]
    assets: dict[str, tuple[int, str]] = {}
    for post in db.session.scalars(published_posts()):
        paths += [
            url_for(endpoint, slug=post.slug)
            for endpoint in ("public.post", "public.post_markdown", "public.post_json")
        ]
        for asset_id, name in db.session.execute(
            select(Asset.id, Asset.name).where(Asset.post_id == post.id)
        ):
            path = url_for("public.asset", asset_id=asset_id, name=name)
            assets[path] = (asset_id, static_asset_name(asset_id, name))
    for tag in db.session.scalars(select(Tag).where(Tag.id.in_(published_tag_ids()))):
        paths += [url_for("public.tag", slug=tag.slug), url_for("public.tag_rss", slug=tag.slug)]
    return paths, assets


IMAGE_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


def static_asset_name(asset_id: int, name: str) -> str:
    """The exported file name: real images (by their bytes) keep an image extension; any
    other file becomes `.bin`, so no static host can serve it as HTML or SVG."""
    head = db.session.scalar(select(func.substr(Asset.data, 1, 16)).where(Asset.id == asset_id))
    image = sniff_image_type(bytes(head or b""))
    stem = Path(name).name.replace(".", "-").strip("-") or "file"
    if image:
        extension = IMAGE_EXTENSIONS[image]
        if Path(name).suffix.lower() in (extension, ".jpeg" if extension == ".jpg" else extension):
            return Path(name).name
        return stem + extension
    return stem + ".bin"


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


def asset_size(asset_id: int) -> int:
    return db.session.scalar(select(func.length(Asset.data)).where(Asset.id == asset_id)) or 0


def static_target(directory: Path, path: str) -> Path:
    """`/posts/x` → `posts/x/index.html`; files with an extension keep their name."""
    relative = path.strip("/")
    if not relative:
        return directory / "index.html"
    if "." in Path(relative).name:
        return directory / relative
    return directory / relative / "index.html"
