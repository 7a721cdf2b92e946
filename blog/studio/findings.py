"""A post's privacy findings a kind at a time (sign-in required): redact every street address,
phone number… after a preview of each change, or keep them all with one reason.

The single-finding Redact and Keep stay in `turns.py`; these are for the conversation with a
hundred addresses, where one click per finding is no review.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request

from .. import posts as content
from ..extensions import db
from ..scan import LABELS
from . import studio_blueprint
from .editor import editor_url, load_post

bp = studio_blueprint("studio_findings", __name__, "/studio/posts/<int:post_id>/findings")

PREVIEW_LIMIT = 1000  # occurrences listed on the preview page; the count says the rest


def known_kind(kind: str) -> str:
    """The kind named by the URL, or 404 for a kind the scanner has never reported."""
    if kind not in LABELS:
        abort(404)
    return kind


@bp.get("/<kind>/redact")
def preview_redaction(post_id: int, kind: str):
    """Every open finding of one kind, before and after redaction, to confirm (nothing changes)."""
    post = load_post(post_id)
    plan = content.redaction_plan([post], known_kind(kind))
    if not plan:
        flash(f"No {content.plural_label(kind)} are left to redact in this post.", "success")
        return redirect(editor_url(post, anchor="privacy"), code=303)
    return render_template(
        "studio/redact_kind.html",
        post=post,
        kind=kind,
        kind_count=content.counted(len(plan), kind),
        plan=plan[:PREVIEW_LIMIT],
        total=len(plan),
    )


@bp.post("/<kind>/redact")
def redact_kind(post_id: int, kind: str):
    """Redact every open finding of one kind in the post, as the preview showed."""
    post = load_post(post_id)
    count = content.redact_kind([post], known_kind(kind))
    flash(f"Redacted {content.counted(count, kind)}.", "success")
    return redirect(editor_url(post, anchor="privacy"), code=303)


@bp.post("/<kind>/keep")
def keep_kind(post_id: int, kind: str):
    """Keep every open finding of one kind in the post, with the author's one reason."""
    post = load_post(post_id)
    try:
        count = content.keep_kind([post], known_kind(kind), request.form.get("reason", ""))
    except content.ContentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(editor_url(post, anchor="privacy"), code=303)
    flash(f"Kept {content.counted(count, kind)}, with your reason recorded.", "success")
    return redirect(editor_url(post, anchor="privacy"), code=303)
