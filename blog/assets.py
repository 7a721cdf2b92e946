"""An asset's bytes: streamed from the database in slices, and named by what they really are."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Response
from sqlalchemy import func, select

from .extensions import db
from .formats.archive import sniff_image_type
from .models import Asset

ASSET_SLICE = 256 * 1024
# Enough of the start of a file for `sniff_image_type` (WebP's mark ends at byte 12).
HEAD_BYTES = 16
IMAGE_EXTENSIONS = {
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
}


# Images a browser may show in a page; any other file is only ever sent as a download.
INLINE_IMAGE_TYPES = frozenset(IMAGE_EXTENSIONS)


@dataclass(frozen=True)
class StoredFile:
    """An asset's row without its bytes: what deciding and answering a request needs."""

    id: int
    post_id: int
    name: str
    mime_type: str
    published: bool
    size: int


def find_file(token: str, name: str) -> StoredFile | None:
    """The asset at `/assets/<token>/<name>`, or None (the name is part of the address: a
    right token under another name finds nothing)."""
    found = db.session.execute(
        select(
            Asset.id,
            Asset.post_id,
            Asset.name,
            Asset.mime_type,
            Asset.published,
            func.length(Asset.data),
        ).where(Asset.token == token)
    ).first()
    if found is None or found.name != name:
        return None
    asset_id, post_id, stored_name, mime_type, published, size = found
    return StoredFile(asset_id, post_id, stored_name, mime_type, bool(published), size or 0)


def file_response(found: StoredFile, *, public: bool) -> Response:
    """The file streamed in slices: an image inline, anything else as a download, sandboxed;
    `public` files may be cached briefly, others are kept by no cache."""
    body = asset_chunks(found.id, found.size)
    if found.mime_type in INLINE_IMAGE_TYPES:
        response = Response(body, mimetype=found.mime_type)
        response.headers["Content-Disposition"] = "inline"
    else:
        # Anything else (an uploaded document, an SVG, HTML) is only ever a download.
        response = Response(body, mimetype="application/octet-stream")
        response.headers["Content-Disposition"] = "attachment"
    response.headers["Content-Length"] = str(found.size)
    if public:
        # Short: an unpublished post's images must leave caches soon after it does.
        response.headers["Cache-Control"] = "public, max-age=300"
    else:
        response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


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


# Files other than images that keep their extension: documents a browser shows as text or
# hands to a viewer, never a page, a script, an image it would render or a program. The
# proxy configs in deploy/ send every mirrored asset but images as a download besides.
TEXT_EXTENSIONS = frozenset({".txt", ".md", ".csv", ".tsv", ".json", ".log"})
# Binary documents keep theirs only when their bytes start as that format does: an export
# may carry a PDF's extracted text under the PDF's name.
ZIP = b"PK\x03\x04"
DOCUMENT_MAGIC = {".pdf": b"%PDF-", ".zip": ZIP, ".docx": ZIP, ".xlsx": ZIP, ".pptx": ZIP}
DOCUMENT_MAGIC |= {".odt": ZIP, ".ods": ZIP, ".odp": ZIP}
# What anything else ends with: every server calls it application/octet-stream.
NEUTRAL_EXTENSION = ".bin"


def asset_file_name(name: str, head: bytes) -> str:
    """The name an asset is linked and written under: a real image, a text file or a real
    document keeps its name; anything else gets `.bin`, so no server renders or runs it.

    `head` is the start of the file (at least `HEAD_BYTES`), read for its magic bytes. The
    result is its own answer (`asset_file_name(asset_file_name(n, h), h)` is the same), so
    the name an import links is the file the mirror writes.
    """
    suffix = Path(name).suffix.lower()
    if suffix in IMAGE_EXTENSIONS.get(sniff_image_type(head) or "", ()):
        return name
    if suffix in TEXT_EXTENSIONS or suffix == NEUTRAL_EXTENSION:
        return name
    if suffix in DOCUMENT_MAGIC and head.startswith(DOCUMENT_MAGIC[suffix]):
        return name
    return name + NEUTRAL_EXTENSION
