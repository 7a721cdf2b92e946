"""Wiring the federation into the app: routes, tasks, the post page's Link header."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from sqlalchemy import select

from ..extensions import csrf, db
from ..models import Post
from . import delivery, identity, moderation, views


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
    app.after_request(link_header)


def enabled() -> bool:
    return bool(current_app.config.get("FEDERATION_ENABLED"))


def fediverse_object_url(post) -> str:
    """The Article id of a public post, for its page's `<link rel="alternate">` ("" if none)."""
    if not enabled() or not delivery.is_federated(post.post):
        return ""
    return identity.object_id(post.post.id)


def link_header(response: Response) -> Response:
    """Point from a public post's page to its Article, for servers that look up a URL."""
    if request.endpoint != "public.post" or response.status_code != 200:
        return response
    slug = (request.view_args or {}).get("slug")
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    if delivery.is_federated(post):
        response.headers.add(
            "Link",
            f'<{identity.object_id(post.id)}>; rel="alternate"; type="application/activity+json"',
        )
    return response
