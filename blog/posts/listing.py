"""The studio's list of posts: filtered, searched, sorted and paginated in a bounded number of
statements, whatever the number of posts.

Text search here reads every post the author has, drafts included, so it cannot use the public
search index (published posts only): it is a case-insensitive `LIKE` over titles and the turns'
stored plain text (`Turn.text`). That scans the text of the filtered posts, which is bounded by
the author's own archive and returns one page at a time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

from sqlalchemy import and_, case, exists, func, not_, select

from ..extensions import db
from ..models import ImportBatch, Post, Tag, Turn, post_tags
from ..scan import LABELS
from ..vocabulary import AI_ROLES, STATUSES
from .errors import ContentError
from .finding_kinds import kind_counts

PAGE_SIZE = 50
MAX_QUERY = 200
CHOICES_LIMIT = 200
SORTS = {
    "updated": Post.updated_at,
    "created": Post.created_at,
    "title": Post.title,
    "conversation": Post.conversation_at,
}


class PageNotFound(ContentError):
    """A page number past the end of the list (or not a page number at all)."""


@dataclass(frozen=True)
class Filters:
    """What the author asked the list for; every field is a GET parameter of the dashboard."""

    q: str = ""
    status: str = ""
    source: str = ""
    model: str = ""
    tag: str = ""
    unreviewed: bool = False
    findings: bool = False
    finding: str = ""  # a kind of privacy finding (scan.LABELS): posts with one still open
    batch: int | None = None
    sort: str = "updated"
    order: str = "desc"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """Filters from query parameters; unknown values are ignored, a bad page refused."""
        raw_page = args.get("page", "1") or "1"
        if not raw_page.isdigit() or int(raw_page) < 1:
            raise PageNotFound(f"There is no page “{raw_page[:20]}”.")
        batch = args.get("batch", "")
        status = args.get("status", "")
        sort = args.get("sort", "updated")
        default_order = "asc" if sort == "title" else "desc"
        order = args.get("order", default_order)
        return cls(
            q=args.get("q", "").strip()[:MAX_QUERY],
            status=status if status in STATUSES else "",
            source=args.get("source", "")[:40],
            model=args.get("model", "")[:200],
            tag=args.get("tag", "")[:80],
            unreviewed=args.get("unreviewed") == "1",
            findings=args.get("findings") == "1",
            finding=args.get("finding", "") if args.get("finding", "") in LABELS else "",
            batch=int(batch) if batch.isdigit() else None,
            sort=sort if sort in SORTS else "updated",
            order=order if order in ("asc", "desc") else default_order,
            page=int(raw_page),
        )

    def args(self, **changes: object) -> dict[str, object]:
        """The query parameters for these filters (with changes), defaults left out."""
        values = asdict(replace(self, **changes))
        defaults = asdict(Filters(sort=values["sort"]))
        if values["sort"] == "title":
            defaults["order"] = "asc"
        return {
            key: (1 if value is True else value)
            for key, value in values.items()
            if value not in (None, "", False) and value != defaults.get(key)
        }

    @property
    def active(self) -> bool:
        """True when anything narrows the list."""
        return bool(
            self.q
            or self.status
            or self.source
            or self.model
            or self.tag
            or self.unreviewed
            or self.findings
            or self.finding
            or self.batch
        )


@dataclass(frozen=True)
class Row:
    """One post in the list, with the counts its row shows."""

    post: Post
    turns: int
    unreviewed: int


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    number: int
    pages: int
    filters: Filters
    kind_counts: dict[int, int] = field(default_factory=dict)  # open findings of `finding`

    @property
    def ids(self) -> list[int]:
        return [row.post.id for row in self.rows]


def unreviewed_turn():
    """A visible AI turn the author has not marked as reviewed (as `unreviewed_turns`)."""
    return and_(Turn.role.in_(sorted(AI_ROLES)), not_(Turn.reviewed), not_(Turn.excluded))


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_matches(query: str):
    """The title or a turn's plain text contains `query`, ignoring case."""
    pattern = like_pattern(query)
    # SQLite's LIKE already ignores ASCII case (its lower() knows no more), so ilike's lower()
    # on every row would only cost time.
    like = "like" if db.session.get_bind().dialect.name == "sqlite" else "ilike"
    return getattr(Post.title, like)(pattern, escape="\\") | exists().where(
        Turn.post_id == Post.id, getattr(Turn.text, like)(pattern, escape="\\")
    )


