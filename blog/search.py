"""Full-text search over published posts: FTS5 on SQLite, tsvector on PostgreSQL.

The index holds what readers see: the title and visible turns of each public post's published
revision (`search_entries`, written by the content service at Publish and Update), never the
author's working copy. Both engines rank only the newest CAP matches, so a query's cost is
bounded by CAP rather than by how many turns hold the word; the CANDIDATES best entries are then
grouped by post here, only the posts shown have their cards read, and only the turns shown get a
snippet, cut from their plain text.

A post matches when its entries together hold every term, not only when one entry holds them
all: after the query of every term, each term's newest CAP matches are read on their own and
the posts that hold each of them (in no one entry) follow, ranked by the sum of each term's
best rank, with the entry that holds each term as their turns.
"""

from __future__ import annotations

import heapq
import html
import json
import re
from dataclasses import dataclass, field
from operator import itemgetter

from sqlalchemy import JSON, bindparam, cast, func, select, text

from .extensions import db
from .models import Post, Revision
from .vocabulary import Status

MAX_POSTS = 20
TURNS_PER_POST = 3
MAX_TERMS = 12
# Best-ranked turns fetched from the index before grouping.
CANDIDATES = 100
# A word in more turns than this is ranked among its newest CAP matches only: ranking
# all of 100,000 matches costs a third of a second (bm25 looks up each one's length), and
# the newest are what a reader of a growing archive most likely wants. At 1,000, two common
# words on PostgreSQL read back through some 37,000 entries for their newest matches (p99
# 58 ms at 500,000 turns); at 500, half as many (p99 37 ms), still five times the candidates.
CAP = 500
# Shorter prefixes match most of the vocabulary; they are searched as whole words.
MIN_PREFIX = 3
# A quoted phrase, or a word with an optional trailing * for a prefix search.
TERM = re.compile(r'"([^"]*)"|(\w+\*?)', re.UNICODE)
WORD = re.compile(r"\w+", re.UNICODE)
OPEN, CLOSE = "\x02", "\x03"
SNIPPET_CHARS = 220
MAX_SNIPPET_SOURCE = 20_000


@dataclass(frozen=True)
class TurnMatch:
    """One matching turn: its place among the post's visible turns and a snippet."""

    number: int
    snippet_html: str


@dataclass(frozen=True)
class FoundPost:
    """What a result card prints of a post: its address, and its published title and summary."""

    id: int
    slug: str
    title: str
    summary: str


@dataclass
class PostResult:
    """One post that matches, with its best matching turns under it."""

    post: FoundPost
    title_matched: bool = False
    turns: list[TurnMatch] = field(default_factory=list)


def search_posts(query: str) -> list[PostResult]:
    """Published posts whose title and visible turns together hold every term of `query`,
    best first: posts with one entry holding them all, then posts whose entries share them."""
    if not WORD.search(query):
        return []
    terms = search_terms(query[:1000]) if db.engine.dialect.name == "postgresql" else None
    if terms is not None:
        tsquery = tsquery_text(query[:1000])
        ranked = _ranked_postgres(tsquery) if tsquery else []
        apart = _term_matches_postgres(terms) if len(terms) > 1 else []
    else:
        terms = search_terms(query)
        match = fts5_query(query)
        ranked = _ranked_sqlite(match) if match else []
        apart = [_term_matches_sqlite(_fts5_term(t)) for t in terms] if len(terms) > 1 else []
    return _group(ranked + _across_entries(apart, ranked), marker(query))


def fts5_query(query: str) -> str:
    """The user's words and "quoted phrases" as FTS5 strings, so nothing is read as an operator."""
    return " ".join(_fts5_term(term) for term in search_terms(query))


def _fts5_term(term: tuple[list[str], bool]) -> str:
    words, prefix = term
    return '"' + " ".join(words) + '"' + ("*" if prefix else "")


def tsquery_text(query: str) -> str:
    """The same words, phrases and prefixes as `fts5_query`, written for PostgreSQL's to_tsquery.

    Built from the words alone, so a reader's text is never read as an operator; a trailing
    `*` asks for a prefix (`perform*` → `perform:*`), as it does on SQLite.
    """
    return " & ".join(_tsquery_term(term) for term in search_terms(query))


