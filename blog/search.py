"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL.

Both engines rank and limit inside the index first, so a query's cost is bounded by
CANDIDATES rather than by how many turns hold the word; the few best turns are then
grouped by post here, and only the turns shown get a snippet.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from sqlalchemy import bindparam, text

from .extensions import db
from .models import Post
from .vocabulary import Status

MAX_POSTS = 20
TURNS_PER_POST = 3
MAX_TERMS = 12
# Best-ranked turns fetched from the index before grouping.
CANDIDATES = 200
# A word in more turns than this is ranked among its newest CAP matches only: ranking
# every one of 100,000 matches would cost a third of a second, and the newest are what
# a reader of a growing archive most likely wants.
CAP = 4000
# Shorter prefixes match most of the vocabulary; they are searched as whole words.
MIN_PREFIX = 3
# A quoted phrase, or a word with an optional trailing * for a prefix search.
TERM = re.compile(r'"([^"]*)"|(\w+\*?)', re.UNICODE)
WORD = re.compile(r"\w+", re.UNICODE)
OPEN, CLOSE = "\x02", "\x03"


@dataclass(frozen=True)
class TurnMatch:
    """One matching turn: its place among the post's visible turns and a snippet."""

    number: int
    snippet_html: str


@dataclass
class PostResult:
    """One post that matches, with its best matching turns under it."""

    post: Post
    title_matched: bool = False
    turns: list[TurnMatch] = field(default_factory=list)


def search_posts(query: str) -> list[PostResult]:
    """Published posts whose title or visible turns match `query`, best first."""
    if not WORD.search(query):
        return []
    if db.engine.dialect.name == "postgresql":
        ranked = _ranked_postgres(query[:1000])
        snippets = lambda ids: _snippets_postgres(query[:1000], ids)  # noqa: E731
    else:
        match = fts5_query(query)
        if not match:
            return []
        ranked = _ranked_sqlite(match)
        snippets = lambda ids: _snippets_sqlite(match, ids)  # noqa: E731
    return _group(ranked, snippets)


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
            prefix = word.endswith("*") and len(bare) >= MIN_PREFIX
            terms.append(f'"{bare}"' + ("*" if prefix else ""))
    return " ".join(terms)


SQLITE_FLOOR = text(
    """
    SELECT min(rowid), count(*) FROM (
        SELECT rowid FROM search_index
        WHERE search_index MATCH :match AND rowid > 0
        ORDER BY rowid DESC LIMIT :cap)
    """
)
SQLITE_RANKED = text(
    """
    SELECT post_id, turn_id FROM search_index
    WHERE search_index MATCH :match AND rowid >= :floor
    ORDER BY rank LIMIT :limit
    """
)
SQLITE_TITLES = text(
    """
    SELECT post_id FROM search_index
    WHERE search_index MATCH :match AND rowid < 0
    ORDER BY rank LIMIT :limit
    """
)
SQLITE_SNIPPETS = text(
    """
    SELECT turn_id, snippet(search_index, 0, :open, :close, '…', 16)
    FROM search_index
    WHERE search_index MATCH :match AND rowid IN :rowids
    """
).bindparams(bindparam("rowids", expanding=True))


def _ranked_sqlite(match: str) -> list[tuple[int, int | None]]:
    """(post id, turn id or None for a title), best first."""
    session = db.session
    floor, count = session.execute(SQLITE_FLOOR, {"match": match, "cap": CAP}).one()
    # Below the cap every match is ranked; above it, the newest CAP matches are.
    floor = floor if count >= CAP else 1
    titles = session.execute(SQLITE_TITLES, {"match": match, "limit": MAX_POSTS}).scalars()
    turns = session.execute(
        SQLITE_RANKED, {"match": match, "floor": floor, "limit": CANDIDATES}
    ).all()
    return [(post_id, None) for post_id in titles] + [tuple(row) for row in turns]


def _snippets_sqlite(match: str, turn_ids: list[int]) -> dict[int, str]:
    params = {"match": match, "open": OPEN, "close": CLOSE, "rowids": turn_ids}
    return dict(db.session.execute(SQLITE_SNIPPETS, params).all())


