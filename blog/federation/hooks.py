"""Wiring the federation into the app: routes, tasks, the post page's link to its object."""

from __future__ import annotations

from flask import Flask

from ..extensions import csrf
from . import alternate, delivery, identity, moderation, remote, undelivered, views


def init_app(app: Flask) -> None:
    """Register the federation's routes and tasks when it is enabled (after the queue)."""
    app.jinja_env.globals["fediverse_object_url"] = alternate.object_url
    if not app.config.get("FEDERATION_ENABLED"):
        return
    identity.check_settings(app)
    remote.check_ca_bundle(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(undelivered.bp)
    # Other servers post here with HTTP Signatures; they have no session to carry a token.
    csrf.exempt(views.receive)
    delivery.init_app(app, app.extensions["import_queue"].huey)
