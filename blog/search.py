"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, text

from .extensions import db
from .models import Post

MAX_RESULTS = 50
MAX_TERMS = 12
# A quoted phrase, or a word with an optional trailing * for a prefix search.
TERM = re.compile(r'"([^"]*)"|(\w+\*?)', re.UNICODE)
WORD = re.compile(r"\w+", re.UNICODE)
OPEN, CLOSE = "\x02", "\x03"


@dataclass(frozen=True)
class SearchHit:
    """One matching turn (or title) with a highlighted snippet."""

    post: Post
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
    SELECT s.rowid, s.post_id, s.turn_id
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
    return [(post_id, turn_id, snippets.get(rowid, "")) for rowid, post_id, turn_id in ranked]


# The query function is written out in each WHERE clause (not taken from a CTE) so the
# planner sees a value it can look up in the GIN indexes.
TSQUERY = "websearch_to_tsquery('english', :query)"
POSTGRES_SEARCH = text(
    f"""
    WITH ranked AS (
        SELECT posts.id AS post_id, NULL::integer AS turn_id, posts.title AS body,
               ts_rank(posts.search_vector, {TSQUERY}) + 1.0 AS rank
        FROM posts
        WHERE posts.status = 'published' AND posts.search_vector @@ {TSQUERY}
        UNION ALL
        SELECT turns.post_id, turns.id, coalesce(turns.text, turns.source),
               ts_rank(turns.search_vector, {TSQUERY})
        FROM turns JOIN posts ON posts.id = turns.post_id
        WHERE posts.status = 'published' AND NOT turns.excluded
          AND turns.search_vector @@ {TSQUERY}
        ORDER BY rank DESC
        LIMIT :limit
    )
    SELECT post_id, turn_id,
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


TURN_NUMBERS = text(
    """
    SELECT t.id,
           (SELECT count(*) FROM turns AS v
            WHERE v.post_id = t.post_id AND v.excluded = :no AND v.position <= t.position)
    FROM turns AS t
    WHERE t.id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))


def _hits(rows: list[tuple]) -> list[SearchHit]:
    if not rows:
        return []
    post_ids = {row[0] for row in rows}
    posts = {p.id: p for p in db.session.scalars(db.select(Post).where(Post.id.in_(post_ids)))}
    turn_ids = [row[1] for row in rows if row[1] is not None]
    numbers = (
        dict(db.session.execute(TURN_NUMBERS, {"ids": turn_ids, "no": False}).all())
        if turn_ids
        else {}
    )
    hits = []
    for post_id, turn_id, snippet in rows:
        post = posts.get(post_id)
        if post is None or (turn_id is not None and turn_id not in numbers):
            continue
        number = numbers[turn_id] if turn_id is not None else None
        hits.append(SearchHit(post, number, highlight(snippet or "")))
    return hits


def highlight(snippet: str) -> str:
    """Escape the snippet, then turn the match markers into <mark> elements."""
    escaped = html.escape(snippet)
    return escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
