"""The import queue's tasks and the job's end states, run in-process from a real SQLite queue."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import time
from datetime import timedelta
from pathlib import Path

from blog.extensions import db
from blog.imports import heartbeat, jobs
from blog.models import ImportJob, Post, utcnow
from tests.conftest import FIXTURES, run_queued

MARKDOWN = (FIXTURES / "md_seed_layout.md").read_bytes()


def upload(author, data: bytes = MARKDOWN, name: str = "post.md"):
    return author.post(
        "/studio/import/", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def token_of(response) -> str:
    return re.search(r"/studio/import/([\w-]+)", response.headers["Location"]).group(1)


def job(app, token: str) -> ImportJob:
    with app.app_context():
        return db.session.scalar(db.select(ImportJob).where(ImportJob.token == token))


def age(app, token: str, seconds: int) -> None:
    with app.app_context():
        found = db.session.scalar(db.select(ImportJob).where(ImportJob.token == token))
        found.updated_at = utcnow() - timedelta(seconds=seconds)
        db.session.commit()


def test_the_request_only_stores_the_upload_privately_and_queues_it(app, author):
    token = token_of(upload(author))
    stored = job(app, token)
    assert stored.status == "reading"
    assert stat.S_IMODE(Path(stored.path).stat().st_mode) == 0o600
    assert app.extensions["import_queue"].huey.pending_count() == 1
    assert run_queued(app) == 1
    assert job(app, token).status == "listed"


def test_a_job_without_sign_of_life_past_its_limit_is_swept_as_failed(app, author):
    stale, fresh = token_of(upload(author)), token_of(upload(author))
    limit = app.config["IMPORT_TIME_LIMIT_SECONDS"]
    age(app, stale, limit + jobs.GRACE_SECONDS + 1)
    with app.app_context():
        assert app.extensions["import_queue"].sweep.call_local() is None
    swept = job(app, stale)
    assert swept.status == "failed" and "time limit" in swept.message
    assert "flask --app app worker" in swept.message
    assert not Path(swept.path).exists()
    assert job(app, fresh).status == "reading"

    # The queued task of the swept job finds it failed and leaves it so.
    run_queued(app)
    assert job(app, stale).status == "failed" and job(app, fresh).status == "listed"


def test_an_upload_left_unchosen_for_a_day_is_deleted_with_its_listing(app, author):
    old, recent = token_of(upload(author)), token_of(upload(author))
    run_queued(app)
    assert job(app, old).status == job(app, recent).status == "listed"
    age(app, old, jobs.CHOICE_WAIT_SECONDS + 1)
    with app.app_context():
        app.extensions["import_queue"].sweep.call_local()
    swept = job(app, old)
    assert swept.status == "failed" and "Upload the file again" in swept.message
    assert not Path(swept.path).exists() and swept.listing_json == "[]"
    assert job(app, recent).status == "listed" and Path(job(app, recent).path).exists()

    # The page says so too, before the sweep comes round.
    age(app, recent, jobs.CHOICE_WAIT_SECONDS + 1)
    page = author.get(f"/studio/import/{recent}").get_data(as_text=True)
    assert "Not imported" in page and "within a day" in page
    assert not Path(job(app, recent).path).exists()


def test_the_page_reports_a_stale_job_as_failed_with_its_reason(app, author):
    token = token_of(upload(author))
    age(app, token, app.config["IMPORT_TIME_LIMIT_SECONDS"] + jobs.GRACE_SECONDS + 1)
    page = author.get(f"/studio/import/{token}").get_data(as_text=True)
    assert "Not imported" in page and "time limit" in page
    assert "Nothing from this file was saved" in page
    assert 'hx-trigger="every 1s"' not in page


def test_a_failed_read_deletes_the_upload(app, author):
    token = token_of(upload(author, b'[{"mapping": {"a": ', "broken.json"))
    run_queued(app)
    failed = job(app, token)
    assert failed.status == "failed" and failed.message
    assert not Path(failed.path).exists()


def test_the_command_line_import_runs_in_process_not_through_the_queue(app, runner, tmp_path):
    source = tmp_path / "post.md"
    source.write_bytes(MARKDOWN)
    result = runner.invoke(args=["import", str(source)])
    assert result.exit_code == 0, result.output
    assert app.extensions["import_queue"].huey.pending_count() == 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 1


def beat_age(app, token: str, seconds: float) -> None:
    """Make the job's last beat `seconds` old, as a worker killed that long ago leaves it."""
    with app.app_context():
        found = db.session.scalar(db.select(ImportJob).where(ImportJob.token == token))
        found.heartbeat_at = utcnow() - timedelta(seconds=seconds)
        db.session.commit()
        beat = heartbeat.beat_file(Path(found.path))
        if beat.exists():
            moment = found.heartbeat_at.timestamp()
            os.utime(beat, (moment, moment))


