"""The static mirror's work: a full build, and the rebuild after a settings save.

A settings save (site title, disclosure, license) changes every page. The request removes the
mirror's pages and queues their rebuild; the worker rewrites them all. Timed apart: the
request (what a reader of the studio waits for, whatever the site's size) and the worker's
rebuild per public post. Seeds 300 published posts of 8 turns (a chat of 4 prompts
and replies, rendered once; `--posts`, `--turns`), then times the first build, and `save_settings` with the mirror
on, three times (each a new title, so every page changes), each followed by the queued
rebuild run here as the worker runs it. Run from the project root:
``.venv/bin/python bench/mirror_bench.py [--posts 300]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def seed(path: Path, posts: int, turns: int) -> None:
    path.unlink(missing_ok=True)
    app = common.bench_app(common.sqlite_url(path))
    common.migrate(app)
    author = common.create_author(app)
    maker = common.TextMaker(seed=posts, rare_words=2_000)
    common.seed_posts(
        app,
        author,
        posts=posts,
        turns_per_post=turns,
        make_turn=lambda index: common.chat_turn(maker, index),
        render_pool=60,
    )


def measure(posts: int, turns: int, saves: int) -> dict:
    from blog.mirror import build
    from blog.settings import save_settings

    database = common.DATA / f"mirror_{posts}x{turns}.sqlite3"
    mirror = common.DATA / "mirror_bench"
    common.DATA.mkdir(parents=True, exist_ok=True)
    seed(database, posts, turns)
    shutil.rmtree(mirror, ignore_errors=True)
    queue_file = common.DATA / "mirror_bench_queue.sqlite3"
    queue_file.unlink(missing_ok=True)
    app = common.bench_app(
        common.sqlite_url(database),
        SITE_URL="http://127.0.0.1",
        STATIC_MIRROR_DIR=str(mirror),
        HUEY_SQLITE_PATH=str(queue_file),
    )
    huey = app.extensions["import_queue"].huey
    started = time.perf_counter()
    files = build(app, mirror)
    first_build = time.perf_counter() - started
    timings, rebuilds = [], []
    for number in range(saves):
        with app.test_request_context():
            started = time.perf_counter()
            save_settings({"site_title": f"A blog renamed {number}"})
            timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
        rebuilds.append(time.perf_counter() - started)
    twins = sum(1 for _ in mirror.rglob("*.gz"))
    size = sum(p.stat().st_size for p in mirror.rglob("*") if p.is_file())
    return {
        "posts": posts,
        "turns_per_post": turns,
        "files": files,
        "gzip_twins": twins,
        "mirror_bytes": size,
        "first_build_s": first_build,
        "settings_save_s": min(timings),
        "settings_save_ms_per_post": min(timings) / posts * 1000,
        "worker_rebuild_s": min(rebuilds),
        "worker_rebuild_ms_per_post": min(rebuilds) / posts * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=300, help="published posts to seed")
    parser.add_argument("--turns", type=int, default=8, help="turns per post")
    parser.add_argument("--saves", type=int, default=3, help="settings saves timed (least)")
    args = parser.parse_args()
    figures = measure(args.posts, args.turns, args.saves)
    print(
        f"{figures['posts']} posts of {args.turns} turns: {figures['files']:,} pages and "
        f"images, {figures['gzip_twins']:,} gzip twins, {figures['mirror_bytes'] / 1e6:.1f} MB"
    )
    print(f"  first build                  {figures['first_build_s']:6.1f} s")
    print(
        f"  settings save (the request)  {figures['settings_save_s'] * 1000:6.1f} ms, "
        f"{figures['settings_save_ms_per_post']:.2f} ms per post (least of {args.saves})"
    )
    print(
        f"  rebuild in the worker        {figures['worker_rebuild_s']:6.1f} s, "
        f"{figures['worker_rebuild_ms_per_post']:.0f} ms per post (least of {args.saves})"
    )
    common.emit_result("mirror", figures)


if __name__ == "__main__":
    main()
