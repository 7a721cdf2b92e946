"""Images uploaded in the editor: stored with the post, answered with their Markdown."""

from __future__ import annotations

from flask import current_app, jsonify, request

from .. import posts as content
from ..extensions import db
from ..request_limits import body_limit
from . import studio_blueprint
from .editor import load_post

bp = studio_blueprint("studio_images", __name__, "/studio/posts")


@bp.app_template_filter("image_placeholders")
def image_placeholders(source: str) -> list[tuple[str, str]]:
    """The editor's "Replace with an image" controls, one per placeholder in the text."""
    return content.placeholders(source or "")


@bp.post("/<int:post_id>/images")
@body_limit("image")
def upload_image(post_id: int):
    """Store one image for the post (re-encoded, metadata removed); its Markdown reference."""
    post = load_post(post_id)
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return jsonify(error="Choose an image file to upload."), 400
    limit = current_app.config["MAX_UPLOAD_IMAGE_BYTES"]
    # One byte past the limit is enough to know the file is too big; the rest is never read.
    data = upload.stream.read(limit + 1)
    try:
        stored = content.store_image(
            post,
            upload.filename,
            data,
            alt=request.form.get("alt", ""),
            max_bytes=limit,
            max_pixels=current_app.config["MAX_UPLOAD_IMAGE_PIXELS"],
        )
    except content.ImageRefused as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), exc.status
    return jsonify(
        markdown=stored.markdown,
        url=stored.url,
        message="Image added. Location and camera data were removed. Save the turn to keep it.",
    ), 201
