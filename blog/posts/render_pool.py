"""Rendering spread over the machine's cores: a pool of processes running the pure renderer.

Rendering is pure CPU work in Python, so threads would share one core; processes each take
their own. The pool's processes start from a fork server that has imported the renderer
once, never from the importing process itself, whose threads (the job's heartbeat) and
database connections a fork would copy. One process (or a few turns) renders in place.

The import worker's processes are daemonic (Huey starts them so), and multiprocessing
refuses children to a daemonic process, lest they outlive it. These cannot: each waits on
its task queue from this process and ends when the pipe closes, so the pool is started with
the flag lifted for as long as it runs.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from ..collector import collect_less
from ..scan import scan_text
from .rerender import Limits, RenderCount, render_batch

# Fewer turns than this are rendered in place: starting the processes costs more.
POOL_FROM_TURNS = 400
# How much lower a pool process's priority is than the process that started it (see nice(2)).
RENDER_NICENESS = 10


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def processes_for(setting: int, turns: int | None = None) -> int:
    """How many processes render: the setting (0: one per core), one for a small job."""
    count = setting if setting > 0 else cores()
    if turns is not None and turns < POOL_FROM_TURNS:
        return 1
    return count


def render_and_scan(
    items: Sequence[tuple[str, str]], texts: Sequence[str], limits: Limits, budget_ends: float
) -> tuple[list[dict], list[list]]:
    """`render_batch` of the items, and each text's privacy findings: an import's unit of work
    while it reads its file (the scan is pure CPU work too)."""
    return render_batch(items, limits, budget_ends), [scan_text(text) for text in texts]


class Rendered:
    """Turns rendered in this process: the result at once."""

    def __init__(self, result) -> None:
        self.value = result

    def result(self):
        return self.value


class RenderedElsewhere:
    """Turns a pool process is rendering; counted here once their result arrives."""

    def __init__(self, future: Future, fields_of: Callable = lambda result: result) -> None:
        self.future = future
        self.fields_of = fields_of
        self.counted = False

    def result(self):
        result = self.future.result()
        if not self.counted:
            fields = self.fields_of(result)
            RenderCount.turns += sum(1 for f in fields if f["render_key"] is not None)
            self.counted = True
        return result


class RenderPool:
    """`submit` batches of (source, text_format) to render; a context manager."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = max(1, processes)
        self.executor: ProcessPoolExecutor | None = None
        self.daemonic: bool | None = None

    def __enter__(self) -> RenderPool:
        # Entered again (an import's pool, started while reading, renders what is left): as is.
        if self.processes > 1 and self.executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["blog.posts.rerender", "blog.scan", "blog.collector"])
            # The executor starts its processes as tasks arrive, so the flag stays lifted
            # until it is shut down.
            self.daemonic = multiprocessing.current_process()._config.pop("daemon", None)
            self.executor = ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=_start_worker
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.executor is not None:
            try:
                self.executor.shutdown(wait=True, cancel_futures=True)
            finally:
                self.executor = None
                if self.daemonic is not None:
                    multiprocessing.current_process()._config["daemon"] = self.daemonic

    def submit_with_scan(
        self,
        items: Sequence[tuple[str, str]],
        texts: Sequence[str],
        limits: Limits,
        budget_ends: float = float("inf"),
    ) -> Rendered | RenderedElsewhere:
        """`render_and_scan`: (the items' stored forms, each text's findings)."""
        if self.executor is None:
            return Rendered(render_and_scan(items, texts, limits, budget_ends))
        future = self.executor.submit(
            render_and_scan, list(items), list(texts), limits, budget_ends
        )
        return RenderedElsewhere(future, fields_of=lambda result: result[0])

    def submit(
        self,
        items: Sequence[tuple[str, str]],
        limits: Limits,
        budget_ends: float = float("inf"),
    ) -> Rendered | RenderedElsewhere:
        if self.executor is None:
            return Rendered(render_batch(items, limits, budget_ends))
        return RenderedElsewhere(
            self.executor.submit(render_batch, list(items), limits, budget_ends)
        )


def _start_worker() -> None:
    """A pool process gives way to the process that feeds it and to the site's requests: the
    reading process is an import's critical path, and the pool only waits longer for work when
    it slows that down; a request should never wait behind a background rendering.

    It also ends when that process ends, however it ends. Killed (a deploy, the out-of-memory
    killer), it never shuts its pool down, and each pool process holds the write end of the
    others' task pipe and the fork server's: without this they would all wait for ever.
    """
    os.nice(RENDER_NICENESS)
    collect_less()
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True).start()


def _end_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)
