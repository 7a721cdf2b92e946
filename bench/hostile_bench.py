"""Hostile requests while readers read: do readers still get their pages, do workers stay small?

Real gunicorn on loopback with the deployment settings. Reader threads load the home page and
posts and record each request's time. Meanwhile attackers send, anonymously, 40 MB form bombs
(`a=b&a=b…`) with a length and without one (chunked), and a 40 MB multipart body to the import
route; and the signed-in author uploads 40 MB imports at the same time, as a large export
would. Reports readers' p50/p99 and the largest growth of any worker's memory. Goals: readers'
p99 under 1 s, under 100 MB of growth per hostile request. Run from the project root:
``.venv/bin/python bench/hostile_bench.py --seconds 20``.
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

import common  # noqa: E402
from chatgpt_export import chatgpt_conversation, chatgpt_export  # noqa: E402
from load_test import POSTS, seed  # noqa: E402
from procfs import children, rss_mb  # noqa: E402
from raw_http import send_body  # noqa: E402

BOMB = b"a=b&" * (10 * 1024 * 1024)  # 40 MB
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Memory:
    """The largest RSS each worker reached while watched."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.baseline = {pid: rss_mb(pid) for pid in children(master)}
        self.peak = dict(self.baseline)
        self.stop = threading.Event()

    def watch(self) -> None:
        while not self.stop.wait(0.05):
            for pid in children(self.master):
                with contextlib.suppress(OSError):
                    self.peak[pid] = max(self.peak.get(pid, 0.0), rss_mb(pid))

    def growth(self) -> float:
        return max(self.peak[pid] - self.baseline.get(pid, self.peak[pid]) for pid in self.peak)


def reader(port: int, deadline: float, times: list[float], seed_value: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    number = seed_value
    while time.monotonic() < deadline:
        number = number % POSTS + 1
        path = "/" if number % 3 == 0 else f"/posts/post-{number}"
        started = time.perf_counter()
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")


def pieces(body: bytes, size: int = 256 * 1024):
    return (body[i : i + size] for i in range(0, len(body), size))


def attacker(port: int, deadline: float, kind: str, answers: list[str]) -> None:
    form = {"Host": "127.0.0.1", "Content-Type": "application/x-www-form-urlencoded"}
    upload = {"Host": "127.0.0.1", "Content-Type": "multipart/form-data; boundary=x"}
    while time.monotonic() < deadline:
        if kind == "form":
            answer = send_body(port, "/login", form, pieces(BOMB), length=len(BOMB), timeout=120)
        elif kind == "chunked":
            answer = send_body(port, "/login", form, pieces(BOMB), timeout=120)
        else:
            body = (
                b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n'
                + BOMB
                + b"\r\n--x--\r\n"
            )
            answer = send_body(
                port, "/studio/import/", upload, pieces(body), length=len(body), timeout=120
            )
        answers.append(answer)


class Author:
    """The signed-in author, uploading large imports through the import page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = {"Host": "127.0.0.1"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def token(self, path: str) -> str:
        return TOKEN.search(self.request("GET", path)[1]).group(1)

    def sign_in(self) -> None:
        form = f"username=bench&password={common.PASSWORD.replace(' ', '+')}&csrf_token={self.token('/login')}"
        status, _ = self.request(
            "POST", "/login", form.encode(), "application/x-www-form-urlencoded"
        )
        assert status == 302, status

    def upload(self, data: bytes) -> int:
        token = self.token("/studio/import/")
        body = (
            (
                f'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
                '--x\r\nContent-Disposition: form-data; name="file"; filename="conversations.json"\r\n'
                "Content-Type: application/json\r\n\r\n"
            ).encode()
            + data
            + b"\r\n--x--\r\n"
        )
        return self.request("POST", "/studio/import/", body, "multipart/form-data; boundary=x")[0]


def export_of(size: int) -> bytes:
    """A ChatGPT-shaped export of about `size` bytes."""
    message = "lorem ipsum dolor sit amet " * 40
    conversations = []
    while True:
        number = len(conversations)
        texts = [f"{number} {message}", message]
        conversations.append(chatgpt_conversation(number, texts=texts, title=f"C{number}"))
        if len(conversations) % 500 == 0 and len(export := chatgpt_export(*conversations)) >= size:
            return export


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--uploads", type=int, default=4, help="simultaneous 40 MB author uploads")
    args = parser.parse_args()
    common.DATA.mkdir(parents=True, exist_ok=True)
    database = common.DATA / "hostile.sqlite3"
    for leftover in common.DATA.glob("hostile.sqlite3*"):
        leftover.unlink()
    url = common.sqlite_url(database)
    seed(url)
    upload = export_of(40 * 1024 * 1024)
    env = common.app_environment(url)
    with common.gunicorn("app:app", env, workers=3, threads=4, name="hostile") as server:
        memory = Memory(server.process.pid)
        watcher = threading.Thread(target=memory.watch)
        watcher.start()
        deadline = time.monotonic() + args.seconds
        times: list[float] = []
        answers: list[str] = []
        uploaded: list[int] = []
        authors = [Author(server.port) for _ in range(args.uploads)]
        for author in authors:
            author.sign_in()

        def keep_uploading(author: Author) -> None:
            while time.monotonic() < deadline:
                uploaded.append(author.upload(upload))

        threads = [
            threading.Thread(target=reader, args=(server.port, deadline, times, n))
            for n in range(args.readers)
        ]
        threads += [
            threading.Thread(target=attacker, args=(server.port, deadline, kind, answers))
            for kind in ("form", "chunked", "multipart")
        ]
        threads += [threading.Thread(target=keep_uploading, args=(a,)) for a in authors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + 300)
        memory.stop.set()
        watcher.join()
    hostile = len(answers)
    refused = sum(1 for a in answers if " 413 " in a or a == "closed")
    figures = {
        "seconds": args.seconds,
        "reader requests": len(times),
        "reader p50 ms": round(common.percentile(times, 0.5) * 1000, 1),
        "reader p99 ms": round(common.percentile(times, 0.99) * 1000, 1),
        "reader max ms": round(max(times) * 1000, 1),
        "hostile requests": hostile,
        "hostile refused (413 or closed)": refused,
        "author uploads of 40 MB": len(uploaded),
        "author uploads accepted (303)": sum(1 for s in uploaded if s in (302, 303)),
        "largest worker growth MB": round(memory.growth(), 1),
    }
    for key, value in figures.items():
        print(f"  {key:34} {value}")
    common.emit_result("hostile", figures)


if __name__ == "__main__":
    main()
