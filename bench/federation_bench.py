"""One publish delivered to many followers: how long the worker takes, and its memory.

A site with federation on (SITE_URL on loopback) and `--followers` followers spread over
`--inboxes` shared inboxes, each inbox a real HTTP server on its own loopback port (asyncio, in
this process) that checks every request's signature against the blog's public key and answers
202. The import worker (`flask --app app worker`, the deployment's command) runs beside it;
the script publishes one post through the service, as the editor does, and waits until every
inbox has its `Create`.

Reports the wall time from the commit to the last `Create` received, deliveries per second
(followers reached, and requests), and the peak resident memory (VmHWM) of the worker's
processes: the consumer and the process it forks per `--workers`. The figures behind
docs/performance.md. Run from the project root:
``.venv/bin/python bench/federation_bench.py --followers 2000 --inboxes 200``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


class Inboxes:
    """`count` shared inboxes on loopback ports, checking signatures, counting activities."""

    def __init__(self, count: int, public_pem: str) -> None:
        self.count = count
        self.public_pem = public_pem
        self.ports: list[int] = []
        self.received: dict[str, set[int]] = {}
        self.requests = 0
        self.bad_signatures = 0
        self.last_create_at = 0.0
        self.all_created = threading.Event()
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(30):
            raise RuntimeError("the inboxes did not start")

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.listen())
        self.ready.set()
        self.loop.run_forever()

    async def listen(self) -> None:
        self.servers = []
        for _ in range(self.count):
            server = await asyncio.start_server(self.answer, "127.0.0.1", 0, backlog=64)
            self.servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from blog.federation.signatures import SignatureError, verify

        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            port = writer.get_extra_info("sockname")[1]
            try:
                verify(method, target, headers, body, self.public_pem)
                status = b"202 Accepted"
            except SignatureError:
                self.bad_signatures += 1
                status = b"401 Unauthorized"
            self.requests += 1
            kind = body.split(b'"type": "', 1)[1].split(b'"', 1)[0].decode()
            self.received.setdefault(kind, set()).add(port)
            if kind == "Create" and len(self.received["Create"]) == self.count:
                self.last_create_at = time.perf_counter()
                self.all_created.set()
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
        finally:
            writer.close()

    def stop(self) -> None:
        async def close() -> None:
            for server in self.servers:
                server.close()
                await server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


def peak_rss_kib(consumer: int) -> dict[str, int]:
    """VmHWM (peak resident memory, KiB) of the consumer and the processes it forked, by role:
    Huey starts its scheduler first, then one process per worker."""
    children = sorted(
        int(pid) for pid in Path(f"/proc/{consumer}/task/{consumer}/children").read_text().split()
    )
    roles = ["consumer", "scheduler"] + [f"worker {n + 1}" for n in range(len(children) - 1)]
    found: dict[str, int] = {}
    for role, pid in zip(roles, [consumer, *children], strict=True):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                found[role] = int(line.split()[1])
    return found


def seed(app, followers: int, ports: list[int]) -> None:
    from blog.extensions import db
    from blog.federation.models import Follower

    with app.app_context():
        rows = [
            {
                "actor_uri": f"http://127.0.0.1:{ports[n % len(ports)]}/users/{n}",
                "inbox": f"http://127.0.0.1:{ports[n % len(ports)]}/users/{n}/inbox",
                "shared_inbox": f"http://127.0.0.1:{ports[n % len(ports)]}/inbox",
                "follow_id": "",
            }
            for n in range(followers)
        ]
        db.session.execute(db.insert(Follower), rows)
        db.session.commit()


def publish_one(app, author_id: int) -> None:
    from blog import posts as content
    from blog.extensions import db
    from blog.models import User

    with app.app_context():
        post = content.create_post(db.session.get(User, author_id), "Why the sea has tides")
        content.add_turn(post, "user", source="Why does the sea rise twice a day?")
        content.add_turn(post, "assistant", source="The moon pulls the water on both sides. " * 20)
        content.publish(post, confirmed=True, mark_reviewed=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=2000)
    parser.add_argument("--inboxes", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="the worker's processes")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="federation-bench-") as folder:
        root = Path(folder)
        instance = root / "instance"
        instance.mkdir()
        database = common.sqlite_url(root / "bench.sqlite3")
        env = common.app_environment(
            database,
            COLLOQUY_INSTANCE=str(instance),
            FLASK_FEDERATION_ENABLED="true",
            FLASK_SITE_URL="http://127.0.0.1",
            FLASK_HUEY_SQLITE_PATH=str(root / "queue.sqlite3"),
            FLASK_IMPORT_WORKERS=str(args.workers),
            PYTHONPATH=str(common.ROOT),
        )
        os.environ.update(env)
        from blog.federation import identity
        from blog.federation.keys import public_pem

        app = common.bench_app(database)
        common.migrate(app)
        author_id = common.create_author(app)
        with app.app_context():
            pem = public_pem(identity.private_key())
        inboxes = Inboxes(args.inboxes, pem)
        inboxes.start()
        seed(app, args.followers, inboxes.ports)
        # Nothing queued before the publish (the account's creation changes the profile).
        app.extensions["import_queue"].huey.flush()

        log_path = root / "worker.log"
        with log_path.open("w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "worker"],
                cwd=common.ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 60
            while "Import worker:" not in log_path.read_text():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the worker did not start:\n" + log_path.read_text())
                time.sleep(0.05)
            time.sleep(1.5)  # the consumer's first polls, so its start is not timed
            started = time.perf_counter()
            publish_one(app, author_id)
            if not inboxes.all_created.wait(args.timeout):
                raise RuntimeError(
                    f"only {len(inboxes.received.get('Create', ()))} inboxes got the post"
                )
            seconds = inboxes.last_create_at - started
            memory = peak_rss_kib(worker.pid)
        finally:
            common.stop_process(worker)
            inboxes.stop()
            with app.app_context():
                from blog.extensions import db

                db.engine.dispose()

    result = {
        "followers": args.followers,
        "inboxes": args.inboxes,
        "workers": args.workers,
        "create_seconds": round(seconds, 2),
        "followers_per_second": round(args.followers / seconds),
        "requests_per_second": round(args.inboxes / seconds),
        "requests": inboxes.requests,
        "bad_signatures": inboxes.bad_signatures,
        "peak_rss_mib": {role: round(kib / 1024, 1) for role, kib in memory.items()},
    }
    print(
        f"{args.followers} followers on {args.inboxes} inboxes, {args.workers} worker "
        f"process(es): Create at every inbox {seconds:.2f} s after the commit "
        f"({args.followers / seconds:.0f} followers/s, {args.inboxes / seconds:.0f} requests/s); "
        f"{inboxes.requests} requests; "
        f"{inboxes.bad_signatures} bad signatures; peak RSS "
        + ", ".join(f"{role} {kib / 1024:.1f} MiB" for role, kib in memory.items())
    )
    common.emit_result("federation", result)


if __name__ == "__main__":
    main()
