"""Replies and blocks in the studio: the author approves, rejects or deletes each reply, and
blocks servers or accounts. The decisions themselves are `replies` and `blocks`, shared with the
command line."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ..extensions import db
from ..studio import studio_blueprint
from . import blocks, replies
from .models import Block, RemoteComment

bp = studio_blueprint("fediverse_studio", __name__, "/studio/fediverse")


@bp.get("/replies", endpoint="replies")
def replies_page():
    """Replies waiting for a decision first, then the approved and the rejected ones."""
    return render_template(
        "studio/fediverse_replies.html",
        replies=replies.listing(),
        state=replies.state,
        domain_of=blocks.host_of,
    )


def reply_or_404(reply_id: int) -> RemoteComment:
    try:
        return replies.get(reply_id)
    except replies.ReplyError:
        abort(404)


def decide(reply_id: int, decision, done: str):
    reply = reply_or_404(reply_id)
    try:
        decision(reply)
    except replies.ReplyError as exc:
        flash(str(exc), "error")
    else:
        flash(done.format(name=reply.actor_name), "success")
    return redirect(url_for(".replies"))


@bp.post("/replies/<int:reply_id>/approve")
def approve(reply_id: int):
    """Show the reply under its post."""
    return decide(reply_id, replies.approve, "The reply from {name} is shown under its post.")


@bp.post("/replies/<int:reply_id>/reject")
def reject(reply_id: int):
    """Never show the reply."""
    return decide(reply_id, replies.reject, "The reply from {name} was rejected.")


@bp.post("/replies/<int:reply_id>/delete")
def delete(reply_id: int):
    """Delete the reply here (it stays on its own server)."""
    reply = reply_or_404(reply_id)
    replies.delete(reply)
    flash(f"The reply from {reply.actor_name} was deleted.", "success")
    return redirect(url_for(".replies"))


@bp.get("/blocks")
def blocks_page():
    """Blocked servers and accounts, and the form to block another."""
    return render_template("studio/fediverse_blocks.html", blocks=blocks.all_blocks())


@bp.post("/blocks")
def block():
    """Block a server or an account; back to the page the form was on."""
    back = ".replies" if request.form.get("back") == "replies" else ".blocks_page"
    try:
        report = blocks.block(request.form.get("target", ""))
    except blocks.BlockError as exc:
        flash(str(exc), "error")
        return redirect(url_for(back))
    flash(report.summary(), "success")
    return redirect(url_for(back))


@bp.post("/blocks/<int:block_id>/delete")
def unblock(block_id: int):
    """Lift a block."""
    found = db.session.get(Block, block_id)
    if found is None:
        abort(404)
    flash(f"Unblocked {blocks.lift(found)}: what the block removed stays removed.", "success")
    return redirect(url_for(".blocks_page"))
