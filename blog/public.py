"""The readers' blueprint: index, posts, tags, archive, feeds, sitemap (read-only)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import escape
from sqlalchemy import func, select

from . import disclosure
from . import posts as content
from .accounts import has_users
from .caching import public_page
from .exporters import to_json, to_markdown
from .extensions import db
from .licenses import license_for
from .models import Asset, Post, Series, Tag, post_tags
from .search import search_posts
from .site import load_about_html, load_settings
from .vocabulary import Role, Status

bp = Blueprint("public", __name__)

INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def post_view_model(post: Post) -> dict:
    """Everything a template needs to show one post, computed once."""
    settings = load_settings()
    author_name = post.author.name if post.author else settings.author_name
    told = disclosure.for_post(post, wording=settings.disclosure, author_name=author_name)
    turns = post.visible_turns
    return {
        "post": post,
        "turns": turns,
        "excerpt": excerpt(post, turns),
        "disclosure": told,
        "license": license_for(post.license or settings.default_license),
        "author_name": told.author,
    }


@bp.get("/")
@public_page
def index():
    """Published posts, newest first, paginated."""
    pagination = db.paginate(
        content.published_posts(with_turns=True),
        page=page_number(),
        per_page=per_page(),
        error_out=False,
    )
    if pagination.page > 1 and not pagination.items:
        abort(404)
    cards = [post_view_model(post) for post in pagination.items]
    return render_template(
        "public/index.html", pagination=pagination, cards=cards, needs_setup=not has_users()
    )


def per_page() -> int:
    return int(current_app.config["POSTS_PER_PAGE"])


@bp.get("/posts/<slug>")
@public_page
def post(slug: str):
    """One conversation, as readers see it."""
    found = content.get_reachable_post(slug)
    if found is None:
        moved = content.redirected_slug(slug)
        if moved:
            return redirect(url_for("public.post", slug=moved), code=301)
        abort(404)
    view = post_view_model(found)
    return render_template(
        "public/post.html",
        **view,
        view=view,
        json_ld=json_ld(view),
        series_posts=content.series_posts(found.series) if found.series else [],
        **content.neighbours(found),
    )


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


def reachable_or_404(slug: str) -> Post:
    """The published or unlisted post with this slug; 404 for drafts and unknown slugs."""
    found = content.get_reachable_post(slug)
    if found is None:
        abort(404)
    return found


@bp.get("/posts/<slug>.md")
@public_page
def post_markdown(slug: str):
    """The post's source as Markdown (or one turn's, with ?turn=N)."""
    found = reachable_or_404(slug)
    conversation = content.as_conversation(found)
    turn_number = request.args.get("turn", type=int)
    if turn_number is not None:
        if not 1 <= turn_number <= len(conversation.turns):
            abort(404)
        body = conversation.turns[turn_number - 1].text
    else:
        body = to_markdown(conversation)
    response = Response(body, mimetype="text/markdown")
    if turn_number is None:
        response.headers["Content-Disposition"] = f'attachment; filename="{found.slug}.md"'
    return response


@bp.get("/posts/<slug>.json")
@public_page
def post_json(slug: str):
    """The post's source as JSON."""
    found = reachable_or_404(slug)
    response = Response(to_json(content.as_conversation(found)), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{found.slug}.json"'
    return response


@bp.get("/search")
@public_page
def search():
    """Full-text search over published titles and turns."""
    query = request.args.get("q", "")[:200]
    results = search_posts(query) if query.strip() else []
    return render_template("public/search.html", query=query, results=results)


@bp.get("/tags")
@public_page
def tags():
    """Every tag with at least one published post, with its count."""
    counted = db.session.execute(
        select(Tag, func.count(Post.id))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(Post.status == Status.PUBLISHED)
        .group_by(Tag.id)
        .order_by(Tag.name)
    ).all()
    return render_template("public/tags.html", tags=counted)


@bp.get("/about")
@public_page
def about():
    """The author's page about the site, written in the studio and rendered when saved."""
    return render_template("public/about.html", about_html=load_about_html())


@bp.get("/tags/<slug>")
@public_page
def tag(slug: str):
    """Published posts with one tag."""
    found = db.session.scalar(
        select(Tag).where(Tag.slug == slug, Tag.id.in_(content.published_tag_ids()))
    )
    if found is None:
        abort(404)
    pagination = db.paginate(
        content.published_posts(with_turns=True).where(Post.tags.contains(found)),
        page=page_number(),
        per_page=per_page(),
        error_out=False,
    )
    cards = [post_view_model(p) for p in pagination.items]
    return render_template("public/tag.html", tag=found, pagination=pagination, cards=cards)


@bp.get("/series/<slug>")
@public_page
def series(slug: str):
    """The published posts of one series, in order."""
    found = db.session.scalar(select(Series).where(Series.slug == slug))
    posts = content.series_posts(found) if found else []
    if not posts:
        abort(404)
    return render_template("public/series.html", series=found, posts=posts)


@bp.get("/archive")
@public_page
def archive():
    """Every published post, grouped by year."""
    years: dict[int, list[Post]] = {}
    for p in db.session.scalars(content.published_posts()):
        years.setdefault(p.published_at.year, []).append(p)
    return render_template("public/archive.html", years=years)


# Turn HTML carried in full per feed item, measured as escaped into the feed (code blocks
# nearly double when escaped): 20 items stay under about 1 MB with their disclosure and
# license; the rest of a long conversation is a link away.
FEED_ITEM_BUDGET = 42_000
EXCERPT_CHARS = 280


def feed_items(query) -> list[dict]:
    limit = int(current_app.config["FEED_ITEMS"])
    return [feed_item(post_view_model(p)) for p in db.session.scalars(query.limit(limit))]


def feed_item(view: dict) -> dict:
    """A post's view plus the first turns that fit the item's budget."""
    shown, size = [], 0
    for turn in view["turns"]:
        size += len(escape(turn.html or ""))
        if size > FEED_ITEM_BUDGET:
            break
        shown.append(turn)
    return view | {
        "feed_turns": shown,
        "more_turns": len(view["turns"]) - len(shown),
    }


def excerpt(post: Post, turns: list) -> str:
    """The post's summary, else the plain text of its first prompt, clipped at a word."""
    if post.summary:
        return post.summary
    first = next((t for t in turns if t.role == Role.USER), None)
    words = " ".join(((first.text or "") if first else "").split())
    if len(words) <= EXCERPT_CHARS:
        return words
    return words[:EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


def feed(template: str, mimetype: str, query, endpoint: str, title_suffix: str = "", **args):
    """A feed of the posts in `query`, newest first, each item complete."""
    body = render_template(
        template,
        items=feed_items(query),
        feed_url=url_for(endpoint, _external=True, **args),
        title_suffix=title_suffix,
    )
    return Response(body, mimetype=mimetype)


@bp.get("/feed.xml")
@public_page
def rss():
    """RSS 2.0 with full content, disclosure and license in every item."""
    return feed(
        "feeds/rss.xml",
        "application/rss+xml",
        content.published_posts(with_turns=True),
        "public.rss",
    )


@bp.get("/atom.xml")
@public_page
def atom():
    """Atom with full content, disclosure and license in every entry."""
    return feed(
        "feeds/atom.xml",
        "application/atom+xml",
        content.published_posts(with_turns=True),
        "public.atom",
    )


@bp.get("/tags/<slug>/feed.xml")
@public_page
def tag_rss(slug: str):
    """RSS 2.0 for one tag."""
    found = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if found is None:
        abort(404)
    query = content.published_posts(with_turns=True).where(Post.tags.contains(found))
    return feed(
        "feeds/rss.xml",
        "application/rss+xml",
        query,
        "public.tag_rss",
        f" — {found.name}",
        slug=slug,
    )


@bp.get("/sitemap.xml")
@public_page
def sitemap():
    """Every published post, tag and list page; never drafts or unlisted posts."""
    listed = list(db.session.scalars(content.published_posts()))
    tags = list(db.session.scalars(select(Tag).where(Tag.id.in_(content.published_tag_ids()))))
    body = render_template("feeds/sitemap.xml", posts=listed, tags=tags)
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    disallowed = (url_for("studio.dashboard"), url_for("auth.login"), url_for("auth.setup"))
    body = (
        "User-agent: *\n"
        + "".join(f"Disallow: {path}\n" for path in disallowed)
        + f"Sitemap: {url_for('public.sitemap', _external=True)}\n"
    )
    return Response(body, mimetype="text/plain")


@bp.get("/license")
@public_page
def license_page():
    """What the licenses on this site mean, in words."""
    return render_template("public/license.html")


@bp.get("/assets/<int:asset_id>/<path:name>")
def asset(asset_id: int, name: str):
    """An image carried in with an import, served only while its post is reachable."""
    found = db.session.get(Asset, asset_id)
    if found is None:
        abort(404)
    owner = db.session.get(Post, found.post_id)
    if owner is None or not (owner.is_reachable or current_user.is_authenticated):
        abort(404)
    if found.mime_type in INLINE_IMAGE_TYPES:
        response = Response(found.data, mimetype=found.mime_type)
        response.headers["Content-Disposition"] = "inline"
    else:
        # Anything else (an uploaded document, an SVG, HTML) is only ever a download.
        response = Response(found.data, mimetype="application/octet-stream")
        response.headers["Content-Disposition"] = "attachment"
    # Short: an unpublished post's images must leave caches soon after it does.
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
