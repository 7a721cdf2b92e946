"""Wiring the federation into the app: routes, tasks, the post page's link to its Article.

The link is a `<link rel="alternate">` in the page, not a `Link` header: the page cache and the
static mirror keep a page's body, not headers added to it, so a header would come and go.

The syncs that `delivery` queues after a commit are queued only while someone follows the blog.
With no follower a sync has nobody to tell, and most commits (a draft's edit) change nothing a
follower sees; a follower who arrives later gets a post when it is next published or updated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import csrf, db
from . import delivery, identity, moderation, views
from .models import Follower


def init_app(app: Flask) -> None:
    """Register the federation's routes and tasks when it is enabled (after the queue)."""
    app.jinja_env.globals["fediverse_object_url"] = fediverse_object_url
    if not app.config.get("FEDERATION_ENABLED"):
        return
    identity.check_settings(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(moderation.bp)
    # Other servers post here with HTTP Signatures; they have no session to carry a token.
    csrf.exempt(views.receive)
    delivery.init_app(app, app.extensions["import_queue"].huey)
    tasks = app.extensions["federation_queue"]
    app.extensions["federation_queue"] = dataclasses.replace(
        tasks,
        sync_posts=while_followed(tasks.sync_posts),
        sync_profile=while_followed(tasks.sync_profile),
    )


def while_followed(task: Callable[..., object]) -> Callable[..., object]:
    """`task`, queued only when the blog has a follower."""

    def queue_while_followed(*args: object) -> object:
        return task(*args) if has_followers() else None

    return queue_while_followed


def has_followers() -> bool:
    """Whether anyone follows the blog: one row read at most.

    On a connection of its own: the session that just committed runs no SQL in its
    after_commit, where the syncs are queued.
    """
    with db.engine.connect() as connection:
        return connection.execute(select(Follower.id).limit(1)).first() is not None


def enabled() -> bool:
    return bool(current_app.config.get("FEDERATION_ENABLED"))


def fediverse_object_url(post) -> str:
    """The Article id of a public post, for its page's `<link rel="alternate">` ("" if none)."""
    if not enabled() or not delivery.is_federated(post.post):
        return ""
    return identity.object_id(post.post.id)
