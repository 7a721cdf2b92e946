"""The editor's turn actions (sign-in required): review, leave out, move, role, add, delete,
alternatives and privacy findings.

Each action answers htmx with only what changed: the turn (or the two turns a move swaps, or
the new turn open in its editor), and, out of band, the numbers of the turns after it, the
review count, the publish status and (for a published post) the staged-changes notice, so the
author keeps their place on a long post. A plain
form (no JavaScript) gets flash + redirect back to the turn.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from .. import posts as content
from ..extensions import db
from ..models import Post
from ..vocabulary import Role
from ..wording import counted
from . import studio_blueprint
from .editor import (
    Change,
    editor_url,
    fragments,
    is_htmx,
    load_post,
    load_turn,
    next_unreviewed,
    turn_anchor,
)

bp = studio_blueprint("studio_turns", __name__, "/studio/posts/<int:post_id>")


@bp.errorhandler(content.ContentError)
def refused(error: content.ContentError):
    """A change the content service refused: nothing saved, the reason shown at the turn."""
    db.session.rollback()
    args = request.view_args or {}
    return refuse(str(error), args.get("post_id"), args.get("turn_id"))


def refuse(message: str, post_id: int, turn_id: int | None):
    """Back to the turn with the reason; htmx reloads the page there (the flash shows)."""
    flash(message, "error")
    anchor = f"t{turn_id}" if turn_id else None
    target = url_for("studio.edit_post", post_id=post_id, _anchor=anchor)
    if is_htmx():
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)


def answer(post: Post, change: Change, message: str, back_to: str):
    """The fragments for htmx, or flash + redirect to `back_to` for a plain form."""
    if is_htmx():
        return fragments(post, change)
    flash(message, "success")
    return redirect(back_to, code=303)


@bp.post("/turns")
def add_turn(post_id: int):
    """Add a turn after a given turn (or at the end), open in its editor."""
    post = load_post(post_id)
    after_id = request.form.get("after", type=int)
    after = load_turn(post, after_id) if after_id else None
    turn = content.add_turn(post, request.form.get("role", Role.USER), after=after)
    back_to = url_for("studio.edit_turn", post_id=post.id, turn_id=turn.id)
    return answer(post, Change(opened=turn, renumbered=True), "Turn added.", back_to)


@bp.post("/turns/<int:turn_id>/delete")
def delete_turn(post_id: int, turn_id: int):
    """Delete a turn; a plain form lands on the turn that took its place."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    index = post.turns.index(turn)
    content.delete_turn(turn)
    took_its_place = post.turns[min(index, len(post.turns) - 1)] if post.turns else None
    # The form swaps with hx-swap="delete": the turn leaves, the rest arrives out of band.
    change = Change(renumbered=True)
    return answer(post, change, "Turn deleted.", editor_url(post, took_its_place))


@bp.post("/turns/<int:turn_id>/move")
def move_turn(post_id: int, turn_id: int):
    """Move a turn up or down: the two turns that swap places are sent, in their new order."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    before = post.turns.index(turn)
    content.move_turn(turn, request.form.get("direction", ""))
    after = post.turns.index(turn)
    change = Change(shown=[turn])
    if after != before:
        # Both turns replace the one that moved; the neighbour's old copy leaves the page.
        change.shown = post.turns[min(before, after) : max(before, after) + 1]
        change.removed = [post.turns[before].id]
    return answer(post, change, "Turn moved.", editor_url(post, turn))


@bp.post("/turns/<int:turn_id>/role")
def change_role(post_id: int, turn_id: int):
    """Change who speaks a turn."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    content.set_role(turn, request.form.get("role", ""))
    return answer(post, Change(shown=[turn]), "Role changed.", editor_url(post, turn))


@bp.post("/turns/<int:turn_id>/review")
def review_turn(post_id: int, turn_id: int):
    """Mark an AI turn as read and reviewed by the author (or undo it); `next` moves on."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    reviewed = request.form.get("reviewed", "1") == "1"
    content.set_reviewed([turn], reviewed)
    if not (reviewed and request.form.get("next") == "1"):
        return answer(post, Change(shown=[turn]), "Review recorded.", editor_url(post, turn))
    following = next_unreviewed(post, turn)
    message = "Review recorded."
    if following is None:
        message += " Every AI turn is reviewed now."
    go_to = turn_anchor(following) if following is not None else "publish"
    return answer(post, Change(shown=[turn], go_to=go_to), message, editor_url(post, anchor=go_to))


@bp.post("/turns/<int:turn_id>/exclude")
def exclude_turn(post_id: int, turn_id: int):
    """Leave a turn out of publication, or include it again."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    excluded = request.form.get("excluded", "1") == "1"
    content.set_excluded(turn, excluded)
    message = "Turn left out." if excluded else "Turn included."
    return answer(post, Change(shown=[turn], renumbered=True), message, editor_url(post, turn))


@bp.post("/turns/<int:turn_id>/alternative")
def choose_alternative(post_id: int, turn_id: int):
    """Publish another version of a turn."""
    post = load_post(post_id)
    turn = load_turn(post, turn_id)
    content.choose_alternative(turn, request.form.get("index", -1, type=int))
    message = "Version chosen. Review it before publishing."
    return answer(post, Change(shown=[turn]), message, editor_url(post, turn))


@bp.post("/findings/redact")
def redact(post_id: int):
    """Replace one finding with a visible redaction mark."""
    post = load_post(post_id)
    turn = load_turn(post, request.form.get("turn", type=int) or 0)
    count = content.redact_finding(turn, request.form.get("fingerprint", ""))
    message = f"Redacted {counted(count, 'occurrence')}."
    return answer(post, Change(shown=[turn]), message, editor_url(post, turn))


@bp.post("/findings/dismiss")
def dismiss(post_id: int):
    """Keep a finding on purpose, with the reason (for every turn where it appears)."""
    post = load_post(post_id)
    turn_id = request.form.get("turn", type=int)
    try:
        content.keep_finding(
            post,
            request.form.get("fingerprint", ""),
            request.form.get("kind", ""),
            request.form.get("reason", ""),
        )
    except ValueError as exc:
        return refuse(str(exc), post.id, turn_id)
    message = "Finding kept, with your reason recorded."
    back_to = editor_url(post, anchor=f"t{turn_id}" if turn_id else None)
    return answer(post, Change(whole_list=True), message, back_to)
