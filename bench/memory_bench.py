"""What a server's processes hold in memory on a large site, while readers browse and an import runs.

A site of 10,000 published posts (eight turns each, `common.seeded_site`), gunicorn with the
deployment settings, and the import worker (`flask --app app worker`) beside it. Reader
threads load the home page and its later pages, posts across the whole site, the archive, the
feeds, the sitemap and searches, for `--seconds`; every half second each process's resident
memory (VmRSS) is sampled. Run once with the per-worker page cache (SimpleCache) and once with
Redis (a throwaway redis-server, no persistence), whose own memory is reported too.
Reports each worker's RSS after start, at the end and at its peak (and its PSS, which counts
what it shares with the master in shares, so figures add up), the master's PSS, the import
worker's RSS and PSS summed over its processes (the consumer, the process it forks, and the
render pool's fork server and processes), and the sizes of the pages served.

With `--import`, the worker meanwhile imports import_bench's synthetic ChatGPT export (3,000
conversations x 50 messages, 124 MB) into a copy of the site, as the studio does it (stored,
read and listed, every conversation chosen, saved, rendered with the default
IMPORT_RENDER_PROCESSES), and readers go on until it ends: the worker's peak in each phase.
The figures behind docs/deployment.md's memory budget. Run from the project root:
``.venv/bin/python bench/memory_bench.py --posts 10000 --seconds 120 [--import --no-redis]``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
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

TURNS_PER_POST = 8
WORDS = ("tiling", "entropy", "gradient", "protocol", "lattice", "kernel", "sourdough", "orbit")


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


def reader(port: int, stop: threading.Event, args, seed: int, sizes: dict, errors: list) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for path in paths(args.posts, 10, rng, tuple(args.without)):
        if stop.is_set():
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


def export_file(conversations: int, messages: int) -> Path:
    """import_bench's synthetic ChatGPT export (124 MB with 3,000 x 50), written once."""
    import import_bench

    path = common.DATA / f"chatgpt_{conversations}x{messages}.json"
    if not path.exists():
        building = path.with_suffix(".building")
        import_bench.write_export(building, conversations, messages)
        building.rename(path)
    return path


class Importer(threading.Thread):
    """Imports a file as the studio does: the upload stored and its reading queued, then
    every conversation chosen and its saving queued; the worker does the rest. `phase` is
    the job's status as last read, `timeline` when each status was first seen."""

    def __init__(self, app, export: Path) -> None:
        super().__init__(name="importer")
        self.app = app
        self.export = export
        self.phase = "uploading"
        self.timeline: dict[str, float] = {}
        self.job: dict = {}

    def run(self) -> None:
        from blog.extensions import db
        from blog.imports import jobs
        from blog.models import ImportJob, User

        started = time.monotonic()
        with self.app.app_context(), self.export.open("rb") as stream:
            token = jobs.start_job(stream, self.export.name).token
        self.timeline["uploaded"] = time.monotonic() - started
        chosen = False
        while True:
            with self.app.app_context():
                job = db.session.scalar(db.select(ImportJob).where(ImportJob.token == token))
                self.phase = job.status
                self.timeline.setdefault(job.status, time.monotonic() - started)
                if job.status == "listed" and not chosen:
                    keys = [entry["key"] for entry in json.loads(job.listing_json)]
                    author = db.session.scalar(db.select(User).limit(1))
                    jobs.start_saving(job, keys, "skip", author)
                    chosen = True
                elif job.status in ("done", "failed"):
                    self.job = {
                        "status": job.status,
                        "message": job.message or "",
                        "conversations": job.conversations,
                        "saved": job.saved,
                        "rendered": job.rendered,
                        "render_total": job.render_total,
                    }
                    return
            time.sleep(0.5)  # the job's page polls too; the worker says nothing otherwise


