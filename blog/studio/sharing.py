"""Private preview links: the author makes and revokes them; anyone holding one reads the draft.

The reader's page is the public post template over the working copy (`posts.working_view`,
stored HTML only), marked "Preview — not published", never indexed and never stored by any
cache: not the page cache (its prefix is uncached, and it stores nothing marked no-store),
not the static mirror (which writes no page marked no-store), not a proxy or the browser.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import posts as content
from ..assets import file_response
from ..extensions import db
from ..post_page import render_post_page
from . import studio_blueprint
from .editor import editor_url, is_htmx, load_post

bp = studio_blueprint("studio_sharing", __name__, "/studio/posts/<int:post_id>/preview-links")

# The page at a link is for whoever holds it, signed in or not.
link_bp = Blueprint("shared_preview", __name__, url_prefix="/preview")


@bp.errorhandler(content.ContentError)
def refused(error: content.ContentError):
    """A link the service would not make or revoke: the reason, beside the links."""
    db.session.rollback()
    post = load_post((request.view_args or {})["post_id"])
    if is_htmx():
        return render_template(
            "partials/preview_links.html",
            post=post,
            preview_links=content.preview_links(post),
            links_error=str(error),
        )
    flash(str(error), "error")
    return redirect(editor_url(post, anchor="preview-links"), code=303)


def links_answer(post, message: str):
    """The links fragment for htmx, else flash and back to the publish panel."""
    if is_htmx():
        return render_template(
            "partials/preview_links.html",
            post=post,
            preview_links=content.preview_links(post),
            links_message=message,
        )
    flash(message, "success")
    return redirect(editor_url(post, anchor="preview-links"), code=303)


@bp.post("")
def create(post_id: int):
    """Make a new private link to the post's working copy."""
    post = load_post(post_id)
    content.create_preview_link(post)
    return links_answer(
        post, "Preview link made: anyone with it can read this post until you revoke it."
    )


@bp.post("/<int:link_id>/revoke")
def revoke(post_id: int, link_id: int):
    """Revoke a link: its address answers 404 from now on."""
    post = load_post(post_id)
    content.revoke_preview_link(post, link_id)
    return links_answer(post, "Preview link revoked: it no longer works.")


@link_bp.get("/<token>")
def show(token: str):
    """The post's working copy as readers would see it, for whoever holds the link."""
    post = content.post_for_preview(token)
    if post is None:
        abort(404)
    files_at = url_for("shared_preview.show", token=token) + "/assets/"
    return render_post_page(content.shared_view(post, files_at), preview=True, shared=True)


@link_bp.get("/<token>/assets/<file_token>/<name>")
def preview_file(token: str, file_token: str, name: str):
    """A file the draft shows, for whoever holds the link (a draft's files are not public)."""
    post = content.post_for_preview(token)
    found = content.shared_file(post, file_token, name) if post is not None else None
    if found is None:
        abort(404)
    return file_response(found, public=False)


@link_bp.after_request
def private(response: Response) -> Response:
    # Every answer at a link, its 404 after a revoke included: only for this browser, never
    # indexed, and the address never sent on as a Referer when a reader follows a link.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
