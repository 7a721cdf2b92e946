"""Python's cyclic garbage collector during batch work (an import, a pool's rendering).

By default the collector runs every 700 new container objects, and its older generations walk
every object the process holds. An import makes millions of short-lived, acyclic objects
(parsed JSON, rows, tokens) while holding a large, settled heap (the app, its modules): the
collector then costs a tenth of the import's time and finds nothing. Reference counting frees
all of these objects anyway; the collector is only for cycles, which it still collects, less
often.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# New objects between collections of the youngest generation, for batch work.
BATCH_THRESHOLD = 50_000


def collect_less() -> None:
    """For a process that does batch work until it ends: what it holds now is never walked
    again, and collections run a seventieth as often."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(BATCH_THRESHOLD, older, oldest)


@contextmanager
def collecting_less() -> Iterator[None]:
    """`collect_less` for the length of a block, then the collector as it was."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BATCH_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
