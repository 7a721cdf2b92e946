"""/search latency over 500,000 turns: SQLite FTS5, and PostgreSQL tsvector with --postgres.

The page cache is off (FLASK_CACHE_TYPE=NullCache) so every request runs the search.
The seeded SQLite file is kept under bench/.data/ so later runs skip seeding.
Run from the project root: ``.venv/bin/python bench/search_bench.py [--posts 10000]``.
"""

from __future__ import annotations

import argparse
import html
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

TURNS_PER_POST = 50
RARE_WORD = "zanzibarite"
RARE_EVERY = 100_003  # a turn in about every 100,000 carries the rare word
START = datetime(2023, 1, 1, tzinfo=UTC)
QUERIES = {
    "common word": "function",
    "rare word": RARE_WORD,
    "two words": "database index",
    "prefix": "perform*",
    "quoted phrase": '"race condition"',
    "nonsense": "qxzvjkw",
}


def seed(database_url: str, posts: int) -> float:
    """Bulk-insert `posts` published posts of 50 turns (300-800 characters); returns seconds."""
    from sqlalchemy import insert

    from blog.extensions import db
    from blog.models import Post, Turn

    started = time.perf_counter()
    app = common.bench_app(database_url)
    common.migrate(app)
    author = common.create_author(app)
    maker = common.TextMaker(seed=posts, rare_words=20_000)
    turn_id = 0
    batch = 200
    with app.app_context():
        for first in range(1, posts + 1, batch):
            post_rows, turn_rows = [], []
            for number in range(first, min(posts, first + batch - 1) + 1):
                published = START + timedelta(hours=number)
                title = f"Conversation {number}: {maker.paragraph(20, 60).rstrip('.')}"
                post_rows.append(common.post_row(number, author, published, title))
                for position in range(TURNS_PER_POST):
                    turn_id += 1
                    role, source = common.chat_turn(maker, position)
                    if turn_id % RARE_EVERY == 0:
                        source += f" The {RARE_WORD} sample was mentioned once."
                    body = f"<p>{html.escape(source)}</p>"
                    turn_rows.append(common.turn_row(turn_id, number, position, role, source, body))
            db.session.execute(insert(Post.__table__), post_rows)
            db.session.execute(insert(Turn.__table__), turn_rows)
            db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - started


def sqlite_database(posts: int) -> tuple[Path, float | None]:
    """The cached SQLite file for this size, seeding it first when absent."""
    path = common.DATA / f"search_{posts}.sqlite3"
    if path.exists():
        return path, None
    common.DATA.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    for leftover in common.DATA.glob(building.name + "*"):
        leftover.unlink()
    seconds = seed(common.sqlite_url(building), posts)
    building.rename(path)
    return path, seconds


def latencies(server: common.Server, repeat: int) -> dict[str, dict]:
    """p50 and p99 ms of each query, asked `repeat` times in turn, and its hit count."""
    timings: dict[str, list[float]] = {name: [] for name in QUERIES}
    hits: dict[str, int] = {}
    deadline = time.monotonic() + 600
    for _ in range(repeat):
        for name, query in QUERIES.items():
            url = f"{server.base}/search?q={urllib.parse.quote(query)}"
            started = time.perf_counter()
            status, _, body = common.get(url)
            timings[name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"search for {query!r} answered {status}")
            hits[name] = body.count(b"<mark>")
        if time.monotonic() > deadline:
            break
    return {
        name: {
            "query": QUERIES[name],
            "p50_ms": common.percentile(values, 0.5),
            "p99_ms": common.percentile(values, 0.99),
            "marks": hits[name],
        }
        for name, values in timings.items()
    }


def run_server(database_url: str, repeat: int, name: str) -> dict[str, dict]:
    env = common.app_environment(database_url, FLASK_CACHE_TYPE="NullCache")
    with common.gunicorn("app:app", env, name=name) as server:
        latencies(server, 2)  # warm connections and templates in both workers
        return latencies(server, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000, help="posts of 50 turns each")
    parser.add_argument("--repeat", type=int, default=30, help="times each query is asked")
    parser.add_argument("--postgres", action="store_true", help="also measure PostgreSQL")
    parser.add_argument("--pg-posts", type=int, default=None, help="posts for PostgreSQL")
    args = parser.parse_args()
    figures: dict = {"turns": args.posts * TURNS_PER_POST}
    path, seconds = sqlite_database(args.posts)
    figures["sqlite_seed_s"] = seconds
    figures["sqlite"] = run_server(common.sqlite_url(path), args.repeat, "search-sqlite")
    if args.postgres and common.postgres_available():
        pg_posts = args.pg_posts or args.posts
        figures["pg_turns"] = pg_posts * TURNS_PER_POST
        with common.postgres_cluster() as url:
            figures["postgres_seed_s"] = seed(url, pg_posts)
            figures["postgres"] = run_server(url, args.repeat, "search-postgres")
    seeded = f"seeded in {seconds:.0f} s" if seconds else "seeded before, reused"
    print(f"SQLite, {figures['turns']:,} turns ({seeded})")
    for name, row in figures["sqlite"].items():
        print(
            f"  {name:14} {row['query']!s:18} p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms"
        )
    if "postgres" in figures:
        print(
            f"PostgreSQL, {figures['pg_turns']:,} turns (seeded in {figures['postgres_seed_s']:.0f} s)"
        )
        for name, row in figures["postgres"].items():
            print(
                f"  {name:14} {row['query']!s:18} p50 {row['p50_ms']:7.1f} ms  "
                f"p99 {row['p99_ms']:7.1f} ms"
            )
    common.emit_result("search", figures)


if __name__ == "__main__":
    main()
