"""What Linux's /proc tells of a running process: the processes it started, its memory.

The standard library only, and nothing from `bench/` or `tests/`: the tests import it as
`bench.procfs`, the benchmarks as `procfs`.
"""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    """The processes `pid` started (a gunicorn master's workers)."""
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB (0.0 for a process that has none left)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
