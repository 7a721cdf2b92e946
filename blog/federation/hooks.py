"""Wiring the federation into the app: routes, tasks, the post page's link to its Article.

The link is a `<link rel="alternate">` in the page, not a `Link` header: the page cache and the
static mirror keep a page's body, not headers added to it, so a header would come and go.
"""

from __future__ import annotations

from flask import Flask, current_app

from ..extensions import csrf
from . import delivery, identity, moderation, remote, views


def init_app(app: Flask) -> None:
    """Register the federation's routes and tasks when it is enabled (after the queue)."""
    app.jinja_env.globals["fediverse_object_url"] = fediverse_object_url
    if not app.config.get("FEDERATION_ENABLED"):
        return
    identity.check_settings(app)
    remote.check_ca_bundle(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(moderation.bp)
    # Other servers post here with HTTP Signatures; they have no session to carry a token.
    csrf.exempt(views.receive)
    delivery.init_app(app, app.extensions["import_queue"].huey)


def enabled() -> bool:
    return bool(current_app.config.get("FEDERATION_ENABLED"))


def fediverse_object_url(post) -> str:
    """The Article id of a public post, for its page's `<link rel="alternate">` ("" if none)."""
    if not enabled() or not delivery.is_federated(post.post):
        return ""
    return identity.object_id(post.post.id)
