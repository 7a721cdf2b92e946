"""The collector during batch work: less often while any import runs, as it was after."""

from __future__ import annotations

import gc

from blog.collector import BATCH_THRESHOLD, collecting_less


def test_overlapping_blocks_put_the_collector_back_when_the_last_one_ends() -> None:
    before = gc.get_threshold()
    first, second = collecting_less(), collecting_less()
    first.__enter__()
    assert gc.get_threshold()[0] == BATCH_THRESHOLD
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == BATCH_THRESHOLD  # the second import still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