def run(database: Path, args, cache: dict[str, str], label: str) -> dict:
    """Readers for `--seconds` (and, with `--import`, until the import has ended), the
    processes' memory sampled every half second."""
    queue = database.with_suffix(".queue")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{queue}{suffix}").unlink(missing_ok=True)
    uploads = common.DATA / "uploads"
    uploads.mkdir(exist_ok=True)
    settings = {"HUEY_SQLITE_PATH": str(queue), "IMPORT_UPLOADS_DIR": str(uploads)}
    # Memory is measured, not time: a shared machine may take longer than the job's limit.
    settings["IMPORT_TIME_LIMIT_SECONDS"] = "3600"
    env = common.app_environment(
        common.sqlite_url(database),
        GUNICORN_ACCESS_LOG="/dev/null",
        **{f"FLASK_{key}": value for key, value in settings.items()},
        **cache,
    )
    with common.gunicorn(
        "app:app", env, workers=args.workers, threads=args.threads, name=f"memory-{label}"
    ) as server:
        worker = common.start_worker(env)
        try:
            web = common.children(server.process.pid)
            start = {pid: common.rss_mb(pid) for pid in web}
            peak = dict(start)
            idle = common.tree_memory(worker.pid)
            sizes: dict[str, list[int]] = {}
            errors: list[str] = []
            stop = threading.Event()
            threads = [
                threading.Thread(target=reader, args=(server.port, stop, args, n, sizes, errors))
                for n in range(args.readers)
            ]
            for thread in threads:
                thread.start()
            importer = None
            if args.import_conversations:
                export = export_file(args.import_conversations, args.import_messages)
                app = common.bench_app(common.sqlite_url(database), **settings)
                importer = Importer(app, export)
                importer.start()
            deadline = time.monotonic() + args.seconds
            samples, importing = [], {}
            while time.monotonic() < deadline or (importer and importer.is_alive()):
                time.sleep(0.5)
                now = {pid: common.rss_mb(pid) for pid in web if Path(f"/proc/{pid}").exists()}
                for pid, value in now.items():
                    peak[pid] = max(peak[pid], value)
                samples.append(max(now.values(), default=0.0))
                if importer:
                    tree = common.tree_memory(worker.pid)
                    kept = importing.setdefault(importer.phase, {"rss_mb": 0.0, "pss_mb": 0.0})
                    for key in ("rss_mb", "pss_mb"):
                        kept[key] = max(kept[key], tree[key])
                    kept["processes"] = max(kept.get("processes", 0), tree["processes"])
            stop.set()
            for thread in threads:
                thread.join()
            end = {pid: common.rss_mb(pid) for pid in web if Path(f"/proc/{pid}").exists()}
            end_pss = [common.pss_mb(pid) for pid in end]
            result = {
                "cache": label,
                "workers": args.workers,
                "threads": args.threads,
                "requests": sum(len(v) for v in sizes.values()),
                "errors": len(errors),
                "master_pss_mb": round(common.pss_mb(server.process.pid), 1),
                "worker_start_mb": round(max(start.values()), 1),
                "worker_end_mb": round(max(end.values(), default=0.0), 1),
                "worker_peak_mb": round(max(peak.values()), 1),
                "worker_end_pss_mb": round(max(end_pss, default=0.0), 1),
                "import_worker_idle": {key: round(value, 1) for key, value in idle.items()},
                "page_kb": {
                    kind: round(statistics.mean(found) / 1024, 1) for kind, found in sizes.items()
                },
                "rss_over_time_mb": [round(s, 1) for s in samples[:: max(1, len(samples) // 12)]],
            }
            if importer:
                result["import"] = {
                    "file_mb": round(export.stat().st_size / 1024**2, 1),
                    "job": importer.job,
                    "seconds_to": {k: round(v, 1) for k, v in importer.timeline.items()},
                    "worker_peak_by_phase": {
                        phase: {key: round(value, 1) for key, value in kept.items()}
                        for phase, kept in importing.items()
                    },
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
    parser.add_argument(
        "--import",
        dest="import_conversations",
        type=int,
        nargs="?",
        const=3000,
        default=0,
        metavar="CONVERSATIONS",
        help="Meanwhile import import_bench's synthetic ChatGPT export through the worker "
        "(3,000 conversations: 124 MB) into a copy of the site; readers go on until it ends.",
    )
    parser.add_argument("--import-messages", type=int, default=50)
    args = parser.parse_args()
    database = common.seeded_site(args.posts, TURNS_PER_POST)
    if args.import_conversations:
        database = common.working_copy(database, f"memory_import_{args.posts}")
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
