"""Files kept with a post (`Asset`): an import's attachments stored and linked from their
turn, the placeholder written where an export left a file out, and the names and URLs assets
are served under (the editor's uploads, `images.py`, are stored under the same rules)."""

from __future__ import annotations

import json
import mimetypes
import re
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, update

from ..assets import HEAD_BYTES, asset_file_name
from ..extensions import db
from ..formats.base import ImportedTurn
from ..formats.blocks import ATTACHMENT_REF
from ..models import Asset, Post, new_asset_token, utcnow

MISSING_IMAGE = re.compile(r"!\[([^\]]*)\]\(#image-not-included\)")
# The token of an asset link, in a turn's Markdown or HTML (tokens are URL-safe base64).
ASSET_TOKEN = re.compile(r"/assets/([A-Za-z0-9_-]{16,})/")
# What `placeholder` writes, read back where the editor offers to upload the missing image.
PLACEHOLDER = re.compile(r"\*\[Image not included in the export(?:: ([^\]\n]*))?\]\*")


def placeholder(name: str) -> str:
    """The Markdown shown where an export left an image out."""
    return f"*[Image not included in the export{': ' + name if name else ''}]*"


def placeholders(source: str) -> list[tuple[str, str]]:
    """The "image not included" placeholders in a turn's text: (exact text, image name)."""
    return [(m.group(0), m.group(1) or "") for m in PLACEHOLDER.finditer(source)]


def store_attachments(post_id: int, turn: ImportedTurn) -> str:
    """Save the turn's files as assets and point its Markdown at them."""
    urls: list[str | None] = []
    for attachment in turn.attachments:
        if attachment.data is None:
            urls.append(None)
            continue
        name = safe_asset_name(attachment.name, attachment.mime_type, attachment.data)
        token = new_asset_token()
        db.session.connection().execute(
            insert(Asset).values(
                post_id=post_id,
                token=token,
                name=name,
                mime_type=attachment.mime_type,
                data=attachment.data,
                created_at=utcnow(),
            )
        )
        urls.append(asset_path(token, name))

    def point(m: re.Match[str]) -> str:
        index = int(m.group(1))
        url = urls[index] if index < len(urls) else None
        return f"]({url})" if url else "](#image-not-included)"

    text = ATTACHMENT_REF.sub(point, turn.text)
    # A missing file is shown as a clear placeholder, never as a broken image.
    return MISSING_IMAGE.sub(lambda m: placeholder(m.group(1)), text)


def asset_path(token: str, name: str) -> str:
    """The reader's URL of a stored asset, as a path (imports also run outside any request)."""
    urls = current_app.url_map.bind("")
    return urls.build("public.asset", {"token": token, "name": name})


def publish_assets(post: Post) -> None:
    """Let readers fetch exactly the post's assets that its published revision shows in a
    visible turn (caller commits): a file only the working copy shows stays the author's
    until the Update that publishes it."""
    revision = post.published_revision
    turns = json.loads(revision.data).get("turns", []) if revision is not None else []
    shown: set[str] = set()
    for turn in turns:
        if not turn.get("excluded"):
            shown.update(ASSET_TOKEN.findall(turn.get("source") or ""))
            shown.update(ASSET_TOKEN.findall(turn.get("html") or ""))
    db.session.execute(
        update(Asset)
        .where(Asset.post_id == post.id)
        .values(published=Asset.token.in_(sorted(shown)))
        .execution_options(synchronize_session=False)
    )


def safe_asset_name(name: str, mime_type: str, data: bytes) -> str:
    """The name an asset is stored, linked and mirrored under: the file's own, tidied, with
    the extension of its type; `.bin` added unless that names a real image or a document."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip(".-")[:80] or "file"
    extension = mimetypes.guess_extension(mime_type) or ""
    tidy = stem if not extension or stem.endswith(extension) else stem + extension
    # The same rule as the mirror's, so a static copy of the site has the file its page links.
    return asset_file_name(tidy, data[:HEAD_BYTES])