# The query function is written out in each WHERE clause (not taken from a CTE) so the
# planner sees a value it can look up in the GIN indexes.
TSQUERY = "websearch_to_tsquery('english', :query)"
POSTGRES_TITLES = text(
    f"""
    SELECT posts.id FROM posts
    WHERE posts.status = 'published' AND posts.search_vector @@ {TSQUERY}
    ORDER BY ts_rank(posts.search_vector, {TSQUERY}) DESC LIMIT :limit
    """
)
POSTGRES_RANKED = text(
    f"""
    SELECT recent.post_id, recent.id FROM (
        SELECT turns.id, turns.post_id, turns.search_vector
        FROM turns JOIN posts ON posts.id = turns.post_id
        WHERE posts.status = 'published' AND NOT turns.excluded
          AND turns.search_vector @@ {TSQUERY}
        ORDER BY turns.id DESC LIMIT :cap
    ) AS recent
    ORDER BY ts_rank(recent.search_vector, {TSQUERY}) DESC LIMIT :limit
    """
)
POSTGRES_SNIPPETS = text(
    f"""
    SELECT turns.id,
           ts_headline('english', coalesce(turns.text, turns.source), {TSQUERY},
                       'StartSel=' || :open || ', StopSel=' || :close
                       || ', MaxWords=30, MinWords=10, MaxFragments=1')
    FROM turns WHERE turns.id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))


def _ranked_postgres(query: str) -> list[tuple[int, int | None]]:
    session = db.session
    titles = session.execute(POSTGRES_TITLES, {"query": query, "limit": MAX_POSTS}).scalars()
    params = {"query": query, "cap": CAP, "limit": CANDIDATES}
    turns = session.execute(POSTGRES_RANKED, params).all()
    return [(post_id, None) for post_id in titles] + [tuple(row) for row in turns]


def _snippets_postgres(query: str, turn_ids: list[int]) -> dict[int, str]:
    params = {"query": query, "open": OPEN, "close": CLOSE, "ids": turn_ids}
    return dict(db.session.execute(POSTGRES_SNIPPETS, params).all())


def _group(ranked: list[tuple[int, int | None]], snippets) -> list[PostResult]:
    """Posts in the order of their best match, each with its best few turns."""
    if not ranked:
        return []
    post_ids = {post_id for post_id, _ in ranked}
    posts = {
        p.id: p
        for p in db.session.scalars(
            db.select(Post).where(Post.id.in_(post_ids), Post.status == Status.PUBLISHED)
        )
    }
    turn_ids = [turn_id for _, turn_id in ranked if turn_id is not None]
    visible = _visible_numbers(turn_ids)
    results: dict[int, PostResult] = {}
    chosen: dict[int, list[int]] = {}
    for post_id, turn_id in ranked:
        post = posts.get(post_id)
        if post is None or (turn_id is not None and turn_id not in visible):
            continue
        if post_id not in results:
            if len(results) >= MAX_POSTS:
                continue
            results[post_id] = PostResult(post)
            chosen[post_id] = []
        if turn_id is None:
            results[post_id].title_matched = True
        elif len(chosen[post_id]) < TURNS_PER_POST:
            chosen[post_id].append(turn_id)
    shown = [turn_id for ids in chosen.values() for turn_id in ids]
    found = snippets(shown) if shown else {}
    for post_id, result in results.items():
        result.turns = [
            TurnMatch(visible[turn_id], highlight(found.get(turn_id, "")))
            for turn_id in sorted(chosen[post_id], key=visible.get)
        ]
    return list(results.values())


TURN_NUMBERS = text(
    """
    SELECT t.id,
           (SELECT count(*) FROM turns AS v
            WHERE v.post_id = t.post_id AND v.excluded = :no AND v.position <= t.position)
    FROM turns AS t
    WHERE t.id IN :ids AND t.excluded = :no
    """
).bindparams(bindparam("ids", expanding=True))


def _visible_numbers(turn_ids: list[int]) -> dict[int, int]:
    """Each visible turn's number on its post's page (`#turn-N`); left-out turns are absent."""
    if not turn_ids:
        return {}
    rows = db.session.execute(TURN_NUMBERS, {"ids": turn_ids, "no": False}).all()
    return dict(rows)


def highlight(snippet: str) -> str:
    """Escape the snippet, then turn the match markers into <mark> elements."""
    escaped = html.escape(snippet)
    return escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
