"""Rendering an import's turns while the file is still being read, on the other cores.

Reading, scanning and saving an export run in one process; left to wait for them, a pool's
processes would idle until the drafts are saved, then render while the reading process
idles. Here each conversation's turns are sent to the pool as soon as it is prepared, and
the rendered forms are put into its rows before they go to the import's spool, so `write`
inserts turns already rendered and only what is left (attachments, turns past the budget)
is rendered after the commit. At most `WINDOW_TURNS` turns wait for their rendering at once,
so neither the texts nor their HTML pile up in memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from sqlalchemy.engine import Connection

from ..formats.base import TextFormat
from .render_pool import RenderPool
from .rerender import CHUNK, Limits, lookup, render_key

WINDOW_TURNS = 1024


class RenderAhead:
    """Sends rows to `pool` as they are prepared; `ready(item)` is called, in the order the
    items came, once an item's rows hold their rendered forms."""

    def __init__(
        self,
        pool: RenderPool,
        connection: Connection,
        limits: Limits,
        budget_ends: float,
        ready: Callable[[object], None],
    ) -> None:
        self.pool, self.connection, self.limits = pool, connection, limits
        self.budget_ends, self.ready = budget_ends, ready
        self.waiting: deque[tuple[object, list[tuple[dict, str]], dict, list]] = deque()
        self.in_flight = 0

    def add(self, item: object, rows: Iterable[dict]) -> None:
        """Start rendering `rows` (dicts with source and text_format) of `item`."""
        keyed = [
            (row, render_key(row["source"] or "", row["text_format"], self.limits)) for row in rows
        ]
        known = lookup(self.connection, {key for _, key in keyed})
        wanted: dict[str, tuple[str, str]] = {}
        for row, key in keyed:
            if (key, row["source"] or "") not in known:
                fmt = row["text_format"] or TextFormat.MARKDOWN
                wanted.setdefault(key, (row["source"] or "", fmt))
        keys, items = list(wanted), list(wanted.values())
        handles = [
            (
                keys[i : i + CHUNK],
                self.pool.submit(items[i : i + CHUNK], self.limits, self.budget_ends),
            )
            for i in range(0, len(items), CHUNK)
        ]
        self.waiting.append((item, keyed, known, handles))
        self.in_flight += len(items)
        while self.in_flight > WINDOW_TURNS:
            self.finish_oldest()

    def finish(self) -> None:
        """Wait for every item still rendering."""
        while self.waiting:
            self.finish_oldest()

    def finish_oldest(self) -> None:
        item, keyed, known, handles = self.waiting.popleft()
        results: dict[str, dict] = {}
        for keys, handle in handles:
            fields = handle.result()
            results.update(zip(keys, fields, strict=True))
            self.in_flight -= len(keys)
        for row, key in keyed:
            fields = known.get((key, row["source"] or "")) or results[key]
            # A turn past the budget keeps its escaped source and no key: rendered later.
            if fields["render_key"] is not None:
                row.update(fields)
        self.ready(item)
