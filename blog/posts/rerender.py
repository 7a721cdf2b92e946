"""A turn's stored forms (HTML, plain text, word count) from its source, and their render key.

The key names what the HTML was rendered from: the source, its display form, the renderer's
version and limits. A turn whose key matches its source needs no rendering again (`rerender`
skips it), and any turn with the same key lends its HTML to another (a re-import, the same
prompt in two posts): the render cache is the turns table itself, no second copy of the HTML.
Written with SQLAlchemy Core on a plain connection so migrations can run it too, whatever the
ORM models look like by then.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..markdown import MAX_CHARS, TIMEOUT_SECONDS, escaped_text, render_with_text
from ..typed_text import as_typed, render_typed
from ..vocabulary import TextFormat

# Bump when a change to markdown.py, typed_text.py, allowlist.py or mathml.py changes what any
# turn renders to: every stored key then differs, so `rerender` renders every turn again.
RENDERER_VERSION = 1
# Their versions are part of the key too, so an upgrade of a library re-renders by itself.
RENDERER_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "pygments", "nh3", "latex2mathml")

turns = sa.table(
    "turns",
    sa.column("id", sa.Integer),
    sa.column("post_id", sa.Integer),
    sa.column("source", sa.Text),
    sa.column("text_format", sa.String),
    sa.column("html", sa.Text),
    sa.column("text", sa.Text),
    sa.column("words", sa.Integer),
    sa.column("render_key", sa.String),
    sa.column("version", sa.Integer),
)


@dataclass(frozen=True)
class Limits:
    """The bounds of one turn's rendering (MAX_TURN_CHARS, RENDER_TIMEOUT_SECONDS)."""

    max_chars: int = MAX_CHARS
    timeout: float = TIMEOUT_SECONDS


class RenderCount:
    """How many turns this process rendered (or had rendered for it by a pool): tests count
    work with it, never with a clock."""

    turns = 0


@cache
def renderer_signature(limits: Limits) -> str:
    """What, besides the source, decides a turn's HTML: our version, the libraries', limits."""
    versions = []
    for name in RENDERER_LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=?")
    return f"v{RENDERER_VERSION};{';'.join(versions)};{limits.max_chars};{limits.timeout!r}"


def render_key(source: str, text_format: str, limits: Limits = Limits()) -> str:
    """The key of a turn's rendering: a hash of its source, display form and the renderer."""
    digest = hashlib.sha256(renderer_signature(limits).encode())
    digest.update(b"\0" + text_format.encode() + b"\0")
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:40]


def rendered_fields(
    source: str,
    text_format: str = TextFormat.MARKDOWN,
    *,
    max_chars: int = MAX_CHARS,
    timeout: float = TIMEOUT_SECONDS,
) -> dict[str, str | int | None]:
    """The stored forms of one turn's source: sanitised HTML, plain text, word count, its key."""
    RenderCount.turns += 1
    key = render_key(source, text_format, Limits(max_chars, timeout))
    if text_format == TextFormat.PLAIN:
        # Shown as typed: no Markdown pass at all, so no highlighting either.
        source = source[:max_chars]
        text = as_typed(source)
        return {
            "html": render_typed(source),
            "text": text,
            "words": len(text.split()),
            "render_key": key,
        }
    html, text = render_with_text(source, max_chars=max_chars, timeout=timeout)
    return {
        "html": html,
        "text": text,
        "words": len(text.split()),
        "render_key": key,
    }


def unrendered_fields(source: str) -> dict[str, str | int | None]:
    """The stored forms of a turn not rendered (yet): its source as escaped text, which is
    what the renderer shows of a turn it cannot finish in time. No key: it still needs one."""
    return {
        "html": escaped_text(source),
        "text": source,
        "words": len(source.split()),
        "render_key": None,
    }


