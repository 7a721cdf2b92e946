"""Imports end to end on real processes: gunicorn serves the page, the import worker does the work."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.servers import (
    Browser,
    Server,
    running_gunicorn,
    running_worker,
    write_chatgpt_export,
)

pytestmark = pytest.mark.slow

# Large enough that reading it keeps the worker busy for seconds on any machine.
LARGE_EXPORT_CONVERSATIONS = 8_000


@pytest.fixture(scope="module")
def large_export(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("export") / "conversations.json"
    return write_chatgpt_export(path, LARGE_EXPORT_CONVERSATIONS).read_bytes()


def database(server: Server) -> Path:
    return Path(server.env["FLASK_SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def job_row(server: Server, token: str) -> dict:
    with sqlite3.connect(database(server), timeout=30) as connection:
        connection.row_factory = sqlite3.Row
        row = connection.execute("SELECT * FROM import_jobs WHERE token = ?", (token,)).fetchone()
    return dict(row)


def wait_for_status(server: Server, token: str, *wanted: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = job_row(server, token)
        if row["status"] in wanted:
            return row
        if row["status"] == "failed":
            pytest.fail(f"the job failed: {row['message']}")
        time.sleep(0.1)
    pytest.fail(f"the job is still {job_row(server, token)['status']}, not {wanted}")


def upload(browser: Browser, name: str, data: bytes) -> str:
    response = browser.upload("/studio/import/", "file", name, data)
    assert response.status == 303, response.body
    return re.search(r"/studio/import/([\w-]+)", response.headers["location"]).group(1)


def kill_web_workers(server: Server) -> None:
    """SIGKILL every gunicorn worker (the master starts new ones), as a crash would."""
    master = server.process.pid
    workers = [
        int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ]
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)


def drafts(server: Server) -> list[str]:
    with sqlite3.connect(database(server), timeout=30) as connection:
        return [
            title
            for (title,) in connection.execute(
                "SELECT title FROM posts WHERE status = 'draft' ORDER BY id"
            )
        ]


def test_upload_read_choose_save_while_others_browse_and_web_workers_die(tmp_path, large_export):
    with (
        running_gunicorn(tmp_path) as server,
        running_worker(server.env, tmp_path / "worker.log"),
    ):
        author = server.browser()
        author.login()
        drafts_before = drafts(server)
        token = upload(author, "conversations.json", large_export)
        wait_for_status(server, token, "reading")

        # While the worker reads, other clients are answered: their pages come back before
        # the import is read, not queued behind it (an order, not a timing, so a busy
        # machine cannot make it fail).
        reader, other = Browser(server.port), Browser(server.port)
        assert reader.get("/").status == 200
        assert reader.get("/login").status == 200
        other.login()
        assert job_row(server, token)["status"] == "reading", "the pages waited for the import"

        kill_web_workers(server)
        assert job_row(server, token)["status"] == "reading", "the worker finished too soon"
        row = wait_for_status(server, token, "listed")
        assert row["conversations"] == LARGE_EXPORT_CONVERSATIONS
        page = author.get(f"/studio/import/{token}").body
        keys = re.findall(r'name="chosen" value="([^"]+)"', page)[:3]
        assert len(keys) == 3

        response = author.post(
            f"/studio/import/{token}",
            {"chosen": keys, "on_duplicate": "skip"},
            f"/studio/import/{token}",
        )
        assert response.status == 303
        kill_web_workers(server)
        wait_for_status(server, token, "done")
        new = drafts(server)[len(drafts_before) :]
        # The seeded database holds conversations 0 and 1 already; the rest are new drafts.
        assert len(new) == 1 and new[0].startswith("Conversation ")
        assert "Imported" in author.get(f"/studio/import/{token}").body
        assert not list((Path(row["path"]).parent).glob(f"{token}.*"))


def test_a_job_over_its_time_limit_is_reported_failed_with_the_reason(tmp_path, large_export):
    with running_gunicorn(tmp_path) as server:
        env = {**server.env, "FLASK_IMPORT_TIME_LIMIT_SECONDS": "0.5"}
        with running_worker(env, tmp_path / "worker.log"):
            author = server.browser()
            author.login()
            token = upload(author, "conversations.json", large_export)
            deadline = time.monotonic() + 60
            while job_row(server, token)["status"] != "failed":
                assert time.monotonic() < deadline, "the job was not stopped"
                time.sleep(0.1)
        row = job_row(server, token)
        assert "time limit (0.5 seconds)" in row["message"]
        page = author.get(f"/studio/import/{token}").body
        assert "time limit" in page and "Nothing from this file was saved" in page
        assert not Path(row["path"]).exists()


def consumer_and_its_workers(process) -> list[int]:
    """The worker command's process, then the processes it forked to run the tasks."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    return [process.pid, *map(int, children)]


def test_a_killed_worker_is_reported_on_the_page_once_its_heartbeat_stops(tmp_path, large_export):
    timeout = 3
    settings = {
        "FLASK_IMPORT_HEARTBEAT_SECONDS": "0.2",
        "FLASK_IMPORT_HEARTBEAT_TIMEOUT_SECONDS": str(timeout),
    }
    with (
        running_gunicorn(tmp_path, settings=settings) as server,
        running_worker(server.env, tmp_path / "worker.log") as worker,
    ):
        author = server.browser()
        author.login()
        token = upload(author, "conversations.json", large_export)
        deadline = time.monotonic() + 60
        while not (row := job_row(server, token))["heartbeat_at"]:
            assert time.monotonic() < deadline, "the worker never took the job"
            time.sleep(0.05)
        beat = Path(row["path"]).with_suffix(".alive")
        while not beat.exists():
            assert time.monotonic() < deadline, "the worker never beat"
            time.sleep(0.05)

        # As the kernel's OOM killer would: no handler runs, nothing is cleaned up.
        for pid in consumer_and_its_workers(worker):
            os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        assert job_row(server, token)["status"] == "reading", "the worker finished too soon"

        deadline = killed + timeout + 30
        while "The import worker stopped" not in (
            page := author.get(f"/studio/import/{token}").body
        ):
            assert "Reading" in page
            assert time.monotonic() < deadline, "the page never noticed the worker was gone"
            time.sleep(0.2)
        noticed = time.monotonic() - killed
    assert "The import worker stopped while reading this file. Upload it again." in page
    assert "Nothing from this file was saved" in page
    assert 'hx-trigger="every 1s"' not in page  # the page stops polling
    assert noticed >= timeout - 1  # not before the beat was overdue
    row = job_row(server, token)
    assert row["status"] == "failed" and not Path(row["path"]).exists() and not beat.exists()
