"""Replies from the fediverse in the studio: the author approves or deletes each one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Post
from ..studio import studio_blueprint
from .models import RemoteComment
from .reactions import shown_changed

bp = studio_blueprint("fediverse_studio", __name__, "/studio/fediverse")


@bp.get("/replies")
def replies():
    """Replies waiting for approval first, then the approved ones."""
    found = db.session.execute(
        select(RemoteComment, Post.title, Post.slug)
        .join(Post, Post.id == RemoteComment.post_id)
        .order_by(RemoteComment.approved, RemoteComment.received_at.desc())
    ).all()
    return render_template("studio/fediverse_replies.html", replies=found)


def reply_or_404(reply_id: int) -> RemoteComment:
    reply = db.session.get(RemoteComment, reply_id)
    if reply is None:
        abort(404)
    return reply


@bp.post("/replies/<int:reply_id>/approve")
def approve(reply_id: int):
    """Show the reply under its post."""
    reply = reply_or_404(reply_id)
    reply.approved = True
    shown_changed(reply.post_id)
    db.session.commit()
    flash(f"The reply from {reply.actor_name} is shown under its post.", "success")
    return redirect(url_for(".replies"))


@bp.post("/replies/<int:reply_id>/delete")
def delete(reply_id: int):
    """Delete the reply here (it stays on its own server)."""
    reply = reply_or_404(reply_id)
    was_shown = reply.approved
    db.session.delete(reply)
    if was_shown:
        shown_changed(reply.post_id)
    db.session.commit()
    flash(f"The reply from {reply.actor_name} was deleted.", "success")
    return redirect(url_for(".replies"))