def render_batch(
    items: Sequence[tuple[str, str]], limits: Limits, budget_ends: float = float("inf")
) -> list[dict]:
    """Render (source, text_format) pairs in this process; a pool's unit of work.

    Past `budget_ends` (time.monotonic(), the same clock in every process on one host) a
    Markdown turn is kept unrendered: an import's rendering budget is wall time.
    """
    out = []
    for source, text_format in items:
        if text_format != TextFormat.PLAIN and time.monotonic() >= budget_ends:
            out.append(unrendered_fields(source))
        else:
            out.append(rendered_fields(source, text_format, **vars(limits)))
    return out


@dataclass
class RenderOutcome:
    """What a pass over turns did: rendered, reused from another turn, already current, or
    left unrendered (past the budget), with the posts of those left."""

    rendered: int = 0
    reused: int = 0
    current: int = 0
    unrendered: int = 0
    unrendered_by_post: dict[int, int] | None = None

    @property
    def done(self) -> int:
        return self.rendered + self.reused + self.current + self.unrendered


Row = tuple[int, int, str, str, str | None, int]  # id, post_id, source, text_format, key, version
GROUP = 512  # turns looked up and written together
CHUNK = 32  # turns per task sent to a pool process


def render_rows(
    connection: Connection,
    groups: Iterable[list[Row]],
    *,
    limits: Limits,
    pool,
    total: int,
    budget_ends: float = float("inf"),
    progress: Callable[[int, int], None] | None = None,
    commit: Callable[[], None] | None = None,
) -> RenderOutcome:
    """Bring the turns' stored forms up to date with their source, group by group.

    A turn whose key already matches is left alone; one whose key another turn holds takes
    that turn's forms; the rest are rendered by `pool` (see `render_pool.RenderPool`) while
    the previous group is written, each update guarded by the turn's version so an edit made
    meanwhile is never overwritten.
    """
    outcome = RenderOutcome(unrendered_by_post={})
    in_flight: list = []
    for group in groups:
        in_flight.append(start_group(connection, group, limits, pool, budget_ends, outcome))
        if len(in_flight) > 1:
            finish_group(connection, in_flight.pop(0), outcome, total, progress, commit)
    while in_flight:
        finish_group(connection, in_flight.pop(0), outcome, total, progress, commit)
    return outcome


def start_group(connection, group, limits, pool, budget_ends, outcome) -> tuple:
    """Look the group's stale turns up in the cache and send the rest, each text once, to
    the pool; what `finish_group` needs."""
    keyed = [
        (row, render_key(row[2] or "", row[3] or TextFormat.MARKDOWN, limits)) for row in group
    ]
    stale = [(row, key) for row, key in keyed if row[4] != key]
    outcome.current += len(keyed) - len(stale)
    known = lookup(connection, {key for _, key in stale})
    wanted: dict[str, tuple[str, str]] = {}
    for row, key in stale:
        if (key, row[2] or "") not in known:
            wanted.setdefault(key, (row[2] or "", row[3] or TextFormat.MARKDOWN))
    keys = list(wanted)
    items = list(wanted.values())
    handles = [
        pool.submit(items[i : i + CHUNK], limits, budget_ends) for i in range(0, len(items), CHUNK)
    ]
    return stale, known, keys, handles


def finish_group(connection, started, outcome, total, progress, commit) -> None:
    """Write a group's forms (rendered, or found in the cache), then commit and report."""
    stale, known, keys, handles = started
    results = dict(zip(keys, [f for handle in handles for f in handle.result()], strict=True))
    updates = []
    for row, key in stale:
        fields = known.get((key, row[2] or ""))
        if fields is not None:
            outcome.reused += 1
        elif results[key]["render_key"] is None:
            fields = results[key]
            outcome.unrendered += 1
            outcome.unrendered_by_post[row[1]] = outcome.unrendered_by_post.get(row[1], 0) + 1
        else:
            fields = results.pop(key)
            outcome.rendered += 1
            # A second turn of the same text in this group reuses the first one's rendering.
            known[(key, row[2] or "")] = fields
        updates.append(update_values(row, fields))
    if updates:
        connection.execute(
            turns.update()
            .where(turns.c.id == sa.bindparam("turn_id"), turns.c.version == sa.bindparam("seen"))
            .values(
                html=sa.bindparam("new_html"),
                text=sa.bindparam("new_text"),
                words=sa.bindparam("new_words"),
                render_key=sa.bindparam("new_key"),
            ),
            updates,
        )
    if commit:
        commit()
    if progress:
        progress(outcome.done, total)


