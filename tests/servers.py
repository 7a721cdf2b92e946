"""Real servers for tests: gunicorn with the production configuration on a temp database."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bench.chatgpt_export import chatgpt_conversation, chatgpt_export

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PASSWORD = "correct horse battery staple"
TOKEN_FIELD = 'name="csrf_token" value="'


def write_chatgpt_export(path: Path, count: int, first: int = 0) -> Path:
    """Write `count` generated conversations to a conversations.json file."""
    path.write_bytes(
        chatgpt_export(*(chatgpt_conversation(n) for n in range(first, first + count)))
    )
    return path


def server_env(database: Path) -> dict[str, str]:
    """The environment of a production-style process on this database file."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update(
        FLASK_SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        FLASK_SECRET_KEY="gunicorn-test-" + "s" * 40,
        FLASK_HUEY_SQLITE_PATH=str(database.parent / "import-queue.sqlite3"),
        FLASK_TRUSTED_HOSTS="blog.example,127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


def flask(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run one `flask --app app` command to completion and return its output."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Browser:
    """A tiny HTTP client that keeps cookies, as a browser behind the HTTPS proxy would."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    # The site's public name as the proxy passes it on; a local `make run` is reached directly.
    host: str = "blog.example"

    def request(
        self,
        method: str,
        path: str,
        form: dict | None = None,
        body: bytes | None = None,
        content_type: str = "",
    ) -> Response:
        # The reverse proxy would say the client used HTTPS; gunicorn trusts loopback.
        headers = {"Host": self.host, "X-Forwarded-Proto": "https"}
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            connection.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict, token_from: str) -> Response:
        return self.request("POST", path, {**form, "csrf_token": self.csrf_token(token_from)})

    def csrf_token(self, page_path: str) -> str:
        response = self.get(page_path)
        page = response.body
        assert TOKEN_FIELD in page, f"no form on {page_path}: {response.status} {page[:300]}"
        start = page.index(TOKEN_FIELD) + len(TOKEN_FIELD)
        return page[start : page.index('"', start)]

    def upload(self, path: str, field_name: str, filename: str, data: bytes) -> Response:
        """A multipart form with one file and the CSRF token of the page at `path`."""
        boundary = "----colloquy-test-boundary"
        token = self.csrf_token(path)
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                f"{token}\r\n--{boundary}\r\n"
                f'Content-Disposition: form-data; name="{field_name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST", path, body=body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    def login(self, username: str = "alice", password: str = PASSWORD) -> None:
        response = self.post("/login", {"username": username, "password": password}, "/login")
        assert response.status == 302, response.body


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    env: dict[str, str]
    log: Path

    def browser(self) -> Browser:
        return Browser(self.port)


def wait_until_serving(process: subprocess.Popen, port: int, log: Path, deadline: float) -> None:
    """Poll until the server answers a request, failing early if it exits."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if Browser(port).get("/robots.txt").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer within the deadline:\n{log.read_text()}")


def wait_until_logged(process: subprocess.Popen, log: Path, line: str, deadline: float) -> None:
    """Poll the process's log until it says `line` (it is up), failing early if it exits."""
    while time.monotonic() < deadline:
        if line in log.read_text():
            return
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"{process.args} did not start within the deadline:\n{log.read_text()}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Ask the process to shut down; kill it only if it does not."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def seeded_database(folder: Path, conversations: int = 2) -> tuple[Path, dict[str, str]]:
    """A migrated database with the owner, imported drafts and the first post published."""
    database = folder / "colloquy.sqlite3"
    env = server_env(database)
    flask(env, "db", "upgrade")
    flask(env, "create-user", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    flask(env, "import", str(write_chatgpt_export(folder / "conversations.json", conversations)))
    flask(env, "publish", "conversation-0", "--yes", "--reviewed")
    return database, env


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen:
    """gunicorn with the production configuration in `env`, its output written to `log`."""
    with log.open("w") as sink:
        return subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def running_gunicorn(
    folder: Path, conversations: int = 2, settings: dict[str, str] | None = None
) -> Iterator[Server]:
    """gunicorn with the production configuration, two workers, on a free loopback port
    (`settings`: more environment, e.g. `FLASK_*` settings, for it and the workers after)."""
    _, env = seeded_database(folder, conversations)
    port = free_port()
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2", **(settings or {}))
    log = folder / "gunicorn.log"
    process = start_gunicorn(env, log)
    try:
        wait_until_serving(process, port, log, time.monotonic() + 30)
        yield Server(process, port, env, log)
    finally:
        stop(process)


@contextmanager
def running_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """The import queue's consumer, `flask --app app worker`, as production runs it."""
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "app", "worker"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_logged(process, log, "Import worker:", time.monotonic() + 60)
        yield process
    finally:
        # SIGINT is Huey's graceful stop: running tasks end before the consumer does.
        stop(process, signal.SIGINT)