def test_a_step_whose_worker_stopped_beating_fails_and_a_queued_one_waits(app, author):
    timeout = app.config["IMPORT_HEARTBEAT_TIMEOUT_SECONDS"]
    running, queued = token_of(upload(author)), token_of(upload(author))
    with app.app_context():
        assert jobs.start_step(job(app, running).id, "reading")  # as the worker claims it
    assert job(app, running).heartbeat_at is not None
    beat_age(app, running, timeout - 5)
    age(app, queued, timeout * 2)  # waiting long, but no worker has taken it yet
    assert "Reading" in author.get(f"/studio/import/{running}").get_data(as_text=True)

    beat_age(app, running, timeout + 1)
    page = author.get(f"/studio/import/{running}").get_data(as_text=True)
    assert "The import worker stopped while reading this file. Upload it again." in page
    assert 'hx-trigger="every 1s"' not in page
    stopped = job(app, running)
    assert stopped.status == "failed" and not Path(stopped.path).exists()
    assert "Reading" in author.get(f"/studio/import/{queued}").get_data(as_text=True)
    assert job(app, queued).status == "reading"


def test_the_sweep_fails_a_stopped_save_and_choosing_waits_for_a_new_beat(app, author):
    token = token_of(upload(author))
    run_queued(app)
    listed = job(app, token)
    assert listed.status == "listed"
    keys = [item["key"] for item in json.loads(listed.listing_json)]
    author.post(f"/studio/import/{token}", {"chosen": keys, "on_duplicate": "skip"})
    # Chosen and queued again: the reading step's beat says nothing about the save.
    assert job(app, token).status == "saving" and job(app, token).heartbeat_at is None
    with app.app_context():
        assert jobs.start_step(job(app, token).id, "saving")
    beat_age(app, token, app.config["IMPORT_HEARTBEAT_TIMEOUT_SECONDS"] + 1)
    with app.app_context():
        app.extensions["import_queue"].sweep.call_local()
    swept = job(app, token)
    assert swept.status == "failed"
    assert swept.message == jobs.STOPPED_MESSAGES["saving"]


def test_a_running_step_beats_from_its_own_thread(app, author):
    app.config["IMPORT_HEARTBEAT_SECONDS"] = 0.05
    token = token_of(upload(author))
    with app.app_context():
        found = db.session.scalar(db.select(ImportJob).where(ImportJob.token == token))
        assert jobs.start_step(found.id, "reading")
        beat = heartbeat.beat_file(Path(found.path))
        on_sqlite = db.engine.dialect.name == "sqlite"

        def beaten_at() -> float:
            """The last beat: the file's time on SQLite, the row's elsewhere."""
            if on_sqlite:
                return beat.stat().st_mtime
            with db.engine.connect() as connection:
                stamp = connection.execute(
                    db.select(ImportJob.heartbeat_at).where(ImportJob.id == found.id)
                ).scalar_one()
            return stamp.timestamp() if stamp else 0.0

        def forget_beat() -> None:
            if on_sqlite:
                os.utime(beat, (0, 0))
                return
            with db.engine.begin() as connection:
                connection.execute(
                    db.update(ImportJob).where(ImportJob.id == found.id).values(heartbeat_at=None)
                )

        with heartbeat.Heartbeat(app, found):
            assert beaten_at() > 0  # at once, before the step does anything
            forget_beat()
            deadline = time.monotonic() + 10
            while beaten_at() == 0:  # the step's thread is elsewhere; the beat goes on
                assert time.monotonic() < deadline, "no beat within 10 s"
                time.sleep(0.01)
        db.session.refresh(found)
        assert not heartbeat.has_stopped(found)
