"""A bounded load test on loopback: readers and one saving editor against real gunicorn.

Reader threads fetch the index, posts, the feed and searches; an editor signs in through
the login form and keeps saving one turn of a published post, each save carrying the
version it last saw (on 409 it reloads and tries again). Counts 5xx responses and lost
edits (the stored and the published text must be the last acknowledged save). Runs on
SQLite, then on a throwaway PostgreSQL cluster. Run from the project root:
``.venv/bin/python bench/load_test.py --seconds 60``.
"""

from __future__ import annotations

import argparse
import html
import http.client
import random
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

POSTS = 30
EDITED_POST, EDITED_TURN = 1, 1
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
SOURCE = re.compile(r"<textarea[^>]*>(.*?)</textarea>", re.S)
SEARCHES = ("function", "database index", "perform*", "cache", "qxzvjkw")


def seed(database_url: str) -> None:
    """The author and 30 published six-turn posts."""
    app = common.bench_app(database_url)
    common.migrate(app)
    author = common.create_author(app)
    maker = common.TextMaker(seed=3, rare_words=2_000)
    common.seed_posts(
        app,
        author,
        posts=POSTS,
        turns_per_post=6,
        make_turn=lambda index: common.chat_turn(maker, index),
        render_pool=30,
    )
    with app.app_context():
        from blog.extensions import db

        db.engine.dispose()


class Tally:
    """Thread-safe counts of responses by kind."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def add(self, key: str, amount: int = 1) -> None:
        with self.lock:
            self.counts[key] += amount


def reader(port: int, deadline: float, tally: Tally, seed_value: int) -> None:
    """Anonymous reads on one keep-alive connection until the deadline."""
    chooser = random.Random(seed_value)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < deadline:
        pick = chooser.random()
        if pick < 0.3:
            path = f"/posts/post-{chooser.randint(1, POSTS)}"
        elif pick < 0.5:
            path = f"/posts/post-{EDITED_POST}"
        elif pick < 0.7:
            path = "/" if chooser.random() < 0.8 else "/?page=2"
        elif pick < 0.85:
            path = "/feed.xml"
        else:
            path = "/search?q=" + urllib.parse.quote(chooser.choice(SEARCHES))
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            tally.add("reader connection errors")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        tally.add("reader requests")
        if response.status >= 500:
            tally.add("5xx")
        elif response.status >= 400:
            tally.add("reader 4xx")
    connection.close()


class Editor:
    """The signed-in author in a browser without JavaScript: form posts with a session cookie."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.port = port
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.last_acknowledged: str | None = None
        self.saves = 0

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.tally.add("editor connection errors")
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0, ""
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        self.tally.add("editor requests")
        if response.status >= 500:
            self.tally.add("5xx")
        return response.status, text

    def sign_in(self) -> None:
        status, page = self.request("GET", "/login")
        token = TOKEN.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"no login form ({status})")
        form = {"username": "bench", "password": common.PASSWORD, "csrf_token": token.group(1)}
        status, _ = self.request("POST", "/login", form)
        if status != 302:
            raise RuntimeError(f"sign-in refused ({status})")

    def edit_loop(self, deadline: float) -> None:
        """Load the turn form, save the next text with the version shown; repeat."""
        edit_path = f"/studio/posts/{EDITED_POST}/turns/{EDITED_TURN}/edit"
        save_path = f"/studio/posts/{EDITED_POST}/turns/{EDITED_TURN}"
        attempts = 0
        while time.monotonic() < deadline and attempts < 100_000:
            attempts += 1
            status, page = self.request("GET", edit_path)
            version, token, source = VERSION.search(page), TOKEN.search(page), SOURCE.search(page)
            if status != 200 or not (version and token and source):
                self.tally.add("editor form not loaded")
                continue
            shown = html.unescape(source.group(1)).removeprefix("\n")
            if self.last_acknowledged is not None and shown != self.last_acknowledged:
                self.tally.add("saved text not shown on reload")
            text = edit_text(self.saves + 1)
            form = {"source": text, "version": version.group(1), "csrf_token": token.group(1)}
            status, _ = self.request("POST", save_path, form)
            if status == 303:
                self.saves += 1
                self.last_acknowledged = text
                self.tally.add("acknowledged saves")
            elif status == 409:
                self.tally.add("409 stale (reloaded and retried)")
            else:
                self.tally.add(f"save answered {status}")


def edit_text(number: int) -> str:
    """The text of save `number`: it grows with every save (up to a few kB)."""
    recent = range(max(1, number - 400), number + 1)
    return "Notes on this answer.\n\n" + " ".join(f"edit-{n}" for n in recent)


def final_state(database_url: str) -> str:
    """The edited turn's stored source, read straight from the database."""
    from blog.extensions import db
    from blog.models import Turn

    app = common.bench_app(database_url)
    with app.app_context():
        source = db.session.get(Turn, EDITED_TURN).source
        db.engine.dispose()
    return source


def run(database_url: str, seconds: float, readers: int, workers: int, name: str) -> dict:
    """Seed, serve, load for `seconds`, then check the edited turn; returns the counts."""
    seed(database_url)
    tally = Tally()
    env = common.app_environment(database_url)
    with common.gunicorn("app:app", env, workers=workers, threads=4, name=name) as server:
        editor = Editor(server.port, tally)
        editor.sign_in()
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(target=reader, args=(server.port, deadline, tally, n))
            for n in range(readers)
        ]
        threads.append(threading.Thread(target=editor.edit_loop, args=(deadline,)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 120)
        marker = f"edit-{editor.saves}".encode()
        _, _, page = common.get(f"{server.base}/posts/post-{EDITED_POST}")
        published_ok = editor.saves == 0 or (
            marker in page and f"edit-{editor.saves + 1}".encode() not in page
        )
    stored = final_state(database_url)
    counts = dict(tally.counts)
    counts["5xx"] = counts.get("5xx", 0)
    counts["lost edits"] = int(
        editor.last_acknowledged is not None and stored != editor.last_acknowledged
    )
    counts["published page shows last save"] = "yes" if published_ok else "NO"
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    parser.add_argument("--readers", type=int, default=6, help="reader threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    figures: dict[str, dict] = {}
    database = common.DATA / "load.sqlite3"
    common.DATA.mkdir(parents=True, exist_ok=True)
    for leftover in common.DATA.glob("load.sqlite3*"):
        leftover.unlink()
    figures["sqlite"] = run(
        common.sqlite_url(database), args.seconds, args.readers, args.workers, "load-sqlite"
    )
    if not args.no_postgres and common.postgres_available():
        with common.postgres_cluster() as url:
            figures["postgresql"] = run(url, args.seconds, args.readers, args.workers, "load-pg")
    for backend, counts in figures.items():
        print(
            f"{backend}: {args.seconds:.0f} s, {args.readers} readers + 1 editor, {args.workers} workers"
        )
        for key, value in sorted(counts.items()):
            print(f"  {key:34} {value}")
    common.emit_result("load", {"seconds": args.seconds, "readers": args.readers, **figures})


if __name__ == "__main__":
    main()
