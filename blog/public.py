"""The readers' blueprint: index, posts, tags, archive, feeds, sitemap (read-only)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import escape
from sqlalchemy import func, select

from . import posts as content
from . import sitemap as sitemaps
from .accounts import has_users
from .assets import file_response, find_file
from .caching import public_page
from .extensions import db
from .federation import alternate
from .formats.writing import to_json, to_markdown
from .models import Post, Series, Tag, revision_tags
from .pages import as_utc
from .post_page import post_view_model, render_post_page
from .search import search_posts
from .settings import load_about_html
from .vocabulary import Status

bp = Blueprint("public", __name__)


MAX_PAGE = 1_000_000


def page_number() -> int:
    """The requested page; a number past any real page is not found."""
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1
    if page > MAX_PAGE:
        abort(404)
    return page


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
    cards = [post_view_model(content.published_view(post)) for post in pagination.items]
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
    view = content.published_view(found)
    page = make_response(render_post_page(view))
    if link := alternate.link_header(view):
        # Kept with the page in the cache (`caching.KEPT_HEADERS`): fediverse software finds
        # the post's object without reading the HTML.
        page.headers["Link"] = link
    return page


def reachable_or_404(slug: str) -> content.PublishedPost:
    """What readers see of the published or unlisted post with this slug; 404 for drafts."""
    found = content.get_reachable_post(slug)
    if found is None:
        abort(404)
    return content.published_view(found)


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


def published_tag(slug: str) -> Tag | None:
    """The tag with this slug if a published post carries it (drafts and unlisted never)."""
    return db.session.scalar(
        select(Tag).where(Tag.slug == slug, Tag.id.in_(content.published_tag_ids()))
    )


@bp.get("/tags")
@public_page
def tags():
    """Every tag with at least one published post, with its count."""
    # Counted as readers see them: the tags of each published post's published revision.
    counted = db.session.execute(
        select(Tag, func.count(Post.id))
        .join(revision_tags, revision_tags.c.tag_id == Tag.id)
        .join(Post, Post.published_revision_id == revision_tags.c.revision_id)
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
    found = published_tag(slug)
    if found is None:
        abort(404)
    pagination = db.paginate(
        content.published_with_tag(found.id),
        page=page_number(),
        per_page=per_page(),
        error_out=False,
    )
    if not pagination.items:
        # A tag only a draft or a staged edit carries is not public yet.
        abort(404)
    cards = [post_view_model(content.published_view(p)) for p in pagination.items]
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
    """Every published post, grouped by year: of publication, or (?by=conversation) of the
    conversation itself, newest first."""
    by_conversation = request.args.get("by") == "conversation"
    views = content.listed_views(list(db.session.scalars(content.published_posts())))
    if by_conversation:
        # A post with no recorded conversation date (written here) goes by its publish date.
        views.sort(key=lambda view: as_utc(view.conversation_at or view.published_at), reverse=True)
    years: dict[int, list[content.PublishedPost]] = {}
    for view in views:
        when = (view.conversation_at or view.published_at) if by_conversation else view.published_at
        years.setdefault(when.year, []).append(view)
    return render_template("public/archive.html", years=years, by_conversation=by_conversation)


# Turn HTML carried in full per feed item, measured as escaped into the feed (code blocks
# nearly double when escaped): 20 items stay under about 1 MB with their disclosure and
# license; the rest of a long conversation is a link away.
FEED_ITEM_BUDGET = 42_000


def feed_items(query) -> list[dict]:
    limit = int(current_app.config["FEED_ITEMS"])
    return [
        feed_item(post_view_model(content.published_view(p)))
        for p in db.session.scalars(query.limit(limit))
    ]


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
    found = published_tag(slug)
    if found is None:
        abort(404)
    query = content.published_with_tag(found.id)
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
    """Every published post, tag and list page, or past SITEMAP_MAX_URLS an index of files
    that list them; never drafts or unlisted posts."""
    plan = sitemaps.plan()
    if plan.files == 1:
        body = render_template("feeds/sitemap.xml", **sitemaps.entries(plan.share(1)))
    else:
        body = render_template("feeds/sitemap_index.xml", numbers=range(1, plan.files + 1))
    return Response(body, mimetype="application/xml")


@bp.get("/sitemap-<int:number>.xml")
@public_page
def sitemap_part(number: int):
    """One file of a sitemap too long for one (the index at /sitemap.xml names them)."""
    plan = sitemaps.plan()
    if plan.files == 1 or not 1 <= number <= plan.files:
        abort(404)
    body = render_template("feeds/sitemap.xml", **sitemaps.entries(plan.share(number)))
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


@bp.get("/assets/<token>/<name>")
def asset(token: str, name: str):
    """A file kept with a post, by its unguessable address: for readers once the post's
    published revision shows it and while the post is public; for a signed-in author always.

    The bytes are streamed from the database in slices (SQL `substr`, which SQLite and
    PostgreSQL both apply to blobs), so a worker holds one slice at a time whatever the
    file's size or the number of readers.
    """
    found = find_file(token, name)
    if found is None:
        abort(404)
    owner = db.session.get(Post, found.post_id)
    public = owner is not None and owner.is_reachable and found.published
    if not (public or current_user.is_authenticated):
        abort(404)
    return file_response(found, public=public)
