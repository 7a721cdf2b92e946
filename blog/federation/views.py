"""The federation's addresses: discovery, the actor and its collections, objects, the inbox."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from sqlalchemy import func, select

from .. import posts as content
from ..extensions import db
from ..models import Post
from . import documents, identity, inbox
from .delivery import is_federated
from .models import FederatedPost, Follower

bp = Blueprint("federation", __name__)
ACTIVITY_JSON = "application/activity+json"


def as_activity_json(document: dict, status: int = 200) -> Response:
    response = Response(json.dumps(document), status=status, mimetype=ACTIVITY_JSON)
    response.headers["Vary"] = "Accept"
    return response


def to_page(address: str) -> Response:
    """Send a browser to the page; the same address answers servers with JSON."""
    response = redirect(address)
    response.vary.add("Accept")
    return response


def wants_html() -> bool:
    """Whether the client (a browser) prefers a page to ActivityPub JSON."""
    accepted = request.accept_mimetypes
    # JSON first: a client that accepts anything (*/*, or no Accept) is a server, not a browser.
    best = accepted.best_match([ACTIVITY_JSON, "application/ld+json", "text/html"])
    return best == "text/html"


def public_json(document: dict, mimetype: str) -> Response:
    response = Response(json.dumps(document), mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/webfinger")
def webfinger():
    """WebFinger: acct:handle@host (or the actor's id) → the actor."""
    resource = request.args.get("resource", "")
    known = {f"acct:{identity.handle()}@{identity.host()}", identity.actor_id()}
    if not resource:
        abort(400)
    if resource not in known:
        abort(404)
    return public_json(documents.webfinger(), "application/jrd+json")


@bp.get("/.well-known/nodeinfo")
def nodeinfo_links():
    """Where the NodeInfo document is."""
    return public_json(documents.nodeinfo_links(), "application/json")


@bp.get("/nodeinfo/2.1")
def nodeinfo():
    """NodeInfo 2.1."""
    profile = "http://nodeinfo.diaspora.software/ns/schema/2.1#"
    return public_json(
        documents.nodeinfo(public_post_count()), f'application/json; profile="{profile}"'
    )


def public_post_count() -> int:
    query = select(func.count()).select_from(content.published_posts().subquery())
    return db.session.scalar(query) or 0


@bp.get("/fediverse/actor")
def actor():
    """The blog's actor; a browser is sent to the home page."""
    if wants_html():
        return to_page(url_for("public.index"))
    return as_activity_json(documents.actor())


@bp.get("/fediverse/actor/outbox")
def outbox():
    """Every public post as a Create, newest first, a page at a time."""
    total = public_post_count()
    base = f"{identity.actor_id()}/outbox"
    page = request.args.get("page", type=int)
    if page is None:
        return as_activity_json(
            {
                "@context": documents.AS_CONTEXT,
                "id": base,
                "type": "OrderedCollection",
                "totalItems": total,
                "first": f"{base}?page=1",
            }
        )
    size = int(current_app.config["FEDERATION_OUTBOX_PAGE_SIZE"])
    if page < 1 or (page - 1) * size > total:
        abort(404)
    posts = db.session.scalars(content.published_posts().limit(size).offset((page - 1) * size))
    document = {
        "@context": documents.AS_CONTEXT,
        "id": f"{base}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": base,
        "totalItems": total,
        "orderedItems": [documents.create(content.published_view(post)) for post in posts],
    }
    if page * size < total:
        document["next"] = f"{base}?page={page + 1}"
    if page > 1:
        document["prev"] = f"{base}?page={page - 1}"
    return as_activity_json(document)


@bp.get("/fediverse/actor/followers")
def followers():
    """How many follow the blog (who they are is theirs to say)."""
    total = db.session.scalar(select(func.count(Follower.id))) or 0
    return as_activity_json(
        {
            "@context": documents.AS_CONTEXT,
            "id": documents.followers_id(),
            "type": "OrderedCollection",
            "totalItems": total,
        }
    )


@bp.get("/fediverse/actor/following")
def following():
    """The blog follows no one."""
    return as_activity_json(
        {
            "@context": documents.AS_CONTEXT,
            "id": f"{identity.actor_id()}/following",
            "type": "OrderedCollection",
            "totalItems": 0,
            "orderedItems": [],
        }
    )


@bp.get("/fediverse/posts/<int:post_id>")
def post_object(post_id: int):
    """A post's Article; a Tombstone (410) once it left the public site after being sent."""
    post = db.session.get(Post, post_id)
    if is_federated(post):
        if wants_html():
            return to_page(url_for("public.post", slug=post.slug))
        document = documents.post_object(content.published_view(post))
        return as_activity_json({"@context": documents.AS_CONTEXT, **document})
    told = db.session.get(FederatedPost, post_id)
    if told is None:
        abort(404)
    return as_activity_json(documents.tombstone(post_id, told.deleted_at or told.updated_at), 410)


@bp.post("/fediverse/actor/inbox")
@bp.post("/fediverse/inbox")
def receive():
    """An activity from another server: verified, then acted on (202), or refused (4xx)."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        outcome = inbox.receive("POST", request.url, headers, request.get_data(cache=False))
    except inbox.Refused as refused:
        db.session.rollback()
        answer = Response(str(refused), status=refused.status, mimetype="text/plain")
        if refused.retry_after:
            answer.headers["Retry-After"] = str(refused.retry_after)
        return answer
    return Response(outcome, status=202, mimetype="text/plain")
