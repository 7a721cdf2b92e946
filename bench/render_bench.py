"""Markdown rendered per request vs stored HTML from memory, and rendering under threads.

Also times rendering the 40 turns of tests/fixtures/long_conversation.md (one page of a post).

Run from the project root: ``.venv/bin/python bench/render_bench.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

from blog.formats.text.markdown import parse_markdown  # noqa: E402
from blog.markdown import render_markdown  # noqa: E402

THREADS = 8
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "long_conversation.md"


def documents(count: int = 40) -> list[str]:
    """The 40 code-heavy turns of the page benchmark's post, plus math, tables and footnotes."""
    maker = common.TextMaker(seed=10, rare_words=2_000)
    turns = [common.code_heavy_turn(maker, index)[1] for index in range(count)]
    turns.append(
        "Inline $e^{i\\pi} + 1 = 0$ and display:\n\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nA claim.[^1]\n\n[^1]: A footnote."
    )
    return turns


def fixture_turns() -> list[str]:
    """The turns of the 40-turn conversation the browser tests publish."""
    return [turn.text for turn in parse_markdown(FIXTURE.read_text(encoding="utf-8")).turns]


def fixture_ms(repeat: int) -> float:
    """Median CPU ms to render every turn of the fixture conversation once.

    CPU time of this thread, so other work on a shared machine does not blur the figure.
    """
    turns = fixture_turns()
    times = []
    for _ in range(repeat):
        started = time.thread_time()
        for text in turns:
            render_markdown(text)
        times.append((time.thread_time() - started) * 1000)
    return statistics.median(times)


def long_reply() -> str:
    """One long, code-heavy reply (about 84,000 characters): still under the size limit."""
    maker = common.TextMaker(seed=10, rare_words=2_000)
    return "\n\n".join(common.code_heavy_turn(maker, index)[1] for index in range(1, 120, 2))


def page_times(turns: list[str], repeat: int) -> tuple[float, float]:
    """Median ms to build one page's turn HTML: rendering every turn vs joining stored HTML."""
    stored = [render_markdown(text, timeout=30) for text in turns]
    rendered_ms, stored_ms = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        "".join(render_markdown(text) for text in turns)
        rendered_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        for _ in range(100):
            "".join(stored)
        stored_ms.append((time.perf_counter() - started) * 1000 / 100)
    return statistics.median(rendered_ms), statistics.median(stored_ms)


def threaded_mismatches(turns: list[str], rounds: int) -> tuple[int, int, float]:
    """Render every document from 8 threads at once; count outputs unlike the single-threaded one."""
    expected = [render_markdown(text) for text in turns]
    mismatches = [0] * THREADS
    barrier = threading.Barrier(THREADS)

    def worker(slot: int) -> None:
        barrier.wait(30)
        for round_number in range(rounds):
            # Each thread walks the documents from a different place, so different ones overlap.
            for offset in range(len(turns)):
                index = (offset + slot * 5 + round_number) % len(turns)
                if render_markdown(turns[index]) != expected[index]:
                    mismatches[slot] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    elapsed = time.perf_counter() - started
    return sum(mismatches), THREADS * rounds * len(turns), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions per method")
    parser.add_argument(
        "--rounds", type=int, default=3, help="passes per thread over the documents"
    )
    args = parser.parse_args()
    turns = documents()
    conversation_ms = fixture_ms(args.repeat)
    rendered_ms, stored_ms = page_times(turns, args.repeat)
    mismatches, renders, elapsed = threaded_mismatches(turns, args.rounds)
    long_mismatches, long_renders, long_elapsed = threaded_mismatches([long_reply()], 1)
    print(
        f"long_conversation.md ({len(fixture_turns())} turns): {conversation_ms:.1f} CPU ms to render"
    )
    print(f"{len(turns)} turns, {sum(map(len, turns)):,} chars of Markdown")
    print(f"  render per request: {rendered_ms:.1f} ms per page")
    print(f"  stored HTML:        {stored_ms:.3f} ms per page")
    print(f"  ratio:              {rendered_ms / stored_ms:,.0f}x")
    print(
        f"  {THREADS} threads: {renders} renders in {elapsed:.1f} s, "
        f"{mismatches} differ from the single-threaded output"
    )
    print(
        f"  {THREADS} threads, one 84 kB reply: {long_renders} renders in {long_elapsed:.1f} s, "
        f"{long_mismatches} differ from the single-threaded output"
    )
    common.emit_result(
        "render",
        {
            "turns": len(turns),
            "conversation_ms": conversation_ms,
            "render_ms": rendered_ms,
            "stored_ms": stored_ms,
            "ratio": rendered_ms / stored_ms,
            "threaded_renders": renders,
            "mismatches": mismatches,
            "long_renders": long_renders,
            "long_mismatches": long_mismatches,
        },
    )


if __name__ == "__main__":
    main()
