"""The static mirror's work: a full build, and the rebuild after a settings save, as deployed.

A settings save (site title, disclosure, license) changes every page. The request takes the
mirror's pages off the site and queues their rebuild; the worker rewrites them all. Timed
apart: the request (what the author waits for, whatever the site's size) and the worker's
rebuild. A site of `--posts` published posts of `--turns` turns (`common.seeded_site`, a
copy of it) is mirrored once in this process (the first build), then gunicorn (deployment
settings) and the import worker (`flask --app app worker`) start on it, the author signs in
through the login form and saves the settings form with a new site title (`--saves` times,
each after the last rebuild ended). While the worker rebuilds, the studio's progress fragment
is polled every 2 s as the settings page polls it, and the worker's memory (RSS and PSS over
its processes) sampled every half second. Run from the project root:
``.venv/bin/python bench/mirror_bench.py [--posts 300 --turns 8 --saves 3]``
(``--posts 10000 --saves 1``: the 10,000-post site of bench/memory_bench.py).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

PROGRESS = re.compile(r"(\d+) of (\d+|\?) listing pages and (\d+) of (\d+|\?) posts written")
TAGS = re.compile(r"<[^>]+>")


def first_build(app, mirror: Path) -> tuple[int, float]:
    """The whole mirror written in this process (`flask mirror`): files and seconds."""
    from blog.mirror import build

    shutil.rmtree(mirror, ignore_errors=True)
    started = time.perf_counter()
    files = build(app, mirror)
    return files, time.perf_counter() - started


def save_settings(browser: common.Browser, title: str) -> float:
    """Submit the settings form with a new site title, as the author would; its milliseconds."""
    status, page, _ = browser.request("GET", "/studio/settings")
    form = common.form_fields(page, "/studio/settings")
    if status != 200 or "csrf_token" not in form:
        raise RuntimeError(f"no settings form ({status})")
    status, _, took = browser.request("POST", "/studio/settings", form | {"site_title": title})
    if status != 303:
        raise RuntimeError(f"the settings save answered {status}")
    return took


def retitle(browser: common.Browser, post_id: int, title: str) -> tuple[float, float]:
    """Save a published post's new title, then Update it so readers see it: each request's
    milliseconds (both refresh the mirror's pages that show the post before they return)."""
    editor = f"/studio/posts/{post_id}"
    status, page, _ = browser.request("GET", editor)
    form = common.form_fields(page, editor)
    if status != 200 or "title" not in form:
        raise RuntimeError(f"no details form for post {post_id} ({status})")
    status, _, saved = browser.request("POST", editor, form | {"title": title})
    if status != 303:
        raise RuntimeError(f"the details save answered {status}")
    status, page, _ = browser.request("GET", editor)
    form = common.form_fields(page, f"{editor}/publish")
    if "csrf_token" not in form:
        raise RuntimeError(f"no Update form for post {post_id}: the title was not new")
    form |= {"confirm_policies": "on", "confirm_privacy": "on"}
    status, _, updated = browser.request("POST", f"{editor}/publish", form)
    if status != 303:
        raise RuntimeError(f"the Update answered {status}")
    return saved, updated


def retitle_at(revision: str, env: dict[str, str], post_id: int, run: str) -> tuple[float, float]:
    """A post retitled and Updated on the same site and mirror by the code at a git revision
    (a `git archive` of it, no worker), so a change is compared with what came before."""
    code = common.checkout(revision, common.DATA / "baseline")
    env = {key: value for key, value in env.items() if key != "PYTHONPATH"}  # its own code
    with common.gunicorn("app:app", env, name="mirror-baseline", cwd=code) as server:
        browser = common.Browser(server.port)
        try:
            browser.sign_in()
            return retitle(browser, post_id, f"A title changed mid-site at {run}, before")
        finally:
            browser.close()


def follow_rebuild(browser: common.Browser, worker: subprocess.Popen) -> dict:
    """Poll the studio's progress fragment every 2 s until the rebuild is done; sample the
    worker's memory every half second meanwhile."""
    started = time.monotonic()
    progress, memory = [], []
    next_poll = started
    while True:
        now = time.monotonic()
        memory.append((now - started, common.tree_memory(worker.pid)))
        if now >= next_poll:
            next_poll += 2
            status, fragment, took = browser.request(
                "GET", "/studio/settings/mirror", headers={"HX-Request": "true"}
            )
            text = " ".join(html.unescape(TAGS.sub(" ", fragment)).split())
            found = PROGRESS.search(text)
            counts = [int(n) if n.isdigit() else None for n in found.groups()] if found else []
            listed, listings, done, total = counts or (None, None, None, None)
            progress.append(
                {
                    "s": round(now - started, 1),
                    "listed": listed,
                    "listings": listings,
                    "done": done,
                    "total": total,
                    "ms": took,
                }
            )
            if status != 200:
                raise RuntimeError(f"the progress fragment answered {status}")
            if "up to date" in text:
                break
            if "failed" in text or "could not" in text:
                raise RuntimeError(text)
        if worker.poll() is not None:
            raise RuntimeError("the worker stopped")
        time.sleep(0.5)
    seconds = time.monotonic() - started
    running = [row for row in progress if row["total"] is not None]
    return {
        "rebuild_s": seconds,
        "progress": progress,
        "poll_ms_max": max(row["ms"] for row in progress),
        "worker_peak_rss_mb": max(m["rss_mb"] for _, m in memory),
        "worker_peak_pss_mb": max(m["pss_mb"] for _, m in memory),
        # The worker's memory at each tenth of the rebuild: flat if it streams the posts.
        "worker_pss_by_tenth": memory_by_tenth(memory, running, seconds),
    }


def memory_by_tenth(memory: list, running: list[dict], seconds: float) -> list[float]:
    """The worker's PSS when the rebuild had written each tenth of the posts."""
    if not running:
        return []
    total = running[-1]["total"] or 1
    found = []
    for tenth in range(1, 11):
        reached = next((row["s"] for row in running if row["done"] >= total * tenth / 10), seconds)
        nearest = min(memory, key=lambda sample: abs(sample[0] - reached))
        found.append(round(nearest[1]["pss_mb"], 1))
    return found


def measure(posts: int, turns: int, saves: int, reuse: bool, baseline: str | None) -> dict:
    mirror = common.DATA / f"mirror_{posts}x{turns}"  # the site's mirror, beside its database
    database = common.DATA / f"mirror_{posts}x{turns}.sqlite3"
    reuse = reuse and database.exists() and (mirror / ".mirror" / "rebuild.json").exists()
    if not reuse:
        database = common.working_copy(common.seeded_site(posts, turns), database.stem)
    queue = common.DATA / "mirror_bench_queue.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{queue}{suffix}").unlink(missing_ok=True)
    settings = {
        "SITE_URL": "http://127.0.0.1",
        "STATIC_MIRROR_DIR": str(mirror),
        "HUEY_SQLITE_PATH": str(queue),
    }
    url = common.sqlite_url(database)
    files, first = None, None
    if not reuse:
        files, first = first_build(common.bench_app(url, **settings), mirror)
    # The build's writes on disk, as they are long before anyone saves the settings: a
    # request's commit would otherwise wait for the disk to take 300 MB of pages.
    os.sync()
    twins = sum(1 for _ in mirror.rglob("*.gz"))
    size = sum(p.stat().st_size for p in mirror.rglob("*") if p.is_file())
    env = common.app_environment(
        url,
        GUNICORN_ACCESS_LOG="/dev/null",
        **{f"FLASK_{key}": value for key, value in settings.items()},
    )
    requests, rebuilds = [], []
    with common.gunicorn("app:app", env, name="mirror") as server:
        worker = common.start_worker(env)
        browser = common.Browser(server.port)
        try:
            browser.sign_in()
            idle = common.tree_memory(worker.pid)
            web = {pid: common.rss_mb(pid) for pid in common.children(server.process.pid)}
            run = time.strftime("%H:%M:%S")  # each run's titles are new, so each save changes
            for number in range(saves):
                requests.append(save_settings(browser, f"A blog renamed at {run}, {number}"))
                print(f"  settings save {number + 1}: {requests[-1]:.0f} ms", flush=True)
                rebuilds.append(follow_rebuild(browser, worker))
                print(f"  its rebuild: {rebuilds[-1]['rebuild_s']:.1f} s", flush=True)
            retitled = retitle(browser, posts // 2, f"A title changed mid-site at {run}")
            web_after = {pid: common.rss_mb(pid) for pid in web}
        finally:
            browser.close()
            common.stop_process(worker, timeout=30)
    before = retitle_at(baseline, env, posts // 2 + 1, run) if baseline else (None, None)
    best = min(rebuilds, key=lambda rebuild: rebuild["rebuild_s"])
    return {
        "posts": posts,
        "turns_per_post": turns,
        "files": files,
        "gzip_twins": twins,
        "mirror_bytes": size,
        "first_build_s": first,
        "settings_save_ms": min(requests),
        "settings_save_ms_each": requests,
        "worker_rebuild_s": best["rebuild_s"],
        "worker_rebuild_ms_per_post": best["rebuild_s"] / posts * 1000,
        "progress": best["progress"],
        "progress_poll_ms_max": max(rebuild["poll_ms_max"] for rebuild in rebuilds),
        "worker_idle_pss_mb": idle["pss_mb"],
        "worker_idle_rss_mb": idle["rss_mb"],
        "worker_peak_rss_mb": max(rebuild["worker_peak_rss_mb"] for rebuild in rebuilds),
        "worker_peak_pss_mb": max(rebuild["worker_peak_pss_mb"] for rebuild in rebuilds),
        "worker_pss_by_tenth": best["worker_pss_by_tenth"],
        "retitle_save_ms": retitled[0],
        "retitle_update_ms": retitled[1],
        "baseline": baseline,
        "baseline_retitle_save_ms": before[0],
        "baseline_retitle_update_ms": before[1],
        "web_worker_rss_mb": [round(web_after[pid], 1) for pid in sorted(web_after)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300, help="published posts to seed")
    parser.add_argument("--turns", type=int, default=8, help="turns per post")
    parser.add_argument("--saves", type=int, default=3, help="settings saves timed (least)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the site and the mirror the last run left (current: its worker rebuilt it) "
        "instead of copying the site and building the mirror again",
    )
    parser.add_argument(
        "--baseline", metavar="REV", help="also retitle a post with the code at this revision"
    )
    args = parser.parse_args()
    figures = measure(args.posts, args.turns, args.saves, args.reuse, args.baseline)
    print(
        f"{figures['posts']:,} posts of {args.turns} turns: {figures['gzip_twins']:,} pages "
        f"and their gzip twins, {figures['mirror_bytes'] / 1e6:.1f} MB"
    )
    if figures["first_build_s"] is not None:
        print(f"  first build (in process)     {figures['first_build_s']:6.1f} s")
    each = ", ".join(f"{ms:.0f}" for ms in figures["settings_save_ms_each"])
    print(f"  settings save (the request)  {figures['settings_save_ms']:6.1f} ms (each: {each})")
    print(
        f"  rebuild in the worker        {figures['worker_rebuild_s']:6.1f} s, "
        f"{figures['worker_rebuild_ms_per_post']:.0f} ms per post (least of {args.saves})"
    )
    shown = figures["progress"]
    step = max(1, len(shown) // 10)
    samples = shown[::step] + ([shown[-1]] if (len(shown) - 1) % step else [])
    print(
        "  progress in the studio       "
        + "; ".join(
            f"{row['s']:.0f} s: {row['listed']}/{row['listings'] or '?'} listing pages, "
            f"{row['done']}/{row['total'] or '?'} posts"
            if row["listed"] is not None
            else f"{row['s']:.0f} s: -"
            for row in samples
        )
    )
    print(f"  slowest progress poll        {figures['progress_poll_ms_max']:6.1f} ms")
    print(
        f"  the worker's memory          idle {figures['worker_idle_pss_mb']:.0f} MB PSS "
        f"({figures['worker_idle_rss_mb']:.0f} MB RSS summed); rebuilding, peak "
        f"{figures['worker_peak_pss_mb']:.0f} MB PSS ({figures['worker_peak_rss_mb']:.0f} MB RSS)"
    )
    print(
        "  its PSS at each tenth        "
        + ", ".join(f"{mb:.0f}" for mb in figures["worker_pss_by_tenth"])
    )
    print(
        f"  a post retitled mid-site     details saved {figures['retitle_save_ms']:.0f} ms, "
        f"Update {figures['retitle_update_ms']:.0f} ms (each request rewrites what shows it)"
    )
    if args.baseline:
        print(
            f"  the same at {args.baseline:<17} details saved "
            f"{figures['baseline_retitle_save_ms']:.0f} ms, "
            f"Update {figures['baseline_retitle_update_ms']:.0f} ms"
        )
    print(f"  web workers' RSS after       {figures['web_worker_rss_mb']} MB")
    common.emit_result("mirror", figures)


if __name__ == "__main__":
    main()
