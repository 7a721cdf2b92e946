"""The index and the RSS feed with 10,000 published posts vs with 100, warm and cold.

Warm: the page cache answers. Cold: the cache is off (FLASK_CACHE_TYPE=NullCache), so every
request builds the page, as the first request after any content change does; plus the
latency of single requests right after bump_generation(). Also counts the SQL statements
each cold page runs. Run from the project root: ``.venv/bin/python bench/scale_bench.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

SIZES = (100, 10_000)
PATHS = ("/", "/feed.xml")
TURNS_PER_POST = 6


def statement_counts(database: Path) -> dict[str, dict]:
    """For each path, with the cache off: how many SQL statements and how long they took."""
    from sqlalchemy import event

    from blog.extensions import db

    app = common.bench_app(common.sqlite_url(database), CACHE_TYPE="NullCache")
    found: dict[str, dict] = {}
    with app.app_context():
        engine = db.engine
    timings: list[tuple[str, float]] = []
    starts: dict[int, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        starts[id(cursor)] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        timings.append((statement, time.perf_counter() - starts.pop(id(cursor), 0.0)))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        client = app.test_client()
        for path in PATHS:
            client.get(path)  # warm the connection and template caches
            timings.clear()
            started = time.perf_counter()
            client.get(path)
            total = time.perf_counter() - started
            slowest = max(timings, key=lambda item: item[1]) if timings else ("", 0.0)
            found[path] = {
                "statements": len(timings),
                "sql_ms": sum(t for _, t in timings) * 1000,
                "page_ms": total * 1000,
                "slowest_sql": " ".join(slowest[0].split())[:160],
                "slowest_sql_ms": slowest[1] * 1000,
            }
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return found


def cold_latencies(server: common.Server, app, path: str, samples: int) -> list[float]:
    """Ms of single requests, each right after every cached page was invalidated."""
    timings = []
    for _ in range(samples):
        common.bump_generation(app)
        started = time.perf_counter()
        status, _, _ = common.get(server.base + path)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    return timings


def measure(seconds: float, samples: int, rounds: int) -> dict:
    """Throughput per size and path, warm and cold, in interleaved rounds; best round of each."""
    apps, warm, cold, statements = {}, {}, {}, {}
    with contextlib.ExitStack() as stack:
        for posts in SIZES:
            database = common.seeded_site(posts, TURNS_PER_POST)
            statements[posts] = statement_counts(database)
            url = common.sqlite_url(database)
            apps[posts] = common.bench_app(url)
            env = common.app_environment(url, GUNICORN_MAX_REQUESTS="0")
            warm[posts] = stack.enter_context(
                common.gunicorn("app:app", env, name=f"scale-{posts}-warm")
            )
            cold[posts] = stack.enter_context(
                common.gunicorn(
                    "app:app", {**env, "FLASK_CACHE_TYPE": "NullCache"}, name=f"scale-{posts}-cold"
                )
            )
        for posts in SIZES:  # compile templates and open connections in every worker
            for path in PATHS:
                cold_latencies(warm[posts], apps[posts], path, 4)
                common.load(warm[posts].base + path, seconds=1)
                common.load(cold[posts].base + path, seconds=1)
        rps: dict[str, list[float]] = {}
        first: dict[str, list[float]] = {}
        for _ in range(rounds):
            for path in PATHS:
                for posts in SIZES:
                    key = f"{path} {posts}"
                    first.setdefault(key, []).append(
                        statistics.median(cold_latencies(warm[posts], apps[posts], path, samples))
                    )
                    for kind, server in (("warm", warm[posts]), ("cold", cold[posts])):
                        result = common.load(server.base + path, seconds=seconds)
                        rps.setdefault(f"{kind} {key}", []).append(result.requests_per_second)
    small, large = SIZES
    ratios: dict[str, dict] = {}
    for kind in ("warm", "cold"):
        for path in PATHS:
            # Best of the rounds: other work on the machine only ever lowers throughput.
            low = max(rps[f"{kind} {path} {small}"])
            high = max(rps[f"{kind} {path} {large}"])
            ratios[f"{kind} {path}"] = {"rps_100": low, "rps_10000": high, "ratio": low / high}
    for path in PATHS:
        low = min(first[f"{path} {small}"])
        high = min(first[f"{path} {large}"])
        ratios[f"cold_first_ms {path}"] = {"ms_100": low, "ms_10000": high, "ratio": high / low}
    return {"ratios": ratios, "statements": statements}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each load run")
    parser.add_argument("--samples", type=int, default=5, help="cold requests per path and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best of)")
    args = parser.parse_args()
    figures = measure(args.seconds, args.samples, args.rounds)
    for key, row in figures["ratios"].items():
        if "rps_100" in row:
            print(
                f"  {key:14} 100 posts {row['rps_100']:7.0f} req/s, 10,000 posts "
                f"{row['rps_10000']:7.0f} req/s, ratio {row['ratio']:.2f}x"
            )
        else:
            print(
                f"  {key:24} 100 posts {row['ms_100']:6.1f} ms, 10,000 posts "
                f"{row['ms_10000']:6.1f} ms, ratio {row['ratio']:.2f}x"
            )
    for posts, paths in figures["statements"].items():
        for path, row in paths.items():
            print(
                f"  {posts:>6} posts {path:10} {row['statements']:3} SQL statements, "
                f"{row['sql_ms']:.1f} ms SQL of {row['page_ms']:.1f} ms; slowest "
                f"{row['slowest_sql_ms']:.1f} ms: {row['slowest_sql'][:90]}"
            )
    common.emit_result("scale", figures)


if __name__ == "__main__":
    main()
