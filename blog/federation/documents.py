"""The JSON documents other servers read: actor, WebFinger, NodeInfo, posts, activities.

A post goes out as an Article (the whole text) or a Note teaser, as the site settings say.
Either carries the post's AI disclosure sentence and its license where Mastodon shows them
(an Article's summary, a Note's content), composed by `blog/disclosure.py` through the post
page's view model, never worded here.
"""

from __future__ import annotations

import mimetypes
import secrets
from html import escape
from urllib.parse import urlsplit

from flask import current_app, url_for

from .. import posts as content
from ..licenses import License
from ..models import utcnow
from ..post_page import post_view_model
from ..settings import load_settings
from ..vocabulary import AI_ROLES
from . import identity
from .keys import public_pem

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTOR_CONTEXT = [
    AS_CONTEXT,
    "https://w3id.org/security/v1",
    {
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    },
]
OPENING_CHARS = 400
SOFTWARE = {"name": "colloquy", "version": "0.1.0"}


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def followers_id() -> str:
    return f"{identity.actor_id()}/followers"


def actor() -> dict:
    """The blog as one actor, named and described from the site settings."""
    settings = load_settings()
    home = url_for("public.index", _external=True)
    license_value = license_html(settings.license)
    summary = f"<p>{escape(settings.site_description)}</p>"
    summary += f"<p>{escape(settings.site_disclosure.sentence)}</p>"
    return {
        "@context": ACTOR_CONTEXT,
        "id": identity.actor_id(),
        "type": "Person",
        "preferredUsername": identity.handle(),
        "name": settings.site_title,
        "summary": summary,
        "url": home,
        "inbox": f"{identity.actor_id()}/inbox",
        "outbox": f"{identity.actor_id()}/outbox",
        "followers": followers_id(),
        "following": f"{identity.actor_id()}/following",
        "endpoints": {"sharedInbox": f"{identity.base_url()}/fediverse/inbox"},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "icon": avatar(),
        "publicKey": {
            "id": identity.key_id(),
            "owner": identity.actor_id(),
            "publicKeyPem": identity_public_pem(),
        },
        "attachment": [
            {
                "type": "PropertyValue",
                "name": "Site",
                "value": f'<a href="{escape(home)}" rel="me">{escape(home)}</a>',
            },
            {"type": "PropertyValue", "name": "License", "value": license_value},
        ],
    }


def avatar() -> dict:
    """The profile picture servers show beside the handle: FEDERATION_AVATAR_URL, else the
    site's own (a PNG: Mastodon shows no SVG)."""
    configured = current_app.config.get("FEDERATION_AVATAR_URL")
    url = configured or url_for("static", filename="avatar.png", _external=True)
    kind = mimetypes.guess_type(urlsplit(url).path)[0] or "image/png"
    return {"type": "Image", "mediaType": kind, "url": url}


def identity_public_pem() -> str:
    return public_pem(identity.private_key())


def webfinger() -> dict:
    """The WebFinger answer for acct:handle@host."""
    return {
        "subject": f"acct:{identity.handle()}@{identity.host()}",
        "aliases": [identity.actor_id(), url_for("public.index", _external=True)],
        "links": [
            {"rel": "self", "type": "application/activity+json", "href": identity.actor_id()},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": url_for("public.index", _external=True),
            },
        ],
    }


def nodeinfo_links() -> dict:
    return {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": f"{identity.base_url()}/nodeinfo/2.1",
            }
        ]
    }


def nodeinfo(public_posts: int) -> dict:
    """NodeInfo 2.1: one author, no sign-ups, how many public posts."""
    settings = load_settings()
    return {
        "version": "2.1",
        "software": SOFTWARE,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1},
            "localPosts": public_posts,
        },
        "metadata": {"nodeName": settings.site_title, "nodeDescription": settings.site_description},
    }


def post_object(post: content.PublishedPost) -> dict:
    """A published post as the site settings say followers get it: an Article or a Note."""
    if load_settings().fediverse_object == "note":
        return note(post)
    return article(post)


def article(post: content.PublishedPost) -> dict:
    """A published post as an Article: disclosure, opening turns, link and license."""
    view = post_view_model(post)
    told = view["disclosure"]
    page = url_for("public.post", slug=post.slug, _external=True)
    parts = [f"<p><em>{escape(told.sentence)}</em></p>"]
    parts += [
        f"<p><strong>{escape(speaker)}:</strong> {escape(text)}</p>"
        for speaker, text in opening(view["turns"], told.model)
    ]
    parts.append(f'<p><a href="{escape(page)}">Read the whole conversation</a></p>')
    parts.append(license_paragraph(view["license"]))
    # Mastodon shows an Article as its name, its summary and a link, not its content: the
    # summary carries the disclosure and the license too.
    summary = f"<p>{escape(view['excerpt'])}</p>" if view["excerpt"] else ""
    summary += told_paragraphs(view)
    return post_document(post, view, "Article", content="".join(parts), summary=summary)


