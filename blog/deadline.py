"""A CPU-time deadline for work done in the current thread, checked where the work says; pure.

A pathological turn must not hold a worker. The Markdown reader calls `check()` before each of
its parsing rules; past the deadline it raises `DeadlineExceeded`. Code highlighting looks at
`left()` between tokens, so it can stop early and leave the rest of the page its time. CPU time of this thread, so
a busy server does not turn a long turn into plain text; per thread, so it works in any worker.
(A trace function seeing every Python call did the same job but tripled the time of a long list.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_local = threading.local()


class DeadlineExceeded(Exception):
    """The work ran past its CPU-time deadline."""


def within(work: Callable[[], T], seconds: float) -> T:
    """Run `work`, letting `check()` calls inside it stop it after `seconds` of CPU time."""
    _local.deadline, _local.calls = time.thread_time() + seconds, 0
    try:
        return work()
    finally:
        _local.deadline = None


def check() -> None:
    """Raise DeadlineExceeded if this thread's work is past its deadline (looks every 8 calls)."""
    calls = getattr(_local, "calls", 0) + 1
    _local.calls = calls
    if not calls & 7:
        check_now()


def left() -> float:
    """CPU seconds this thread's work has before its deadline (infinite when there is none)."""
    deadline = getattr(_local, "deadline", None)
    return float("inf") if deadline is None else deadline - time.thread_time()


def check_now() -> None:
    """Raise DeadlineExceeded if this thread's work is past its deadline."""
    deadline = getattr(_local, "deadline", None)
    if deadline is not None and time.thread_time() > deadline:
        raise DeadlineExceeded
