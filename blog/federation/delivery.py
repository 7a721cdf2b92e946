"""Telling followers: the worker's tasks that send Create, Update and Delete, with retries.

A commit that changed posts (recorded by the services in `blog/changes.py`) queues one
`sync_posts` for them; the worker compares the post with what followers were last told
(`FederatedPost`) and queues one `deliver` task per shared inbox, each signed and sent on its
own, so a slow or dead server holds up no other delivery and no request of a reader.

Decisions worth knowing:
- A delivery that fails is tried again on a schedule spanning days (`retry_waits`: from
  `FEDERATION_RETRY_SECONDS`, each wait three times the last, at most
  `FEDERATION_RETRY_MAX_SECONDS`, `FEDERATION_DELIVERY_ATTEMPTS` tries: with the defaults 12
  tries over 2 days 18 hours), as Mastodon retries for days; a server down for a weekend still
  gets the post.
- A failing inbox is remembered (`InboxState`): until its next try, other deliveries to it
  count a failed try without a request, and at its next try one delivery takes the turn,
  so a server that never answers costs one timeout per try, not one per activity.
- An answer that will not change (`PERMANENT`, e.g. 410 Gone) and the end of the schedule
  are stored as `Undelivered`, which the author sees in the studio (`undelivered.py`), not
  only in the worker's log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from flask import Flask, current_app, has_app_context
from huey import Huey
from sqlalchemy import delete, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import changes
from .. import posts as content
from ..extensions import db
from ..models import Post, utcnow
from ..vocabulary import Status
from . import blocks, documents, identity, remote
from .models import FederatedPost, Follower, InboxState, Undelivered

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
    def deliver(inbox: str, body: str, attempt: int = 1, first_tried: float = 0.0) -> None:
        with worker_context(app):
            first_tried = first_tried or time.time()
            failure = deliver_once(inbox, body.encode())
            if failure is None:
                return
            waits = retry_waits(app.config)
            if attempt > len(waits):
                give_up(inbox, body, attempt, first_tried, failure)
                return
            log.info("Delivery to %s failed (try %s): %s", inbox, attempt, failure)
            deliver.schedule(args=(inbox, body, attempt + 1, first_tried), delay=waits[attempt - 1])

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
    found = db.session.execute(select(Follower.shared_inbox, Follower.inbox).distinct())
    return sorted({shared or own for shared, own in found})


def fan_out(activity: dict) -> int:
    """Queue one delivery of the activity per inbox; how many."""
    body = json.dumps(activity)
    targets = inboxes()
    for inbox in targets:
        queue().deliver(inbox, body)
    return len(targets)


def retry_waits(config) -> list[float]:
    """The wait after each failed try but the last, in seconds (see the module's docstring)."""
    first = float(config["FEDERATION_RETRY_SECONDS"])
    longest = float(config["FEDERATION_RETRY_MAX_SECONDS"])
    tries = max(1, int(config["FEDERATION_DELIVERY_ATTEMPTS"]))
    return [min(first * 3**n, longest) for n in range(tries - 1)]


def deliver_once(inbox: str, body: bytes) -> str | None:
    """Post the activity to the inbox; None when done with it, else why it failed."""
    if blocks.refused(inbox) is not None:
        return None  # blocked since it was queued
    may_send, state = turn_to_try(inbox)
    if not may_send:
        since = f"{state.failing_since:%Y-%m-%d %H:%M} UTC"
        return f"not answering since {since} ({state.last_error})"
    try:
        answer = remote.request("POST", inbox, body)
    except remote.RemoteError as exc:
        reason = str(exc)
    else:
        if 200 <= answer.status < 300 or answer.status in PERMANENT:
            if state is not None:
                answered(inbox)
            if answer.status in PERMANENT:  # the server is up; it refuses this one for good
                refused(inbox, body, f"refused ({status_words(answer.status)})")
            return None
        reason = f"answered {status_words(answer.status)}"
    failed(inbox, reason)
    return reason


def status_words(status: int) -> str:
    """An HTTP status with its name, "502 Bad Gateway", as the author reads it."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def turn_to_try(inbox: str) -> tuple[bool, InboxState | None]:
    """Whether this delivery may send now, and the inbox's state if it is failing.

    Of the deliveries waiting on a failing inbox, the first past its retry time takes the
    turn (one UPDATE, so two workers never both take it) and holds it for a timeout.
    """
    state = db.session.scalar(select(InboxState).where(InboxState.inbox == inbox))
    if state is None:
        return True, None
    now = utcnow()
    hold = now + timedelta(seconds=float(current_app.config["FEDERATION_TIMEOUT_SECONDS"]) + 1)
    taken = db.session.execute(
        update(InboxState)
        .where(InboxState.inbox == inbox, InboxState.retry_at <= now)
        .values(retry_at=hold)
    ).rowcount
    db.session.commit()
    return bool(taken), state


def answered(inbox: str) -> None:
    db.session.execute(delete(InboxState).where(InboxState.inbox == inbox))
    db.session.commit()


def failed(inbox: str, reason: str) -> None:
    """Remember that the inbox failed, and when to try it next (its own back-off)."""
    for _ in range(2):
        state = db.session.scalar(select(InboxState).where(InboxState.inbox == inbox))
        if state is None:
            state = InboxState(inbox=inbox, failures=0, failing_since=utcnow())
            db.session.add(state)
        waits = retry_waits(current_app.config) or [0.0]
        state.failures += 1
        state.retry_at = utcnow() + timedelta(seconds=waits[min(state.failures, len(waits)) - 1])
        state.last_error = reason[:500]
        try:
            db.session.commit()
            return
        except IntegrityError:  # another worker recorded the same inbox's first failure
            db.session.rollback()


def give_up(inbox: str, body: str, attempt: int, first_tried: float, reason: str) -> None:
    """Stop trying: store what was not delivered, for the author to see in the studio."""
    since = datetime.fromtimestamp(first_tried, UTC)
    log.warning("Delivery to %s given up after %s attempts: %s", inbox, attempt, reason)
    store_undelivered(inbox, body, attempt, since, reason)


def refused(inbox: str, body: bytes, reason: str) -> None:
    log.warning("Delivery to %s %s; not retried", inbox, reason)
    store_undelivered(inbox, body.decode(), 1, utcnow(), reason)


def store_undelivered(inbox: str, body: str, attempts: int, since: datetime, reason: str) -> None:
    try:
        activity = json.loads(body)
    except ValueError:
        activity = {}
    kind = activity.get("type") if isinstance(activity, dict) else None
    db.session.add(
        Undelivered(
            inbox=inbox,
            activity_type=str(kind or "")[:40],
            post_id=post_of(activity),
            attempts=attempts,
            first_tried_at=since,
            gave_up_at=utcnow(),
            reason=reason[:500],
        )
    )
    db.session.commit()


def post_of(activity: object) -> int | None:
    """The post an activity of ours is about (None for an Accept or the profile)."""
    if not isinstance(activity, dict):
        return None
    target = activity.get("object")
    address = target.get("id") if isinstance(target, dict) else target
    prefix = identity.object_id(0)[:-1]
    if isinstance(address, str) and address.startswith(prefix):
        number = address[len(prefix) :]
        return int(number) if number.isdigit() else None
    return None