def note(post: content.PublishedPost) -> dict:
    """A published post as a Note teaser, which Mastodon shows in full: title, summary,
    disclosure, license and a link to the post."""
    view = post_view_model(post)
    page = url_for("public.post", slug=post.slug, _external=True)
    parts = [f"<p><strong>{escape(post.title)}</strong></p>"]
    if view["excerpt"]:
        parts.append(f"<p>{escape(view['excerpt'])}</p>")
    parts.append(told_paragraphs(view))
    parts.append(f'<p><a href="{escape(page)}">{escape(page)}</a></p>')
    # No `summary`: on a Note, Mastodon shows it as a content warning hiding the rest.
    return post_document(post, view, "Note", content="".join(parts))


def told_paragraphs(view: dict) -> str:
    """The post's disclosure sentence (from `blog/disclosure.py`) and its license, as HTML."""
    sentence = f"<p><em>{escape(view['disclosure'].sentence)}</em></p>"
    return sentence + license_paragraph(view["license"])


def license_html(license: License) -> str:
    if not license.url:
        return escape(license.name)
    return f'<a href="{escape(license.url)}" rel="license">{escape(license.name)}</a>'


def license_paragraph(license: License) -> str:
    return f"<p>License: {license_html(license)}</p>"


def post_document(post: content.PublishedPost, view: dict, kind: str, **text: str) -> dict:
    """The fields an Article and a Note share: id, addresses, tags, dates, license."""
    license = view["license"]
    page = url_for("public.post", slug=post.slug, _external=True)
    document = {
        "id": identity.object_id(post.post.id),
        "type": kind,
        "attributedTo": identity.actor_id(),
        "name": post.title,
        **text,
        "mediaType": "text/html",
        "url": page,
        "to": [PUBLIC],
        "cc": [followers_id()],
        "sensitive": False,
        "tag": [
            {
                "type": "Hashtag",
                "name": f"#{tag.name.replace(' ', '')}",
                "href": url_for("public.tag", slug=tag.slug, _external=True),
            }
            for tag in post.tags
        ],
        "attachment": [
            {"type": "PropertyValue", "name": "License", "value": license_html(license)}
        ],
        "license": license.url or url_for("public.license_page", _external=True),
    }
    if kind == "Note":
        # A Note's name is a poll option's to Mastodon: the title is in its content instead.
        del document["name"]
    if post.published_at:
        document["published"] = iso(post.published_at)
    if post.updated_at:
        document["updated"] = iso(post.updated_at)
    return document


def opening(turns: list, model: str) -> list[tuple[str, str]]:
    """The first prompt and the reply to it, each clipped at a word."""
    shown = []
    for turn in turns[:2]:
        speaker = model if turn.role in AI_ROLES else "Prompt"
        words = " ".join((turn.text or "").split())
        if len(words) > OPENING_CHARS:
            words = words[:OPENING_CHARS].rsplit(" ", 1)[0] + "…"
        shown.append((speaker, words))
    return shown


def activity(kind: str, obj: dict | str, *, suffix: str, to: list[str] | None = None) -> dict:
    """An activity by the blog (Create, Update, Delete, Accept) wrapping `obj`."""
    object_id = obj["id"] if isinstance(obj, dict) else obj
    return {
        "@context": AS_CONTEXT,
        "id": f"{object_id}#{suffix}",
        "type": kind,
        "actor": identity.actor_id(),
        "published": iso(utcnow()),
        "to": to if to is not None else [PUBLIC],
        "cc": [followers_id()] if to is None else [],
        "object": obj,
    }


def create(post: content.PublishedPost) -> dict:
    """The Create of a post's current revision, as the outbox lists it and followers get it."""
    document = post_object(post)
    made = activity("Create", document, suffix=f"create-{post.revision.id}")
    made["published"] = document.get("published", made["published"])
    return made


def update(post: content.PublishedPost) -> dict:
    return activity("Update", post_object(post), suffix=f"update-{post.revision.id}")


def tombstone(post_id: int, deleted_at) -> dict:
    return {
        "@context": AS_CONTEXT,
        "id": identity.object_id(post_id),
        "type": "Tombstone",
        "formerType": "Note" if load_settings().fediverse_object == "note" else "Article",
        "deleted": iso(deleted_at),
    }


def delete(post_id: int) -> dict:
    """The Delete of a post that is no longer public (unpublished, unlisted or deleted)."""
    gone = {"id": identity.object_id(post_id), "type": "Tombstone"}
    return activity("Delete", gone, suffix=f"delete-{iso(utcnow())}")


def accept(follow: dict) -> dict:
    """The Accept of a Follow, addressed to the follower alone."""
    follower = follow.get("actor")
    return {
        "@context": AS_CONTEXT,
        "id": f"{identity.actor_id()}#accepts/{secrets.token_hex(8)}",
        "type": "Accept",
        "actor": identity.actor_id(),
        "to": [follower] if isinstance(follower, str) else [],
        "object": follow,
    }
