"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL.

The index holds what readers see: the title and visible turns of each public post's published
revision (`search_entries`, written by the content service at Publish and Update), never the
author's working copy.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, text

from .extensions import db
from .models import Post
from .posts import PublishedPost, published_posts, published_view

MAX_RESULTS = 50
MAX_TERMS = 12
# A quoted phrase, or a word with an optional trailing * for a prefix search.
TERM = re.compile(r'"([^"]*)"|(\w+\*?)', re.UNICODE)
WORD = re.compile(r"\w+", re.UNICODE)
OPEN, CLOSE = "\x02", "\x03"


@dataclass(frozen=True)
class SearchHit:
    """One matching turn (or title) with a highlighted snippet."""

    post: PublishedPost
    turn_number: int | None  # the turn's place among visible turns; None for a title match
    snippet_html: str


def search_posts(query: str) -> list[SearchHit]:
    """Published, visible turns and titles matching `query`, best first."""
    if not WORD.search(query):
        return []
    if db.engine.dialect.name == "postgresql":
        rows = _search_postgres(query)
    else:
        match = fts5_query(query)
        rows = _search_sqlite(match) if match else []
    return _hits(rows)


def fts5_query(query: str) -> str:
    """The user's words and "quoted phrases" as FTS5 strings, so nothing is read as an operator."""
    terms = []
    for phrase, word in TERM.findall(query)[:MAX_TERMS]:
        if phrase:
            words = WORD.findall(phrase)
            if words:
                terms.append('"' + " ".join(words) + '"')
        else:
            bare = word.rstrip("*")
            terms.append(f'"{bare}"' + ("*" if word.endswith("*") else ""))
    return " ".join(terms)


SQLITE_RANKED = text(
    """
    SELECT s.rowid, e.post_id, e.turn_number
    FROM search_index AS s
    JOIN search_entries AS e ON e.id = s.rowid
    JOIN posts ON posts.id = e.post_id
    WHERE search_index MATCH :match AND posts.status = 'published'
    ORDER BY bm25(search_index)
    LIMIT :limit
    """
)
SQLITE_SNIPPETS = text(
    """
    SELECT rowid, snippet(search_index, 0, :open, :close, '…', 16)
    FROM search_index
    WHERE search_index MATCH :match AND rowid IN :rowids
    """
).bindparams(bindparam("rowids", expanding=True))


def _search_sqlite(match: str) -> list[tuple]:
    # Rank first and keep the best few; only those get a snippet.
    ranked = db.session.execute(SQLITE_RANKED, {"match": match, "limit": MAX_RESULTS}).all()
    if not ranked:
        return []
    snippets = dict(
        db.session.execute(
            SQLITE_SNIPPETS,
            {"match": match, "open": OPEN, "close": CLOSE, "rowids": [r[0] for r in ranked]},
        ).all()
    )
    return [(post_id, number, snippets.get(rowid, "")) for rowid, post_id, number in ranked]


# The query function is written out in each WHERE clause (not taken from a CTE) so the
# planner sees a value it can look up in the GIN indexes.
TSQUERY = "websearch_to_tsquery('english', :query)"
POSTGRES_SEARCH = text(
    f"""
    WITH ranked AS (
        SELECT e.post_id, e.turn_number, e.body,
               ts_rank(e.search_vector, {TSQUERY}) + (CASE WHEN e.turn_number IS NULL
                                                      THEN 1.0 ELSE 0.0 END) AS rank
        FROM search_entries AS e JOIN posts ON posts.id = e.post_id
        WHERE posts.status = 'published' AND e.search_vector @@ {TSQUERY}
        ORDER BY rank DESC
        LIMIT :limit
    )
    SELECT post_id, turn_number,
           ts_headline('english', body, {TSQUERY},
                       'StartSel=' || :open || ', StopSel=' || :close
                       || ', MaxWords=30, MinWords=10, MaxFragments=1')
    FROM ranked
    ORDER BY rank DESC
    """
)


def _search_postgres(query: str) -> list[tuple]:
    params = {"query": query[:1000], "open": OPEN, "close": CLOSE, "limit": MAX_RESULTS}
    return [tuple(row) for row in db.session.execute(POSTGRES_SEARCH, params)]


def _hits(rows: list[tuple]) -> list[SearchHit]:
    if not rows:
        return []
    post_ids = {row[0] for row in rows}
    found = db.session.scalars(published_posts().where(Post.id.in_(post_ids)).order_by(None))
    views = {post.id: published_view(post) for post in found}
    return [
        SearchHit(views[post_id], number, highlight(snippet or ""))
        for post_id, number, snippet in rows
        if views.get(post_id) is not None
    ]


def highlight(snippet: str) -> str:
    """Escape the snippet, then turn the match markers into <mark> elements."""
    escaped = html.escape(snippet)
    return escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