def _tsquery_term(term: tuple[list[str], bool]) -> str:
    words, prefix = term
    return ("(" + " <-> ".join(words) + ")" if len(words) > 1 else words[0]) + (
        ":*" if prefix else ""
    )


def search_terms(query: str) -> list[tuple[list[str], bool]]:
    """The query's terms: (the words of a quoted phrase or a single word, whether a prefix)."""
    terms = []
    for phrase, word in TERM.findall(query)[:MAX_TERMS]:
        if phrase:
            if words := WORD.findall(phrase):
                terms.append((words, False))
        else:
            bare = word.rstrip("*")
            terms.append(([bare], word.endswith("*") and len(bare) >= MIN_PREFIX))
    return terms


# The newest CAP matches with their bm25 rank, in one pass over the index. Asking FTS5 to
# ORDER BY rank instead would read the word's postings a second time, and bm25 already reads
# them once over the whole index for its weights: twice is what a rare word never pays and a
# common word or a prefix (whose postings FTS5 merges in full) pays in tens of milliseconds.
SQLITE_NEWEST = text(
    """
    SELECT rowid, rank FROM search_index WHERE search_index MATCH :match
    ORDER BY rowid DESC LIMIT :cap
    """
)
ENTRIES = text("SELECT id, post_id, turn_number FROM search_entries WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def _ranked_sqlite(match: str) -> list[tuple[int, int, int | None]]:
    """(entry id, post id, turn number or None for a title), best first."""
    session = db.session
    newest = session.execute(SQLITE_NEWEST, {"match": match, "cap": CAP}).all()
    # Equal ranks keep the index's own order, oldest entry first.
    best = heapq.nsmallest(CANDIDATES, newest, key=itemgetter(1, 0))
    order = [rowid for rowid, _ in best]
    if not order:
        return []
    entries = {row[0]: tuple(row) for row in session.execute(ENTRIES, {"ids": order})}
    return [entries[entry_id] for entry_id in order if entry_id in entries]


# The query function is written out in each WHERE clause (not taken from a CTE) so the
# planner sees a value it can look up in the GIN index.
TSQUERY = "to_tsquery('english', :query)"
POSTGRES_RANKED = text(
    f"""
    SELECT recent.id, recent.post_id, recent.turn_number FROM (
        SELECT e.id, e.post_id, e.turn_number, e.search_vector
        FROM search_entries AS e
        WHERE e.search_vector @@ {TSQUERY}
        ORDER BY e.id DESC LIMIT :cap
    ) AS recent
    ORDER BY ts_rank(recent.search_vector, {TSQUERY})
             + (CASE WHEN recent.turn_number IS NULL THEN 1.0 ELSE 0.0 END) DESC
    LIMIT :limit
    """
)


def _ranked_postgres(query: str) -> list[tuple[int, int, int | None]]:
    params = {"query": query, "cap": CAP, "limit": CANDIDATES}
    return [tuple(row) for row in db.session.execute(POSTGRES_RANKED, params)]


# Each term's newest CAP matches with their rank (lower is better on both engines), for
# posts that hold the terms in different entries: a word in one turn, the next in another.
SQLITE_TERM = text(
    """
    SELECT e.id, e.post_id, e.turn_number, m.rank FROM (
        SELECT rowid, rank FROM search_index WHERE search_index MATCH :match
        ORDER BY rowid DESC LIMIT :cap
    ) AS m JOIN search_entries AS e ON e.id = m.rowid
    """
)
POSTGRES_TERM = text(
    f"""
    SELECT recent.id, recent.post_id, recent.turn_number,
           -ts_rank(recent.search_vector, {TSQUERY}) FROM (
        SELECT e.id, e.post_id, e.turn_number, e.search_vector
        FROM search_entries AS e
        WHERE e.search_vector @@ {TSQUERY}
        ORDER BY e.id DESC LIMIT :cap
    ) AS recent
    """
)
# A term of stop words only ("the") is dropped by to_tsquery, as in the query of every term.
POSTGRES_STOP_WORDS = text("SELECT numnode(to_tsquery('english', :query))")

Match = tuple[int, int, int | None, float]  # entry id, post id, turn number, rank


def _term_matches_sqlite(match: str) -> list[Match]:
    return [tuple(row) for row in db.session.execute(SQLITE_TERM, {"match": match, "cap": CAP})]


def _term_matches_postgres(terms: list[tuple[list[str], bool]]) -> list[list[Match]]:
    found = []
    for term in terms:
        query = _tsquery_term(term)
        if not db.session.scalar(POSTGRES_STOP_WORDS, {"query": query}):
            continue
        rows = db.session.execute(POSTGRES_TERM, {"query": query, "cap": CAP})
        found.append([tuple(row) for row in rows])
    return found if len(found) > 1 else []


def _across_entries(
    per_term: list[list[Match]], ranked: list[tuple[int, int, int | None]]
) -> list[tuple[int, int, int | None]]:
    """The posts that hold every term somewhere among their entries but in no one entry,
    best first (the sum of each term's best rank), each with its best entry for each term."""
    if not per_term:
        return []
    best: list[dict[int, Match]] = []
    for matches in per_term:
        by_post: dict[int, Match] = {}
        for match in matches:
            held = by_post.get(match[1])
            if held is None or (match[3], match[0]) < (held[3], held[0]):
                by_post[match[1]] = match
        best.append(by_post)
    already = {post_id for _, post_id, _ in ranked}
    posts = set.intersection(*(set(by_post) for by_post in best)) - already
    order = sorted(posts, key=lambda post_id: (sum(b[post_id][3] for b in best), -post_id))
    across: list[tuple[int, int, int | None]] = []
    for post_id in order[:CANDIDATES]:
        entries = sorted({b[post_id] for b in best}, key=itemgetter(3, 0))
        across += [(entry_id, post_id, number) for entry_id, _, number, _ in entries]
    return across


def _group(ranked: list[tuple[int, int, int | None]], marks: re.Pattern | None) -> list[PostResult]:
    """Posts in the order of their best match, each with its best few visible turns."""
    if not ranked:
        return []
    # Only the first MAX_POSTS posts are shown: their cards are read first, and the next
    # posts' only when one of those is no longer published (unpublished since it was indexed).
    candidates = list(dict.fromkeys(post_id for _, post_id, _ in ranked))
    found = _found_posts(candidates[:MAX_POSTS])
    if len(found) < MAX_POSTS and len(candidates) > MAX_POSTS:
        found |= _found_posts(candidates[MAX_POSTS:])
    results: dict[int, PostResult] = {}
    chosen: dict[int, list[tuple[int, int]]] = {}
    for entry_id, post_id, number in ranked:
        if post_id not in found:
            continue
        if post_id not in results:
            if len(results) >= MAX_POSTS:
                continue
            results[post_id], chosen[post_id] = PostResult(found[post_id]), []
        if number is None:
            results[post_id].title_matched = True
        elif len(chosen[post_id]) < TURNS_PER_POST:
            chosen[post_id].append((number, entry_id))
    bodies = _bodies([entry_id for pairs in chosen.values() for _, entry_id in pairs])
    for post_id, result in results.items():
        result.turns = [
            TurnMatch(number, snippet(bodies.get(entry_id, ""), marks))
            for number, entry_id in sorted(chosen[post_id])
        ]
    return list(results.values())


def _found_posts(post_ids: list[int]) -> dict[int, FoundPost]:
    """The cards' fields of those posts that readers can find, by id.

    Entries exist only for published posts; the status is checked again as readers see it.
    A card's summary is kept in the revision's JSON with every turn and its HTML, a hundred
    kilobytes for a long post: parsing all of it costs PostgreSQL milliseconds a post. The
    summary is written near the start, so only the first SUMMARY_HEAD characters are read;
    a summary they do not hold whole is extracted from the full JSON by the database.
    """
    rows = db.session.execute(FOUND_POSTS, {"ids": post_ids}).all()
    summaries = {post_id: leading_string(head, "summary") for post_id, _, _, head in rows}
    unread = [post_id for post_id, summary in summaries.items() if summary is None]
    if unread:
        summaries |= _full_summaries(unread)
    return {
        post_id: FoundPost(post_id, slug, title, summaries.get(post_id) or "")
        for post_id, slug, title, _ in rows
    }


# Enough for the title and summary that `snapshot_data` writes first, as authors write them.
SUMMARY_HEAD = 4000
FOUND_POSTS = (
    select(Post.id, Post.slug, Revision.title, func.substr(Revision.data, 1, SUMMARY_HEAD))
    .join(Revision, Revision.id == Post.published_revision_id)
    .where(Post.id.in_(bindparam("ids", expanding=True)), Post.status == Status.PUBLISHED)
)


def _full_summaries(post_ids: list[int]) -> dict[int, str | None]:
    if db.engine.dialect.name == "postgresql":
        summary = cast(Revision.data, JSON)["summary"].as_string()
    else:
        summary = func.json_extract(Revision.data, "$.summary")
    rows = db.session.execute(
        select(Post.id, summary)
        .join(Revision, Revision.id == Post.published_revision_id)
        .where(Post.id.in_(post_ids))
    )
    return {post_id: summary for post_id, summary in rows}


SPACE = re.compile(r"\s*")
DECODER = json.JSONDecoder()


def leading_string(head: str | None, name: str) -> str | None:
    """The string value of the top-level field `name` when the start `head` of a JSON object
    holds it whole; None when it does not (a cut value, the field further on, another type)."""
    if not head:
        return None
    position = SPACE.match(head, 0).end()
    if not head.startswith("{", position):
        return None
    position += 1
    try:
        while True:
            key, position = DECODER.raw_decode(head, SPACE.match(head, position).end())
            position = SPACE.match(head, position).end()
            if head[position] != ":":
                return None
            value, position = DECODER.raw_decode(head, SPACE.match(head, position + 1).end())
            # A value is whole only when something follows it: a number cut short still parses.
            position = SPACE.match(head, position).end()
            if head[position] not in ",}":
                return None
            if key == name:
                return value if isinstance(value, str) else None
            if head[position] == "}":
                return None
            position += 1
    except (ValueError, IndexError):
        return None


BODIES = text("SELECT id, body FROM search_entries WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def _bodies(entry_ids: list[int]) -> dict[int, str]:
    """The plain text of the entries whose snippets are shown."""
    if not entry_ids:
        return {}
    return {
        entry_id: body or "" for entry_id, body in db.session.execute(BODIES, {"ids": entry_ids})
    }


def marker(query: str) -> re.Pattern | None:
    """A pattern for the words a reader asked for, matching their longer forms too."""
    words = {stem(word.lower()) for word in WORD.findall(query[:1000])}
    stems = sorted(words, key=len, reverse=True)
    if not stems:
        return None
    # Literal alternatives and one trailing \w*: matching stays linear in the text's length.
    alternatives = "|".join(re.escape(word) for word in stems[: MAX_TERMS * 4])
    return re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)


def stem(word: str) -> str:
    """A word without a common English ending, as the index's stemmer would roughly see it."""
    for ending in ("ing", "es", "ed", "s"):
        if len(word) - len(ending) >= 4 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def snippet(body: str, marks: re.Pattern | None, width: int = SNIPPET_CHARS) -> str:
    """A window of the turn's plain text around its first match, the matches marked, as HTML."""
    # The marker characters are ours alone: a turn's own copies of them are dropped.
    body = " ".join(body[:MAX_SNIPPET_SOURCE].replace(OPEN, "").replace(CLOSE, "").split())
    found = marks.search(body) if marks else None
    start = max(0, found.start() - width // 3) if found else 0
    if start:
        start = body.find(" ", start) + 1 or start
    window = body[start : start + width]
    if start + width < len(body):
        window = window.rsplit(" ", 1)[0]
    marked = marks.sub(lambda m: OPEN + m.group(0) + CLOSE, window) if marks else window
    return highlight(("…" if start else "") + marked + ("…" if start + width < len(body) else ""))


def highlight(snippet: str) -> str:
    """Escape the snippet, then turn the match markers into <mark> elements."""
    escaped = html.escape(snippet)
    return escaped.replace(OPEN, "<mark>").replace(CLOSE, "</mark>")
