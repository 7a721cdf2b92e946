"""Growth checks: a matcher's time on adversarial input must grow about as fast as the input.

These compare a function's CPU time on an input and on one several times larger, so they
measure complexity, not speed: a linear matcher stays near the size ratio on any machine,
while a backtracking one grows with its square (or worse) and fails the bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def cpu_time(function: Callable[[], object], repetitions: int = 5) -> float:
    """The least CPU time of one call, each sample long enough to measure."""
    best = float("inf")
    for _ in range(repetitions):
        calls, started = 0, time.process_time()
        while True:
            function()
            calls += 1
            elapsed = time.process_time() - started
            if elapsed >= 0.02:
                break
        best = min(best, elapsed / calls)
    return best


def growth(function: Callable[[str], object], make: Callable[[int], str], n: int, k: int = 8):
    """How many times longer function takes on make(k*n) than on make(n)."""
    small, large = make(n), make(k * n)
    return cpu_time(lambda: function(large)) / cpu_time(lambda: function(small))
