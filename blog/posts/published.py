"""What readers see: a post as its published revision shows it, and the search entries for it.

Every reader path (public pages, feeds, search, sitemap, static export, the page cache) reads a
post through `published_view`, never through its live turns: the live rows are the author's
working copy, and edits to them reach readers only when the author presses Update.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import JSON, cast, delete, func, insert, select

from ..extensions import db
from ..models import Post, PostShape, Revision, TurnShape, search_entries
from ..vocabulary import Status


@dataclass(frozen=True)
class PublishedTurn(TurnShape):
    """One turn as it was published: stored HTML and plain text, never rendered on read."""

    id: int
    position: int
    role: str
    speaker: str = ""
    model: str = ""
    source: str = ""
    text_format: str = "markdown"
    html: str = ""
    text: str = ""
    words: int = 0
    excluded: bool = False
    edited: bool = False
    reviewed: bool = True
    original_source: str | None = None
    created_at: datetime | None = None
    alternatives: list = field(default_factory=list)


@dataclass(frozen=True)
class Named:
    """A tag or series as a revision recorded it."""

    name: str
    slug: str

    @property
    def title(self) -> str:
        return self.name


class PublishedPost(PostShape):
    """A post as readers see it: the post's address and dates, its revision's content."""

    def __init__(self, post: Post, revision: Revision, data: dict | None = None) -> None:
        self.post = post
        self.revision = revision
        self._data = data
        self.id = post.id
        self.slug = post.slug
        self.status = post.status
        self.author = post.author
        self.published_at = post.published_at
        self.created_at = post.created_at
        self.source_id = post.source_id
        self.title = revision.title
        self.updated_at = revision.created_at
        self.series_id = revision.series_id
        self.series_position = revision.series_position

    @cached_property
    def data(self) -> dict:
        return self._data if self._data is not None else json.loads(self.revision.data)

    def __getattr__(self, name: str):
        # Only reached for the content fields kept in the revision's JSON.
        if name in CONTENT_FIELDS:
            return self.data.get(name, CONTENT_FIELDS[name])
        raise AttributeError(name)

    @cached_property
    def conversation_at(self) -> datetime | None:
        value = self.data.get("conversation_at")
        return datetime.fromisoformat(value) if value else None

    @cached_property
    def tags(self) -> list[Named]:
        return [Named(t["name"], t["slug"]) for t in self.data.get("tags", [])]

    @cached_property
    def series(self) -> Named | None:
        series = self.data.get("series")
        return Named(series["title"], series["slug"]) if series else None

    @cached_property
    def turns(self) -> list[PublishedTurn]:
        return [turn_from(t) for t in self.data.get("turns", [])]

    @cached_property
    def session(self) -> SessionView | None:
        """A coding agent's session as its revision laid it out (see `blog/sessions.py`);
        None for other posts and for revisions recorded before the layout existed."""
        layout = self.data.get("session")
        if not isinstance(layout, dict):
            return None
        summary = dict(layout.get("summary") or {})
        for key in ("started", "ended"):
            summary[key] = datetime.fromisoformat(summary[key]) if summary.get(key) else None
        return SessionView(
            summary=summary,
            blocks={int(k): v for k, v in (layout.get("blocks") or {}).items()},
            inside=frozenset(layout.get("inside") or ()),
        )


@dataclass(frozen=True)
class SessionView:
    """What a session page prints: its facts, each run of shown tool turns (by the id of the
    run's first turn), and the turns a run shows after its first (skipped where they stand)."""

    summary: dict
    blocks: dict[int, dict]
    inside: frozenset[int]


CONTENT_FIELDS = {
    "summary": "",
    "model_name": "",
    "license": "",
    "how_made": "",
    "source_kind": "editor",
    "agent": "",
    "agent_version": "",
}


def turn_from(item: dict) -> PublishedTurn:
    created = item.get("created_at")
    return PublishedTurn(
        id=item["id"],
        position=item["position"],
        role=item["role"],
        speaker=item.get("speaker", ""),
        model=item.get("model", ""),
        source=item.get("source", ""),
        text_format=item.get("text_format") or "markdown",
        html=item.get("html") or "",
        text=item.get("text") or "",
        words=item.get("words") or 0,
        excluded=item.get("excluded", False),
        edited=item.get("edited", False),
        reviewed=item.get("reviewed", True),
        original_source=item.get("original_source"),
        created_at=datetime.fromisoformat(created) if created else None,
    )


def listed_views(posts: list[Post]) -> list[PublishedPost]:
    """Views for a listing of many posts that shows their conversation dates (the archive).

    The dates are read by the database from each revision's JSON in one statement, so the
    revisions are not loaded and parsed whole: at 10,000 posts that took 40-100 s and 420 MB.
    """
    column = Revision.data
    if db.engine.dialect.name == "postgresql":
        date = cast(column, JSON)["conversation_at"].as_string()
    else:
        date = func.json_extract(column, "$.conversation_at")
    ids = [post.published_revision_id for post in posts]
    dates: dict[int, str | None] = {}
    for start in range(0, len(ids), 5_000):  # within every database's limit of parameters
        chunk = ids[start : start + 5_000]
        rows = db.session.execute(select(Revision.id, date).where(Revision.id.in_(chunk)))
        dates.update(rows.all())
    views = []
    for post in posts:
        view = published_view(post)
        if view is not None:
            found = dates.get(post.published_revision_id)
            # The cached property, filled in advance: reading it never loads the revision.
            view.__dict__["conversation_at"] = datetime.fromisoformat(found) if found else None
            views.append(view)
    return views


def published_view(post: Post) -> PublishedPost | None:
    """What readers see of this post: its published revision, or None while it is a draft."""
    if not post.is_reachable or post.published_revision is None:
        return None
    return PublishedPost(post, post.published_revision)


def reindex(post: Post, revision: Revision | None, data: dict | None = None) -> None:
    """Replace the post's search entries by its published revision's title and visible turns."""
    db.session.execute(delete(search_entries).where(search_entries.c.post_id == post.id))
    if revision is None or post.status != Status.PUBLISHED:
        return
    data = data if data is not None else json.loads(revision.data)
    rows = [{"post_id": post.id, "turn_number": None, "body": revision.title}]
    visible = [t for t in data["turns"] if not t.get("excluded")]
    rows += [
        {"post_id": post.id, "turn_number": n, "body": t.get("text") or t.get("source") or ""}
        for n, t in enumerate(visible, start=1)
    ]
    db.session.execute(insert(search_entries), rows)
