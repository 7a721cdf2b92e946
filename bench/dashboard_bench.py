"""The studio dashboard at 50 and 5,000 drafts: first page, a filtered list, a text search.

Each size is seeded once (Core inserts: drafts of 10 turns of 300-800 characters, as an import
leaves them, AI turns unreviewed) into a SQLite file under bench/.data/, then asked in-process
through the Flask test client as the signed-in author, so the figures are the view's own time
(queries and rendering) without a network. Run from the project root:
``.venv/bin/python bench/dashboard_bench.py [--sizes 50 5000] [--repeat 20]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

TURNS_PER_POST = 10
RARE_WORD = "zanzibarite"
START = datetime(2024, 1, 1, tzinfo=UTC)
QUERIES = {
    "first page": "",
    "filtered": "status=draft&unreviewed=1&source=chatgpt&sort=title",
    "text search": "q=" + urllib.parse.quote(RARE_WORD),
    "text search, no hit": "q=qxzvjkw",
}


def seed(app, author_id: int, posts: int) -> None:
    """`posts` drafts of TURNS_PER_POST turns; one post in 100 mentions the rare word."""
    from sqlalchemy import insert

    from blog.extensions import db
    from blog.models import Post, Turn

    maker = common.TextMaker(seed=posts)
    turn_id = 0
    with app.app_context():
        for first in range(1, posts + 1, 500):
            post_rows, turn_rows = [], []
            for number in range(first, min(posts, first + 499) + 1):
                when = START + timedelta(hours=number)
                row = common.post_row(number, author_id, when, f"Conversation {number}")
                row |= {"status": "draft", "published_at": None, "source_kind": "chatgpt"}
                row |= {"findings": number % 7 == 0, "checklist_confirmed_at": None}
                post_rows.append(row)
                for position in range(TURNS_PER_POST):
                    turn_id += 1
                    role, source = common.chat_turn(maker, position)
                    if position == 3 and number % 100 == 0:
                        source += f" The {RARE_WORD} sample came up."
                    turn = common.turn_row(turn_id, number, position, role, source, source)
                    turn["reviewed"] = role == "user"
                    turn_rows.append(turn)
            db.session.execute(insert(Post.__table__), post_rows)
            db.session.execute(insert(Turn.__table__), turn_rows)
            db.session.commit()


def database(posts: int) -> Path:
    """The cached SQLite file for this size, seeded when absent."""
    path = common.DATA / f"dashboard_{posts}.sqlite3"
    if path.exists():
        return path
    common.DATA.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    for leftover in common.DATA.glob(building.name + "*"):
        leftover.unlink()
    app = common.bench_app(common.sqlite_url(building))
    common.migrate(app)
    seed(app, common.create_author(app), posts)
    with app.app_context():
        from blog.extensions import db

        db.engine.dispose()
    building.rename(path)
    return path


def measure(path: Path, repeat: int) -> dict[str, dict]:
    """Median and worst milliseconds of each query, and the statements it ran."""
    from sqlalchemy import event, select

    from blog.extensions import db
    from blog.models import User

    app = common.bench_app(common.sqlite_url(path), SERVER_NAME="bench.test")
    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).limit(1))
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        engine = db.engine
    counted: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
    figures = {}
    for name, query in QUERIES.items():
        url = "/studio/" + (f"?{query}" if query else "")
        timings = []
        for _ in range(repeat + 1):
            counted.clear()
            started = time.perf_counter()
            response = client.get(url, base_url="https://bench.test")
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        timings = sorted(timings[1:])  # the first request warms templates and the cache
        figures[name] = {
            "p50_ms": common.percentile(timings, 0.5),
            "max_ms": timings[-1],
            "statements": len(counted),
        }
    with app.app_context():
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 5000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    results = {}
    for size in args.sizes:
        results[str(size)] = measure(database(size), args.repeat)
        print(f"{size:,} drafts ({size * TURNS_PER_POST:,} turns)")
        for name, row in results[str(size)].items():
            print(
                f"  {name:20} p50 {row['p50_ms']:7.1f} ms  max {row['max_ms']:7.1f} ms  "
                f"{row['statements']} statements"
            )
    common.emit_result("dashboard", {"sizes": results})


if __name__ == "__main__":
    main()
