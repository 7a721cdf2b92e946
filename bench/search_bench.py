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
    """Bulk-insert `posts` published posts of 50 turns (300-800 characters); returns seconds.

    Readers and search see a post's published revision, not its live turns, so each post
    also gets revision 1 (its turns as JSON, as Publish records them) and the search entries
    Publish writes: its title and every turn.
    """
    import json
    from types import SimpleNamespace

    from sqlalchemy import insert

    from blog.extensions import db
    from blog.models import Post, Revision, Turn, search_entries
    from blog.posts.revisions import snapshot_data

    started = time.perf_counter()
    app = common.bench_app(database_url)
    common.migrate(app)
    author = common.create_author(app)
    maker = common.TextMaker(seed=posts, rare_words=20_000)
    turn_id = 0
    batch = 200
    with app.app_context():
        for first in range(1, posts + 1, batch):
            post_rows, turn_rows, revision_rows, entry_rows = [], [], [], []
            for number in range(first, min(posts, first + batch - 1) + 1):
                published = START + timedelta(hours=number)
                title = f"Conversation {number}: {maker.paragraph(20, 60).rstrip('.')}"
                post = common.post_row(number, author, published, title)
                post["published_revision_id"] = number
                post_rows.append(post)
                turns = []
                for position in range(TURNS_PER_POST):
                    turn_id += 1
                    role, source = common.chat_turn(maker, position)
                    if turn_id % RARE_EVERY == 0:
                        source += f" The {RARE_WORD} sample was mentioned once."
                    body = f"<p>{html.escape(source)}</p>"
                    turns.append(common.turn_row(turn_id, number, position, role, source, body))
                turn_rows += turns
                data = snapshot_data(
                    SimpleNamespace(**post), [SimpleNamespace(**t) for t in turns], [], None
                )
                revision_rows.append(
                    {
                        "id": number,
                        "post_id": number,
                        "number": 1,
                        "created_at": published,
                        "note": "",
                        "status": "published",
                        "title": title,
                        "series_id": None,
                        "series_position": 0,
                        "data": json.dumps(data, ensure_ascii=False),
                    }
                )
                entry_rows.append({"post_id": number, "turn_number": None, "body": title})
                entry_rows += [
                    {"post_id": number, "turn_number": n, "body": t["text"]}
                    for n, t in enumerate(turns, start=1)
                ]
            db.session.execute(insert(Post.__table__), post_rows)
            db.session.execute(insert(Turn.__table__), turn_rows)
            db.session.execute(insert(Revision.__table__), revision_rows)
            db.session.execute(insert(search_entries), entry_rows)
            db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - started


def sqlite_database(posts: int) -> tuple[Path, float | None]:
    """The cached SQLite file for this size, seeding it first when absent."""
    path = common.DATA / f"search_{posts}.sqlite3"
    if path.exists():
        # A file seeded before a later migration is brought up to date (the search index
        # may be built again), so its figures are the current schema's.
        common.migrate(common.bench_app(common.sqlite_url(path)))
        return path, None
    common.DATA.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    for leftover in common.DATA.glob(building.name + "*"):
        leftover.unlink()
    seconds = seed(common.sqlite_url(building), posts)
    building.rename(path)
    return path, seconds


def seed_once(database_url: str, posts: int) -> float | None:
    """Seed the database unless an earlier run did; seconds spent, or None when reused."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if inspect(connection).has_table("posts"):
                seeded = connection.execute(text("SELECT count(*) FROM posts")).scalar_one()
                if seeded != posts:
                    raise SystemExit(f"{database_url} holds {seeded} posts, not {posts}")
                return None
    finally:
        engine.dispose()
    return seed(database_url, posts)


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
    parser.add_argument(
        "--pg-url",
        default=None,
        help="an existing, otherwise empty PostgreSQL database to seed once and reuse "
        "(instead of a throwaway cluster seeded on every run)",
    )
    args = parser.parse_args()
    figures: dict = {"turns": args.posts * TURNS_PER_POST}
    path, seconds = sqlite_database(args.posts)
    figures["sqlite_seed_s"] = seconds
    figures["sqlite"] = run_server(common.sqlite_url(path), args.repeat, "search-sqlite")
    pg_posts = args.pg_posts or args.posts
    if args.pg_url:
        figures["postgres_seed_s"] = seed_once(args.pg_url, pg_posts)
        figures["postgres"] = run_server(args.pg_url, args.repeat, "search-postgres")
    elif args.postgres and common.postgres_available():
        with common.postgres_cluster() as url:
            figures["postgres_seed_s"] = seed(url, pg_posts)
            figures["postgres"] = run_server(url, args.repeat, "search-postgres")
    if "postgres" in figures:
        figures["pg_turns"] = pg_posts * TURNS_PER_POST
    seeded = f"seeded in {seconds:.0f} s" if seconds else "seeded before, reused"
    print(f"SQLite, {figures['turns']:,} turns ({seeded})")
    for name, row in figures["sqlite"].items():
        print(
            f"  {name:14} {row['query']!s:18} p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms"
        )
    if "postgres" in figures:
        pg_seeded = figures["postgres_seed_s"]
        pg_seeded = f"seeded in {pg_seeded:.0f} s" if pg_seeded else "seeded before, reused"
        print(f"PostgreSQL, {figures['pg_turns']:,} turns ({pg_seeded})")
        for name, row in figures["postgres"].items():
            print(
                f"  {name:14} {row['query']!s:18} p50 {row['p50_ms']:7.1f} ms  "
                f"p99 {row['p99_ms']:7.1f} ms"
            )
    common.emit_result("search", figures)


if __name__ == "__main__":
    main()
