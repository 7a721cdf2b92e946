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
import threading
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
    """`collect_less` for the length of a block, then the collector as it was. Blocks may
    overlap (imports in a web worker's threads): the last one to end puts it back."""
    global _saved_thresholds, _blocks
    with _lock:
        if _blocks == 0:
            _saved_thresholds = gc.get_threshold()
            collect_less()
        _blocks += 1
    try:
        yield
    finally:
        with _lock:
            _blocks -= 1
            if _blocks == 0:
                gc.set_threshold(*_saved_thresholds)
                gc.unfreeze()


_lock = threading.Lock()
_blocks = 0
_saved_thresholds: tuple[int, ...] = gc.get_threshold()
