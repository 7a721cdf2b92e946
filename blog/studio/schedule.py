"""Scheduled publishing in the editor: set a time for the worker to publish a draft, or cancel it."""

from __future__ import annotations

from flask import flash, redirect, request

from .. import posts as content
from ..extensions import db
from ..vocabulary import Status
from . import studio_blueprint
from .editor import editor_url, load_post

bp = studio_blueprint("studio_schedule", __name__, "/studio/posts/<int:post_id>/schedule")


@bp.errorhandler(content.ContentError)
def refused(error: content.ContentError):
    """A schedule the service refused (a past time, no checklist): the reason, in the panel."""
    db.session.rollback()
    flash(f"Not scheduled: {error}", "error")
    post_id = (request.view_args or {})["post_id"]
    return redirect(editor_url(load_post(post_id), anchor="schedule"), code=303)


@bp.post("")
def schedule(post_id: int):
    """Have the worker publish the draft at the chosen time (UTC), with Publish's gates."""
    post = load_post(post_id)
    when = content.parse_schedule_time(request.form.get("publish_at", ""))
    confirmed = bool(request.form.get("confirm_policies")) and bool(
        request.form.get("confirm_privacy")
    )
    status = request.form.get("status") or Status.PUBLISHED
    problems = content.schedule_publish(post, when, status=status, confirmed=confirmed)
    where = "unlisted" if status == Status.UNLISTED else "public"
    message = f"Scheduled: the post goes on the site ({where}) at {when:%-d %B %Y, %H:%M} UTC."
    if problems:
        message += " As it stands it would be held back: " + "; ".join(problems) + "."
    flash(message, "error" if problems else "success")
    return redirect(editor_url(post, anchor="schedule"), code=303)


@bp.post("/cancel")
def cancel(post_id: int):
    """Cancel the schedule: the post stays a draft until the author publishes it."""
    post = load_post(post_id)
    content.cancel_schedule(post)
    flash("Schedule cancelled: the post stays a draft.", "success")
    return redirect(editor_url(post, anchor="schedule"), code=303)
