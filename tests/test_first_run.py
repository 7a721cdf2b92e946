"""A newcomer's first minutes: `make install` is quiet, `make run` shows the setup token at once."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import (
    ROOT,
    Browser,
    flask,
    free_port,
    server_env,
    start_gunicorn,
    stop,
    wait_until_serving,
)

pytestmark = pytest.mark.slow

TOKEN_LINE = re.compile(r"setup token: (\S+)")
NEW_TOKEN_HINT = re.compile(r"Print a new one with: (.+?)(?:   \(from .*\))?$")
# What a fresh login shell has: no virtualenv activated, nothing of ours on the PATH.
CLEAN_PATH = "/usr/local/bin:/usr/bin:/bin"


def fresh_shell_env(folder: Path) -> dict[str, str]:
    """A clean environment, plus only where this test keeps its database and queue."""
    return {
        "PATH": CLEAN_PATH,
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'colloquy.sqlite3'}",
        "FLASK_HUEY_SQLITE_PATH": str(folder / "import-queue.sqlite3"),
    }


@contextmanager
def make_run(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen, queue.Queue]]:
    """`make run` in its own process group, its output line by line on a queue."""
    process = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=30)
        process.stdout.close()


def read_until(lines: queue.Queue, pattern: re.Pattern, seconds: float) -> tuple[str, list[str]]:
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if pattern.search(line):
            return line, seen
    pytest.fail("not found in the output:\n" + "".join(seen))


def serving(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            Browser(port).get("/robots.txt")
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the server did not answer")


def test_make_run_prints_the_setup_token_before_any_request_and_the_hint_works(tmp_path):
    port = free_port()
    env = {**fresh_shell_env(tmp_path), "FLASK_RUN_PORT": str(port)}
    with make_run(env) as (process, lines):
        token_line, before = read_until(lines, TOKEN_LINE, 120)
        assert not any("GET /" in line for line in before), "a request came first"
        assert f"http://127.0.0.1:{port}/setup" in "".join(before) + lines.get(timeout=30)
        hint_line, _ = read_until(lines, NEW_TOKEN_HINT, 10)
        command = NEW_TOKEN_HINT.search(hint_line.strip()).group(1)

        # The printed command, typed in a fresh shell at the project root.
        printed = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=ROOT,
            env=fresh_shell_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert printed.returncode == 0, printed.stderr
        new_token = printed.stdout.strip().splitlines()[-1]
        assert new_token != TOKEN_LINE.search(token_line).group(1)

        serving(port)
        owner = Browser(port, host=f"127.0.0.1:{port}")
        created = owner.post(
            "/setup",
            {"token": new_token, "username": "alice", "password": "a long enough password"},
            "/setup",
        )
        assert created.status == 302, created.body
        assert owner.get("/studio/").status == 200

        # Ctrl+C in the terminal: every process of the group stops, the worker included.
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while group_alive(process.pid):
            assert time.monotonic() < deadline, "a process of `make run` outlived Ctrl+C"
            time.sleep(0.1)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_install_prints_no_warning_of_our_own(tmp_path):
    venv = Path(sys.executable).parent.parent
    result = subprocess.run(
        ["make", "-B", "install", f"VENV={venv}", f"PYTHON={sys._base_executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    output = (result.stdout + result.stderr).splitlines()
    # This machine's pip configuration names index folders that do not exist: not ours.
    ours = [line for line in output if "warning" in line.lower() and "Location '" not in line]
    assert ours == []
    assert "Editable" not in result.stderr

    # The project is not installed, yet `blog` imports from any folder, as the servers need.
    found = subprocess.run(
        [sys.executable, "-c", "import blog; print(blog.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.stdout.strip() == str(ROOT / "blog" / "__init__.py"), found.stderr


def test_gunicorn_prints_the_setup_token_when_ready_before_any_request(tmp_path):
    env = server_env(tmp_path / "colloquy.sqlite3")
    flask(env, "db", "upgrade")
    port = free_port()
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1")
    log = tmp_path / "gunicorn.log"
    process = start_gunicorn(env, log)
    try:
        deadline = time.monotonic() + 60
        while not (found := TOKEN_LINE.search(log.read_text())):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert "GET /" not in log.read_text()
        assert f"Print a new one with: cd {ROOT} && " in log.read_text()
        wait_until_serving(process, port, log, time.monotonic() + 30)
        owner = Browser(port)
        created = owner.post(
            "/setup",
            {"token": found.group(1), "username": "alice", "password": "a long enough password"},
            "/setup",
        )
        assert created.status == 302, created.body
    finally:
        stop(process)


def test_the_serve_script_stops_gunicorn_and_the_worker_on_sigterm(tmp_path):
    env = server_env(tmp_path / "colloquy.sqlite3")
    flask(env, "db", "upgrade")
    port = free_port()
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1")
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        # As the container runs it: this script is the process that receives `docker stop`.
        process = subprocess.Popen(
            [sys.executable, "scripts/run.py", "serve"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(process, port, log, time.monotonic() + 60)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) == 2, children  # gunicorn and the import worker
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
        deadline = time.monotonic() + 30
        while group_alive(process.pid):
            assert time.monotonic() < deadline, "a child outlived the stop"
            time.sleep(0.1)
    finally:
        if group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
