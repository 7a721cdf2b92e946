"""Files kept with a post (`Asset`): an import's attachments stored and linked from their
turn, the placeholder written where an export left a file out, and the names and URLs assets
are served under (the editor's uploads, `images.py`, are stored under the same rules)."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from flask import current_app
from sqlalchemy import insert

from ..assets import HEAD_BYTES, asset_file_name
from ..extensions import db
from ..formats.base import ImportedTurn
from ..formats.blocks import ATTACHMENT_REF
from ..models import Asset, utcnow

MISSING_IMAGE = re.compile(r"!\[([^\]]*)\]\(#image-not-included\)")
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
        urls.append(asset_path(asset_id, name))

    def point(m: re.Match[str]) -> str:
        index = int(m.group(1))
        url = urls[index] if index < len(urls) else None
        return f"]({url})" if url else "](#image-not-included)"

    text = ATTACHMENT_REF.sub(point, turn.text)
    # A missing file is shown as a clear placeholder, never as a broken image.
    return MISSING_IMAGE.sub(lambda m: placeholder(m.group(1)), text)


def asset_path(asset_id: int, name: str) -> str:
    """The reader's URL of a stored asset, as a path (imports also run outside any request)."""
    urls = current_app.url_map.bind("")
    return urls.build("public.asset", {"asset_id": asset_id, "name": name})


def safe_asset_name(name: str, mime_type: str, data: bytes) -> str:
    """The name an asset is stored, linked and mirrored under: the file's own, tidied, with
    the extension of its type; `.bin` added unless that names a real image or a document."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip(".-")[:80] or "file"
    extension = mimetypes.guess_extension(mime_type) or ""
    tidy = stem if not extension or stem.endswith(extension) else stem + extension
    # The same rule as the mirror's, so a static copy of the site has the file its page links.
    return asset_file_name(tidy, data[:HEAD_BYTES])
