"""Telling followers: the worker's tasks that send Create, Update and Delete, with retries.

A commit that changed posts (recorded by the services in `blog/changes.py`) queues one
`sync_posts` for them; the worker compares the post with what followers were last told
(`FederatedPost`) and sends what changed, one delivery per shared inbox. A delivery that
fails is tried again later, each wait twice the last, and given up after
`FEDERATION_DELIVERY_ATTEMPTS` tries with a warning in the worker's log. No request ever waits
on another server for this.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from huey import Huey
from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import changes
from .. import posts as content
from ..extensions import db
from ..models import Post, utcnow
from ..vocabulary import Status
from . import blocks, documents, remote
from .models import FederatedPost, Follower

log = logging.getLogger(__name__)
# Answers that will not change if we try again: the inbox refuses this activity for good.
PERMANENT = {400, 401, 403, 404, 405, 410, 413, 422}


@dataclass(frozen=True)
class FederationQueue:
    """The federation's tasks on the app's Huey instance."""

    sync_posts: Callable[[list[int]], object]
    sync_profile: Callable[[], object]
    deliver: Callable[..., object]


def init_app(app: Flask, huey: Huey) -> None:
    """Register the tasks on the worker's queue and queue a sync after each commit."""

    @huey.task(name="federation_sync_posts")
    def sync_posts(post_ids: list[int]) -> None:
        with worker_context(app):
            for post_id in post_ids:
                activity = post_activity(post_id)
                if activity is not None:
                    fan_out(activity)

    @huey.task(name="federation_sync_profile")
    def sync_profile() -> None:
        with worker_context(app):
            profile = documents.actor()
            fan_out(
                documents.activity("Update", profile, suffix=f"update-{int(utcnow().timestamp())}")
            )

    @huey.task(name="federation_deliver")
    def deliver(inbox: str, body: str, attempt: int = 1) -> None:
        with worker_context(app):
            if not deliver_once(inbox, body.encode(), attempt):
                delay = int(app.config["FEDERATION_RETRY_SECONDS"]) * 2 ** (attempt - 1)
                deliver.schedule(args=(inbox, body, attempt + 1), delay=delay)

    app.extensions["federation_queue"] = FederationQueue(sync_posts, sync_profile, deliver)
    if not event.contains(Session, "after_commit", after_commit):
        # First in line: the mirror's listener takes the changes once it has read them.
        event.listen(Session, "after_commit", after_commit, insert=True)


class worker_context:
    """An app context with a request at SITE_URL, so `url_for` builds the site's addresses."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.request = app.test_request_context(base_url=app.config["SITE_URL"])

    def __enter__(self) -> None:
        self.request.__enter__()

    def __exit__(self, *exc) -> None:
        try:
            db.session.remove()
        finally:
            self.request.__exit__(*exc)


def after_commit(session: Session) -> None:
    found = changes.peek(session)
    if found is None or not has_app_context():
        return
    tasks = current_app.extensions.get("federation_queue")
    if tasks is None:
        return
    if found.posts:
        # One task for the commit: deleting a thousand posts queues one, not a thousand.
        tasks.sync_posts(sorted(found.posts))
    if found.everything:
        tasks.sync_profile()


def queue() -> FederationQueue:
    return current_app.extensions["federation_queue"]


def post_activity(post_id: int) -> dict | None:
    """What followers must be told about this post now (None: nothing), recorded as told."""
    post = db.session.get(Post, post_id)
    told = db.session.get(FederatedPost, post_id)
    if is_federated(post):
        view = content.published_view(post)
        if told is None or told.deleted_at is not None:
            activity = documents.create(view)
        elif told.revision_id != post.published_revision_id:
            activity = documents.update(view)
        else:
            return None
        if told is None:
            told = FederatedPost(post_id=post_id)
            db.session.add(told)
        told.revision_id, told.deleted_at = post.published_revision_id, None
    elif told is not None and told.deleted_at is None:
        activity = documents.delete(post_id)
        told.revision_id, told.deleted_at = None, utcnow()
    else:
        return None
    told.updated_at = utcnow()
    db.session.commit()
    return activity


def is_federated(post: Post | None) -> bool:
    """Public posts only: drafts and unlisted posts never reach the fediverse."""
    return (
        post is not None
        and post.status == Status.PUBLISHED
        and post.published_revision_id is not None
    )


def inboxes() -> list[str]:
    """Where to send an activity for every follower: each shared inbox once."""
    found = {row.shared_inbox or row.inbox for row in db.session.scalars(db.select(Follower))}
    return sorted(found)


def fan_out(activity: dict) -> int:
    """Queue one delivery of the activity per inbox; how many."""
    body = json.dumps(activity)
    targets = inboxes()
    for inbox in targets:
        queue().deliver(inbox, body)
    return len(targets)


def deliver_once(inbox: str, body: bytes, attempt: int) -> bool:
    """Post the activity to the inbox; False when it should be tried again later."""
    limit = int(current_app.config["FEDERATION_DELIVERY_ATTEMPTS"])
    if blocks.refused(inbox) is not None:
        return True  # blocked since it was queued
    try:
        answer = remote.request("POST", inbox, body)
    except remote.RemoteError as exc:
        reason = str(exc)
    else:
        if 200 <= answer.status < 300:
            return True
        if answer.status in PERMANENT:
            log.warning("Delivery to %s refused (%s); not retried", inbox, answer.status)
            return True
        reason = f"answered {answer.status}"
    if attempt >= limit:
        log.warning("Delivery to %s given up after %s attempts: %s", inbox, attempt, reason)
        return True
    log.info("Delivery to %s failed (attempt %s of %s): %s", inbox, attempt, limit, reason)
    return False
