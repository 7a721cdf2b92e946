"""A throwaway Redis server on loopback for tests: no snapshot, no append-only file."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.servers import free_port, stop

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def available() -> bool:
    return Path(REDIS_SERVER).exists()


def redis_missing() -> None:
    """Skip without redis-server; but fail where the environment insists (CI)."""
    if os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI"):
        pytest.fail("redis-server is not installed, and CI demands the several-host tests run")
    pytest.skip("redis-server is not installed (apt-get install redis-server)")


def answers_ping(port: int) -> bool:
    """Whether a Redis server answers PING on this port (the protocol's inline form)."""
    with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(64).startswith(b"+PONG")
    return False


@contextmanager
def running(folder: Path) -> Iterator[str]:
    """redis-server in the foreground on a free port; yields its URL, stops it after."""
    if not available():
        redis_missing()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "redis.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(folder), "--daemonize", "no"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not answers_ping(port):
            if process.poll() is not None:
                pytest.fail(f"redis-server exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server did not answer within 30 s:\n{log.read_text()}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(process)
