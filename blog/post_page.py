"""One post's page as readers see it, shared by the public page and the author's preview."""

from __future__ import annotations

from flask import render_template, url_for

from . import disclosure
from . import posts as content
from .federation import reactions
from .licenses import license_for
from .settings import load_settings
from .vocabulary import Role


def post_view_model(post: content.PublishedPost) -> dict:
    """Everything a template needs to show one post, computed once."""
    settings = load_settings()
    # One author name for the whole site (the settings'), never the account's own.
    told = disclosure.for_post(post, wording=settings.disclosure, author_name=settings.author_name)
    return {
        "post": post,
        "turns": post.visible_turns,
        "excerpt": excerpt(post, post.visible_turns),
        "disclosure": told,
        "license": license_for(post.license or settings.default_license),
        "author_name": told.author,
        # Likes, boosts and approved replies from the fediverse (None when federation is off).
        "fediverse": reactions.for_post(post.post.id),
    }


EXCERPT_CHARS = 280


def excerpt(post: content.PublishedPost, turns: list) -> str:
    """The post's summary, else the plain text of its first prompt, clipped at a word."""
    if post.summary:
        return post.summary
    first = next((t for t in turns if t.role == Role.USER), None)
    words = " ".join(((first.text or "") if first else "").split())
    if len(words) <= EXCERPT_CHARS:
        return words
    return words[:EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def json_ld(view: dict) -> dict:
    """schema.org data: the author as author, the model as a tool used, never as author."""
    post = view["post"]
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url_for("public.post", slug=post.slug, _external=True),
        "author": {"@type": "Person", "name": view["author_name"]},
        "publisher": {"@type": "Person", "name": view["author_name"]},
        "isAccessibleForFree": True,
        "keywords": [tag.name for tag in post.tags],
        "license": view["license"].url or url_for("public.license_page", _external=True),
    } | view["disclosure"].json_ld()
    if post.published_at:
        data["datePublished"] = post.published_at.isoformat()
    if post.updated_at:
        data["dateModified"] = post.updated_at.isoformat()
    if post.conversation_at:
        data["dateCreated"] = post.conversation_at.isoformat()
    return data


def prompts(post: content.PublishedPost, turns: list) -> dict:
    """The shown prompts with their turn numbers, and whether the author left any out."""
    return {
        "shown": [(n, t) for n, t in enumerate(turns, start=1) if t.role == Role.USER],
        "some_left_out": any(t.excluded and t.role == Role.USER for t in post.turns),
    }


def render_post_page(
    post: content.PublishedPost, *, preview: bool = False, shared: bool = False
) -> str:
    """The public template for `post`; a preview is marked as such and never indexed, and a
    `shared` one (at a private link) leaves out the author's links and the source files."""
    view = post_view_model(post)
    series = post.revision.series if post.series_id else None
    return render_template(
        "public/post.html",
        **view,
        view=view,
        json_ld=json_ld(view),
        prompts=prompts(post, view["turns"]),
        preview=preview or shared,
        shared=shared,
        series_posts=content.series_posts(series) if series else [],
        **({"previous": None, "next": None} if preview else content.neighbours(post.post)),
    )