def update_values(row: Row, fields: dict) -> dict:
    return {
        "turn_id": row[0],
        "seen": row[5],
        "new_html": fields["html"],
        "new_text": fields["text"],
        "new_words": fields["words"],
        "new_key": fields["render_key"],
    }


def lookup(connection: Connection, keys: set[str]) -> dict[tuple[str, str], dict]:
    """Stored forms of turns already rendered under these keys, by (key, source): the cache.

    The source is compared too, so a row whose key a careless writer left stale lends nothing.
    """
    found: dict[tuple[str, str], dict] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        rows = connection.execute(
            sa.select(
                turns.c.render_key, turns.c.source, turns.c.html, turns.c.text, turns.c.words
            ).where(turns.c.render_key.in_(ordered[start : start + 500]))
        )
        for key, source, html, text, words in rows:
            found[(key, source or "")] = {
                "html": html,
                "text": text,
                "words": words,
                "render_key": key,
            }
    return found


def turn_groups(connection: Connection, where=None, batch: int = GROUP) -> Iterator[list[Row]]:
    """Turns (all, or those matching `where`) in id order, `batch` at a time."""
    last_id = 0
    while True:
        query = (
            sa.select(
                turns.c.id,
                turns.c.post_id,
                turns.c.source,
                turns.c.text_format,
                turns.c.render_key,
                turns.c.version,
            )
            .where(turns.c.id > last_id)
            .order_by(turns.c.id)
            .limit(batch)
        )
        if where is not None:
            query = query.where(where)
        rows = [tuple(row) for row in connection.execute(query)]
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def refresh_turns(
    connection: Connection,
    limits: Limits,
    *,
    pool=None,
    progress: Callable[[int, int], None] | None = None,
    commit: Callable[[], None] | None = None,
) -> RenderOutcome:
    """Bring every turn's stored forms up to date, calling `progress(done, total)`: a turn
    whose key matches its source is skipped, one another turn already rendered is copied."""
    from .render_pool import RenderPool

    total = connection.execute(sa.select(sa.func.count()).select_from(turns)).scalar_one()
    with pool or RenderPool(1) as used:
        return render_rows(
            connection,
            turn_groups(connection),
            limits=limits,
            pool=used,
            total=total,
            progress=progress,
            commit=commit,
        )


def rerender_turns(
    connection: Connection,
    *,
    progress: Callable[[int, int], None] | None = None,
    **limits: float,
) -> int:
    """Render every turn, for the migration that added the plain text: it runs before turns
    had a display form (all Markdown then) or a render key (nothing to skip)."""
    columns = {column["name"] for column in sa.inspect(connection).get_columns("turns")}
    if "render_key" in columns:
        return refresh_turns(connection, Limits(**limits), progress=progress).done
    text_format = (
        turns.c.text_format if "text_format" in columns else sa.literal(TextFormat.MARKDOWN)
    )
    total = connection.execute(sa.select(sa.func.count()).select_from(turns)).scalar_one()
    done, last_id = 0, 0
    while True:
        rows = connection.execute(
            sa.select(turns.c.id, turns.c.source, text_format)
            .where(turns.c.id > last_id)
            .order_by(turns.c.id)
            .limit(200)
        ).all()
        if not rows:
            return done
        for turn_id, source, form in rows:
            fields = rendered_fields(source or "", form or TextFormat.MARKDOWN, **limits)
            del fields["render_key"]
            connection.execute(turns.update().where(turns.c.id == turn_id).values(**fields))
        done += len(rows)
        last_id = rows[-1][0]
        if progress:
            progress(done, total)