def conditions(filters: Filters) -> list:
    """The WHERE clauses for the filters."""
    where = []
    if filters.status:
        where.append(Post.status == filters.status)
    if filters.source:
        where.append(Post.source_kind == filters.source)
    if filters.model:
        where.append(Post.model_name == filters.model)
    if filters.batch is not None:
        where.append(Post.import_batch_id == filters.batch)
    if filters.findings:
        where.append(Post.findings > 0)
    if filters.tag:
        where.append(
            exists()
            .where(post_tags.c.post_id == Post.id, post_tags.c.tag_id == Tag.id)
            .where(Tag.slug == filters.tag)
        )
    if filters.unreviewed:
        where.append(exists().where(Turn.post_id == Post.id, unreviewed_turn()))
    if filters.q:
        where.append(text_matches(filters.q))
    return where


def ordering(filters: Filters) -> list:
    column = SORTS[filters.sort]
    first = column.asc() if filters.order == "asc" else column.desc()
    tie = Post.id.asc() if filters.order == "asc" else Post.id.desc()
    return [first.nulls_last(), tie]


def dashboard_page(filters: Filters, size: int = PAGE_SIZE) -> Page:
    """One page of the filtered, sorted list: three statements, whatever the number of posts.

    A kind of finding is not stored per post (only the count of open findings is), so that
    filter scans the text of the posts the other filters leave with open findings.
    """
    where = conditions(filters)
    counted: dict[int, int] = {}
    if filters.finding:
        candidates = db.session.scalars(select(Post.id).where(*where, Post.findings > 0)).all()
        counted = kind_counts(list(candidates), filters.finding)
        where.append(Post.id.in_(sorted(counted)))
    total = db.session.scalar(select(func.count(Post.id)).where(*where)) or 0
    pages = max(1, math.ceil(total / size))
    if filters.page > pages:
        raise PageNotFound(f"There is no page {filters.page}: the list has {pages}.")
    posts = db.session.scalars(
        select(Post)
        .where(*where)
        .order_by(*ordering(filters))
        .offset((filters.page - 1) * size)
        .limit(size)
    ).all()
    counts = turn_counts([post.id for post in posts])
    rows = [Row(post, *counts.get(post.id, (0, 0))) for post in posts]
    return Page(
        rows=rows,
        total=total,
        number=filters.page,
        pages=pages,
        filters=filters,
        kind_counts={post.id: counted[post.id] for post in posts if post.id in counted},
    )


def turn_counts(post_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Turns and unreviewed AI turns of each post, in one statement."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(
            Turn.post_id,
            func.count(Turn.id),
            func.coalesce(func.sum(case((unreviewed_turn(), 1), else_=0)), 0),
        )
        .where(Turn.post_id.in_(post_ids))
        .group_by(Turn.post_id)
    )
    return {post_id: (turns, int(unreviewed)) for post_id, turns, unreviewed in rows}


@dataclass(frozen=True)
class Choices:
    """The values the filter menus offer."""

    sources: list[str]
    models: list[str]
    tags: list[tuple[str, str]]
    batches: list[ImportBatch]
    finding_kinds: list[tuple[str, str]] = field(default_factory=list)


def filter_choices() -> Choices:
    """The sources, models, tags and recent import batches there are (each list bounded)."""
    sources = db.session.scalars(
        select(Post.source_kind).distinct().order_by(Post.source_kind).limit(CHOICES_LIMIT)
    ).all()
    models = db.session.scalars(
        select(Post.model_name)
        .where(Post.model_name != "")
        .distinct()
        .order_by(Post.model_name)
        .limit(CHOICES_LIMIT)
    ).all()
    tags = db.session.execute(select(Tag.slug, Tag.name).order_by(Tag.name).limit(CHOICES_LIMIT))
    batches = db.session.scalars(
        select(ImportBatch).order_by(ImportBatch.id.desc()).limit(CHOICES_LIMIT)
    ).all()
    return Choices(
        list(sources), list(models), [tuple(row) for row in tags], list(batches), kinds_of_finding()
    )


def kinds_of_finding() -> list[tuple[str, str]]:
    """Every kind of privacy finding and its label, in the label's order."""
    return sorted(LABELS.items(), key=lambda item: item[1])
