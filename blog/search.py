"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy import text

from .extensions import db
from .models import Post

MAX_RESULTS = 50
WORD = re.compile(r"\w+\*?", re.UNICODE)
OPEN, CLOSE = "\x02", "\x03"


@dataclass(frozen=True)
class SearchHit:
    """One matching turn (or title) with a highlighted snippet."""

    post: Post
    turn_number: int | None  # the turn's place among visible turns; None for a title match
    snippet_html: str


def search_posts(query: str) -> list[SearchHit]:
    """Published, visible turns and titles matching the words of `query`, best first."""
    words = WORD.findall(query)[:12]
    if not words:
        return []
    if db.engine.dialect.name == "postgresql":
        rows = _search_postgres(query)
    else:
        rows = _search_sqlite(words)
    return _hits(rows)


def fts5_query(words: list[str]) -> str:
    """User words as quoted FTS5 phrases, so no input is read as an operator."""
    terms = []
    for word in words:
        prefix = word.endswith("*")
        bare = word.rstrip("*").replace('"', "")
        if bare:
            terms.append(f'"{bare}"' + ("*" if prefix else ""))
    return " ".join(terms)


def _search_sqlite(words: list[str]) -> list[tuple]:
    match = fts5_query(words)
    if not match:
        return []
    statement = text(
        """
        SELECT s.post_id, s.turn_id,
               snippet(search_index, 0, :open, :close, '…', 16) AS snip
        FROM search_index AS s
        JOIN posts ON posts.id = s.post_id
        LEFT JOIN turns ON turns.id = s.turn_id
        WHERE search_index MATCH :match
          AND posts.status = 'published'
          AND (s.turn_id IS NULL OR turns.excluded = 0)
        ORDER BY bm25(search_index)
        LIMIT :limit
        """
    )
    params = {"match": match, "open": OPEN, "close": CLOSE, "limit": MAX_RESULTS}
    return [tuple(row) for row in db.session.execute(statement, params)]


def _search_postgres(query: str) -> list[tuple]:
    statement = text(
        """
        WITH q AS (SELECT websearch_to_tsquery('english', :query) AS tsq)
        SELECT post_id, turn_id, snip FROM (
            SELECT posts.id AS post_id, NULL::integer AS turn_id,
                   ts_headline('english', posts.title, q.tsq,
                               'StartSel=' || :open || ', StopSel=' || :close) AS snip,
                   ts_rank(posts.search_vector, q.tsq) + 1.0 AS rank
            FROM posts, q
            WHERE posts.status = 'published' AND posts.search_vector @@ q.tsq
            UNION ALL
            SELECT turns.post_id, turns.id,
                   ts_headline('english', turns.source, q.tsq,
                               'StartSel=' || :open || ', StopSel=' || :close
                               || ', MaxWords=30, MinWords=10, MaxFragments=1'),
                   ts_rank(turns.search_vector, q.tsq)
            FROM turns JOIN posts ON posts.id = turns.post_id, q
            WHERE posts.status = 'published' AND NOT turns.excluded
              AND turns.search_vector @@ q.tsq
        ) AS found
        ORDER BY rank DESC
        LIMIT :limit
        """
    )
    params = {"query": query, "open": OPEN, "close": CLOSE, "limit": MAX_RESULTS}
    return [tuple(row) for row in db.session.execute(statement, params)]


def _hits(rows: list[tuple]) -> list[SearchHit]:
    posts = {
        p.id: p
        for p in db.session.scalars(db.select(Post).where(Post.id.in_({r[0] for r in rows})))
    }
    hits = []
    for post_id, turn_id, snippet in rows:
        post = posts.get(post_id)
        if post is None:
            continue
        number = None
        if turn_id is not None:
            visible_ids = [t.id for t in post.visible_turns]
            if turn_id not in visible_ids:
                continue
            number = visible_ids.index(turn_id) + 1
        hits.append(SearchHit(post, number, highlight(snippet or "")))
    return hits


def highlight(snippet: str) -> str:
    """Escape the snippet, then turn the match markers into <mark> elements."""
    escaped = html.escape(snippet)
    return escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
