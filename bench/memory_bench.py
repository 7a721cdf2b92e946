"""What a server's processes hold in memory on a large site, after readers have browsed a while.

A site of 10,000 published posts (eight turns each, bench/common.py seed_posts), gunicorn with
the deployment settings, and the import worker (`flask --app app worker`) beside it. Reader
threads load the home page and its later pages, posts across the whole site, the archive, the
feeds, the sitemap and searches, for `--seconds`; every few seconds each process's resident
memory (VmRSS) is sampled. Run once with the per-worker page cache (SimpleCache) and once with
Redis (a throwaway redis-server, no persistence), whose own memory is reported too.
Reports each worker's RSS after start, at the end and at its peak (and its PSS, which counts
what it shares with the master in shares, so figures add up), the master's and the import
worker's PSS (its consumer and the process it forks), and the sizes of the pages served. The figures behind docs/deployment.md's memory budget. Run from
the project root: ``.venv/bin/python bench/memory_bench.py --posts 10000 --seconds 120``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from procfs import children, rss_mb  # noqa: E402

TURNS_PER_POST = 8
WORDS = ("tiling", "entropy", "gradient", "protocol", "lattice", "kernel", "sourdough", "orbit")


def pss_mb(pid: int) -> float:
    """Proportional set size: pages shared with other processes (the forked-from master's
    code, after fork) counted in shares, so the figures of several processes add up."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tree_pss_mb(pid: int) -> float:
    """PSS of a process and every process it started."""
    with contextlib.suppress(OSError):
        return pss_mb(pid) + sum(tree_pss_mb(child) for child in children(pid))
    return 0.0


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free port, as the tests start one."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="colloquy-bench-redis-"))
    port = common.free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        common.wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def redis_used_mb(url: str) -> float:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return client.info("memory")["used_memory"] / (1024 * 1024)
    finally:
        client.close()


def paths(
    posts: int, per_page: int, rng: random.Random, without: tuple[str, ...] = ()
) -> Iterator[str]:
    """What readers ask for: mostly posts anywhere on the site, then listings, feeds, search."""
    pages = max(1, posts // per_page)
    while True:
        roll = rng.random()
        if roll < 0.70:
            yield f"/posts/post-{rng.randint(1, posts)}"
        elif roll < 0.80:
            yield "/" if rng.random() < 0.5 else f"/?page={rng.randint(2, pages)}"
        elif roll < 0.85:
            listings = ("/feed.xml", "/atom.xml", "/archive", "/sitemap.xml")
            yield rng.choice([path for path in listings if path not in without])
        else:
            yield f"/search?q={rng.choice(WORDS)}"


def reader(port: int, deadline: float, args, seed: int, sizes: dict, errors: list) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for path in paths(args.posts, 10, rng, tuple(args.without)):
        if time.monotonic() > deadline:
            break
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            errors.append(f"{path}: {response.status}")
            continue
        kind = path.split("/")[1].split("?")[0] or "index"
        sizes.setdefault(kind, []).append(len(body))
    connection.close()


def run(database: Path, args, cache: dict[str, str], label: str) -> dict:
    env = common.app_environment(
        common.sqlite_url(database),
        FLASK_HUEY_SQLITE_PATH=str(database.with_suffix(".queue")),
        GUNICORN_ACCESS_LOG="/dev/null",
        **cache,
    )
    with common.gunicorn(
        "app:app", env, workers=args.workers, threads=args.threads, name=f"memory-{label}"
    ) as server:
        worker = subprocess.Popen(
            [str(common.ROOT / ".venv/bin/flask"), "--app", "app", "worker"],
            cwd=common.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(3)  # the consumer forks its worker process; nothing to poll for
            web = children(server.process.pid)
            start = {pid: rss_mb(pid) for pid in web}
            peak = dict(start)
            sizes: dict[str, list[int]] = {}
            errors: list[str] = []
            deadline = time.monotonic() + args.seconds
            threads = [
                threading.Thread(
                    target=reader, args=(server.port, deadline, args, n, sizes, errors)
                )
                for n in range(args.readers)
            ]
            for thread in threads:
                thread.start()
            samples = []
            while any(thread.is_alive() for thread in threads):
                time.sleep(2)
                now = {pid: rss_mb(pid) for pid in web if Path(f"/proc/{pid}").exists()}
                for pid, value in now.items():
                    peak[pid] = max(peak[pid], value)
                samples.append(max(now.values(), default=0.0))
            for thread in threads:
                thread.join()
            end = {pid: rss_mb(pid) for pid in web if Path(f"/proc/{pid}").exists()}
            end_pss = [pss_mb(pid) for pid in end]
            result = {
                "cache": label,
                "workers": args.workers,
                "threads": args.threads,
                "requests": sum(len(v) for v in sizes.values()),
                "errors": len(errors),
                "master_pss_mb": round(pss_mb(server.process.pid), 1),
                "worker_start_mb": round(max(start.values()), 1),
                "worker_end_mb": round(max(end.values(), default=0.0), 1),
                "worker_peak_mb": round(max(peak.values()), 1),
                "worker_end_pss_mb": round(max(end_pss, default=0.0), 1),
                "import_worker_pss_mb": round(tree_pss_mb(worker.pid), 1),
                "import_worker_processes": 1 + len(children(worker.pid)),
                "page_kb": {
                    kind: round(statistics.mean(found) / 1024, 1) for kind, found in sizes.items()
                },
                "rss_over_time_mb": [round(s, 1) for s in samples[:: max(1, len(samples) // 12)]],
            }
            if cache.get("FLASK_CACHE_REDIS_URL"):
                result["redis_mb"] = round(redis_used_mb(cache["FLASK_CACHE_REDIS_URL"]), 1)
            if errors:
                result["first_errors"] = errors[:5]
            return result
        finally:
            worker.send_signal(signal.SIGINT)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--no-redis", action="store_true", help="Only the per-worker cache.")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        help="A listing readers never ask for (e.g. /archive, to see the rest apart).",
    )
    args = parser.parse_args()
    database = common.chat_database("memory", args.posts, TURNS_PER_POST, render_pool=160)
    results = [run(database, args, {"FLASK_CACHE_TYPE": "SimpleCache"}, "SimpleCache")]
    if not args.no_redis:
        with redis_server() as url:
            cache = {"FLASK_CACHE_TYPE": "RedisCache", "FLASK_CACHE_REDIS_URL": url}
            results.append(run(database, args, cache, "RedisCache"))
    for result in results:
        common.emit_result("memory", {"posts": args.posts, "without": args.without, **result})
        print(result, flush=True)


if __name__ == "__main__":
    main()
