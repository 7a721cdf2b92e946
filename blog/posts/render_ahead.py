"""Rendering an import's turns while the file is still being read, on the other cores.

Reading, scanning and saving an export run in one process; left to wait for them, a pool's
processes would idle until the drafts are saved, then render while the reading process
idles. Here conversations are sent to the pool as they are prepared, their turns to render
and their texts to scan for private data, and each one's rendered forms are put into its
rows before they go to the import's spool, so `write` inserts turns already rendered and
only what is left (attachments, turns past the budget) is rendered after the commit.

Conversations travel in batches of about `BATCH_TURNS` turns, each looked up in the render
cache with one query (none at all on a site that had no rendered turn when the import began,
a new blog's first import: its own turns are written only after): one task per conversation
cost this process more in queueing and pickling than the pool saved it. At most `IN_FLIGHT`
batches per pool process wait at once, so neither the texts nor their HTML pile up in memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..formats.base import TextFormat
from .render_pool import RenderPool
from .rerender import Limits, lookup, render_key, turns

BATCH_TURNS = 512
IN_FLIGHT = 3


@dataclass
class Waiting:
    """One conversation gathered: its rows to render, and its texts to scan (None: not
    scanned)."""

    item: object
    rows: list[dict]
    scan: list[str] | None


@dataclass
class Sent:
    """A batch in the pool: its conversations, the stored forms found in the cache for some
    of their texts, the texts sent to render, in order, and the pool's handle."""

    batch: list[Waiting]
    known: dict[tuple[str, str], dict]
    rendering: list[tuple[str, str]]
    handle: object


def text_of(row: dict) -> tuple[str, str]:
    """What a row's rendering depends on: its source and display form."""
    return row["source"] or "", row["text_format"] or TextFormat.MARKDOWN


class RenderAhead:
    """Sends rows to `pool` as they are prepared, with texts to scan for private data;
    `ready(item, findings)` is called, in the order the items came, once an item's rows hold
    their rendered forms (findings: its texts' findings, None when none were to be scanned)."""

    def __init__(
        self,
        pool: RenderPool,
        connection: Connection,
        limits: Limits,
        budget_ends: float,
        ready: Callable[[object, list | None], None],
    ) -> None:
        self.pool, self.connection, self.limits = pool, connection, limits
        self.budget_ends, self.ready = budget_ends, ready
        self.gathering: list[Waiting] = []
        self.gathered = 0
        self.sent: deque[Sent] = deque()
        self.cache_empty = (
            connection.execute(
                sa.select(turns.c.id).where(turns.c.render_key.is_not(None)).limit(1)
            ).first()
            is None
        )

    def add(
        self, item: object, rows: list[dict], scan: list[str] | None = None, turns: int = 0
    ) -> None:
        """Start rendering `rows` (dicts with source and text_format) of `item`, and scanning
        the texts in `scan`; `turns`: how many the item holds, rendered here or not."""
        self.gathering.append(Waiting(item, rows, scan))
        # Every turn counts, rendered here or not: the item waits here with all its text.
        self.gathered += max(turns, len(rows)) + len(scan or ())
        if self.gathered >= BATCH_TURNS:
            self.send()
        while len(self.sent) > IN_FLIGHT * self.pool.processes:
            self.finish_oldest()

    def send(self) -> None:
        """The gathered conversations to the pool: one cache lookup for the batch, and each
        text not found sent once."""
        if not self.gathering:
            return
        batch, self.gathering, self.gathered = self.gathering, [], 0
        texts = list(dict.fromkeys(text_of(row) for each in batch for row in each.rows))
        known = {} if self.cache_empty else self.cached(texts)
        rendering = [text for text in texts if text not in known]
        scan = [text for each in batch for text in each.scan or ()]
        handle = self.pool.submit_with_scan(rendering, scan, self.limits, self.budget_ends)
        self.sent.append(Sent(batch, known, rendering, handle))

    def cached(self, texts: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """The stored forms the render cache holds for these texts."""
        keyed = {render_key(source, form, self.limits): (source, form) for source, form in texts}
        return {
            keyed[key]: fields
            for (key, source), fields in lookup(self.connection, set(keyed)).items()
            if keyed[key][0] == source
        }

    def finish(self) -> None:
        """Wait for every item still rendering."""
        self.send()
        while self.sent:
            self.finish_oldest()

    def finish_oldest(self) -> None:
        sent = self.sent.popleft()
        fields, findings = sent.handle.result()
        stored = sent.known | dict(zip(sent.rendering, fields, strict=True))
        found = iter(findings)
        for waiting in sent.batch:
            for row in waiting.rows:
                # A turn past the budget gets its escaped source and no key: rendered later.
                row.update(stored[text_of(row)])
            scanned = None
            if waiting.scan is not None:
                scanned = [each for _ in waiting.scan for each in next(found)]
            self.ready(waiting.item, scanned)
