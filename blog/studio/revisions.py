"""The author's revisions of a post: the list, a comparison, restoring one, and the preview."""

from __future__ import annotations

import json

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import posts as content
from ..models import Post
from ..post_page import render_post_page
from . import studio_blueprint
from .editor import load_post

bp = studio_blueprint("studio_revisions", __name__, "/studio/posts/<int:post_id>")

WORKING = "working"


@bp.get("/preview")
def preview(post_id: int):
    """The draft or working copy rendered as readers would see it after Publish or Update."""
    post = load_post(post_id)
    return make_response(render_post_page(content.working_view(post), preview=True))


@bp.get("/revisions")
def revisions(post_id: int):
    """Every revision kept by Publish and Update, newest first."""
    post = load_post(post_id)
    return render_template(
        "studio/revisions.html",
        post=post,
        revisions=content.revisions_of(post),
        staged=content.has_staged_changes(post),
    )


def version(post: Post, choice: str) -> tuple[str, dict]:
    """A revision by id, or the working copy: its name and its data."""
    if choice == WORKING:
        return "working copy", content.snapshot(post)
    try:
        revision = content.get_revision(post, int(choice))
    except (ValueError, content.ContentError):
        abort(404)
    return f"revision {revision.number}", json.loads(revision.data)


@bp.get("/revisions/compare")
def compare(post_id: int):
    """The changes between two revisions (or a revision and the working copy)."""
    post = load_post(post_id)
    before = version(post, request.args.get("a", ""))
    after = version(post, request.args.get("b", WORKING))
    return render_template(
        "studio/revision_compare.html", post=post, comparison=content.compare(before, after)
    )


@bp.post("/revisions/<int:revision_id>/restore")
def restore(post_id: int, revision_id: int):
    """Load a revision into the working copy; readers see it once the author presses Update."""
    post = load_post(post_id)
    try:
        revision = content.get_revision(post, revision_id)
    except content.ContentError:
        abort(404)
    content.restore(post, revision)
    if post.is_reachable:
        message = (
            f"Revision {revision.number} is now your working copy. Readers still see the "
            "published version until you press Update."
        )
    else:
        message = f"Revision {revision.number} is now your draft."
    flash(message, "success")
    return redirect(url_for("studio.edit_post", post_id=post.id, _anchor="publish"), code=303)
