"""Images the author uploads in the editor: checked, re-encoded without metadata, stored.

An upload is decoded and written again from its pixels alone, so nothing the camera or phone
put in the file (EXIF with GPS position and camera serial, XMP, ICC profiles, text chunks)
reaches readers. Only the formats browsers show inline are accepted; SVG is refused because
it is a document that can carry scripts, not a picture.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from ..extensions import db
from ..models import Asset, Post, new_asset_token, utcnow
from .assets import asset_path, safe_asset_name
from .errors import ContentError

# Pillow format name → the type it is stored and served as.
UPLOAD_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
ACCEPTED = "PNG, JPEG, GIF or WebP"
SVG_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE svg|<svg)", re.I | re.S
)
ALT_SPECIALS = re.compile(r"([\\\[\]])")
EXIF_ORIENTATION = 0x0112
# The EXIF orientation values and the turn that puts each picture upright (as ImageOps does).
ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageRefused(ContentError):
    """An upload that is not stored; `status` is the HTTP answer that fits."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    mime_type: str
    width: int
    height: int


@dataclass(frozen=True)
class StoredImage:
    asset_id: int
    url: str
    markdown: str


def clean_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """The upload decoded and encoded again in its own format, with no metadata at all."""
    if len(data) > max_bytes:
        raise ImageRefused(
            f"The image is {megabytes(len(data))}; the largest accepted is {megabytes(max_bytes)}.",
            413,
        )
    if SVG_START.match(data[:4096]):
        raise ImageRefused(
            f"SVG images are not accepted (they can carry scripts). Upload a {ACCEPTED} image.",
            415,
        )
    with open_image(data, max_pixels) as source:
        kind = source.format
        orientation = source.getexif().get(EXIF_ORIENTATION)
        frames = [frame_pixels(frame) for frame in ImageSequence.Iterator(source)]
        timing = {key: source.info[key] for key in ("duration", "loop") if key in source.info}
    first = upright(frames[0], orientation) if orientation in ORIENTATIONS else frames[0]
    out = io.BytesIO()
    if kind == "JPEG":
        first.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
    elif len(frames) > 1:
        first.save(out, kind, save_all=True, append_images=frames[1:], **timing)
    elif kind == "WEBP":
        first.save(out, "WEBP", quality=90)
    else:
        first.save(out, kind, optimize=True)
    return CleanImage(out.getvalue(), UPLOAD_FORMATS[kind], first.width, first.height)


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """The image, its header checked against the limits before any pixel is decoded."""
    try:
        probe = Image.open(io.BytesIO(data), formats=list(UPLOAD_FORMATS))
    except UnidentifiedImageError:
        raise ImageRefused(f"This file is not a {ACCEPTED} image.", 415) from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageRefused(f"The image could not be read: {exc}.") from None
    width, height = probe.size
    frames = getattr(probe, "n_frames", 1)
    if width * height * frames > max_pixels:
        probe.close()
        raise ImageRefused(
            f"The image is {width} × {height} pixels{f' × {frames} frames' if frames > 1 else ''}; "
            f"the most accepted is {max_pixels / 1_000_000:g} megapixels. Make it smaller first."
        )
    try:
        probe.verify()
        image = Image.open(io.BytesIO(data), formats=[probe.format])
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(f"The image is damaged or incomplete: {exc}.") from None
    finally:
        probe.close()
    return image


def frame_pixels(frame: Image.Image) -> Image.Image:
    """A new image holding only the frame's pixels (and palette): no metadata can follow."""
    clean = Image.frombytes(frame.mode, frame.size, frame.tobytes())
    if frame.mode in ("P", "PA"):
        clean.putpalette(frame.getpalette())
        if "transparency" in frame.info:
            clean.info["transparency"] = frame.info["transparency"]
    return clean


def upright(image: Image.Image, orientation: int) -> Image.Image:
    """The picture turned as the camera's orientation tag says (the tag itself is not kept)."""
    return image.transpose(ORIENTATIONS[orientation])


def store_image(
    post: Post, filename: str, data: bytes, *, alt: str, max_bytes: int, max_pixels: int
) -> StoredImage:
    """Clean and store an uploaded image with the post; its Markdown reference to insert."""
    image = clean_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    name = safe_asset_name(Path(filename or "image").stem, image.mime_type, image.data)
    asset = Asset(
        post_id=post.id,
        token=new_asset_token(),
        name=name,
        mime_type=image.mime_type,
        data=image.data,
        created_at=utcnow(),
    )
    db.session.add(asset)
    db.session.commit()
    # Private until an Update (or Publish) shows it: the post may already be public.
    url = asset_path(asset.token, name)
    alt = " ".join((alt or Path(filename or "").stem or "Image").split())[:200]
    escaped = ALT_SPECIALS.sub(r"\\\1", alt)
    return StoredImage(asset.id, url, f"![{escaped}]({url})")


def megabytes(size: int) -> str:
    if size < 100 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
