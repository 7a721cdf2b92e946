"""The author's changes to many posts at once, and past imports with their undo: every change
is shown on a confirmation page (a read-only GET) before a POST does it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from .. import posts as content
from ..extensions import db
from ..request_limits import body_limit
from ..scan import LABELS
from ..wording import counted
from . import studio_blueprint

bp = studio_blueprint("studio_bulk", __name__, "/studio")

VERBS = {
    "delete": "Delete",
    "tag": "Add the tag",
    "series": "Add to the series",
    "redact": "Redact",
    "keep": "Keep",
}
# Actions over one kind of privacy finding in every chosen post.
FINDING_ACTIONS = ("redact", "keep")
PREVIEW_LIMIT = 500  # occurrences shown on the confirmation page; the count says the rest


@bp.errorhandler(content.ContentError)
def refused(error: content.ContentError):
    """A change the content service refused: nothing done, the reason shown."""
    db.session.rollback()
    flash(str(error), "error")
    return redirect(back_url(), code=303)


def back_url() -> str:
    """Where to return: the dashboard as the author left it (studio paths only)."""
    back = request.values.get("back", "")
    if back.startswith("/studio/") and not back.startswith("//") and "\\" not in back:
        return back
    return url_for("studio.dashboard")


def chosen_ids() -> list[int]:
    """The posts the author ticked, or every post on the page for “all on this page”."""
    if request.values.get("scope") == "page":
        raw = request.values.get("page_ids", "").split(",")
    else:
        raw = request.values.getlist("post")
    return [int(value) for value in raw if value.strip().isdigit()]


@bp.get("/bulk")
def confirm():
    """What the chosen bulk action will do, to confirm (nothing changes here)."""
    action = request.args.get("action", "")
    if action not in content.ACTIONS + FINDING_ACTIONS:
        abort(400)
    posts = content.listed(chosen_ids())
    if not posts:
        flash("Tick at least one post first.", "error")
        return redirect(back_url(), code=303)
    value = request.args.get("value", "").strip()
    if action in FINDING_ACTIONS:
        return confirm_findings(action, posts, value)
    if action != "delete" and not value:
        flash(f"Name the {action} to add the posts to.", "error")
        return redirect(back_url(), code=303)
    return render_template(
        "studio/bulk_confirm.html",
        action=action,
        verb=VERBS[action],
        value=value,
        posts=posts,
        published=[post for post in posts if post.is_reachable],
        back=back_url(),
    )


def confirm_findings(action: str, posts: list, value: str):
    """The confirmation of redacting or keeping one kind of finding in the chosen posts."""
    kind = request.args.get("kind", "")
    if kind not in LABELS:
        flash("Choose a kind of finding from the list.", "error")
        return redirect(back_url(), code=303)
    if action == "keep" and not value:
        flash("Write the reason these findings may stay in “Tag, series or reason”.", "error")
        return redirect(back_url(), code=303)
    chosen = content.posts_with_ids(post.id for post in posts)
    plan = content.redaction_plan(chosen, kind)
    counts: dict[int, int] = {}
    for item in plan:
        counts[item.post.id] = counts.get(item.post.id, 0) + 1
    return render_template(
        "studio/bulk_confirm.html",
        action=action,
        verb=VERBS[action],
        value=value,
        kind=kind,
        kind_plural=content.plural_label(kind),
        kind_label=LABELS[kind],
        kind_count=content.counted(len(plan), kind),
        posts=[post for post in posts if post.id in counts],
        without=[post for post in posts if post.id not in counts],
        counts=counts,
        plan=plan[:PREVIEW_LIMIT],
        total=len(plan),
        published=[post for post in posts if post.is_reachable and post.id in counts],
        back=back_url(),
    )


@bp.post("/bulk")
@body_limit("text")
def apply():
    """Do the confirmed bulk action through the posts service."""
    posts = content.listed(int(v) for v in request.form.getlist("post") if v.isdigit())
    action = request.form.get("action", "")
    if action not in content.ACTIONS + FINDING_ACTIONS or not posts:
        abort(400)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm.", "error")
        return redirect(back_url(), code=303)
    value = request.form.get("value", "")
    if action in FINDING_ACTIONS:
        chosen = content.posts_with_ids(post.id for post in posts)
        kind = request.form.get("kind", "")
        if action == "redact":
            count = content.redact_kind(chosen, kind)
            flash(f"Redacted {content.counted(count, kind)}.", "success")
        else:
            count = content.keep_kind(chosen, kind, value)
            flash(f"Kept {content.counted(count, kind)}, with your reason.", "success")
        return redirect(back_url(), code=303)
    if action == "delete":
        count = content.delete_posts(
            posts, include_published=request.form.get("include_published") == "yes"
        )
        flash(f"Deleted {counted(count, 'post')}.", "success")
    elif action == "tag":
        count = content.tag_posts(posts, value)
        flash(f"Tagged {counted(count, 'post')} “{value.strip()}”.", "success")
    else:
        count = content.add_to_series(posts, value)
        flash(f"Added {counted(count, 'post')} to the series “{value.strip()}”.", "success")
    return redirect(back_url(), code=303)


@bp.get("/imports")
def imports():
    """Past imports, newest first, each with its posts and its undo."""
    return render_template("studio/imports.html", batches=content.recent_batches())


@bp.get("/imports/<int:batch_id>/undo")
def confirm_undo(batch_id: int):
    """What undoing an import deletes and what it leaves, to confirm."""
    try:
        batch = content.get_batch(batch_id)
    except content.ContentError:
        abort(404)
    return render_template("studio/undo_import.html", plan=content.undo_plan(batch))


@bp.post("/imports/<int:batch_id>/undo")
def undo(batch_id: int):
    """Delete exactly the posts an import created."""
    try:
        batch = content.get_batch(batch_id)
    except content.ContentError:
        abort(404)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm undoing the import.", "error")
        return redirect(url_for("studio_bulk.confirm_undo", batch_id=batch_id), code=303)
    try:
        plan = content.undo_import(
            batch, include_published=request.form.get("include_published") == "yes"
        )
    except content.ContentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("studio_bulk.confirm_undo", batch_id=batch_id), code=303)
    flash(
        f"Undid import #{batch_id}: deleted {counted(len(plan.deleted), 'post')}"
        + (f"; the {len(plan.kept)} it updated are left as they are." if plan.kept else "."),
        "success",
    )
    return redirect(url_for("studio_bulk.imports"), code=303)
