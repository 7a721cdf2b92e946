"""The import worker's heartbeat: a running step says every few seconds that it is alive, so
a worker that was killed (out of memory, SIGKILL, a host that went down) is noticed within a
minute instead of at the end of the step's time limit.

Decisions worth knowing:
- The beat comes from a thread beside the step, so a step busy in one long call (parsing a
  large file, one big write) still beats.
- On SQLite the beat is the modification time of a file beside the upload, not the job's
  row: the import holds the database's one write lock while it saves (all or nothing), and a
  beat waiting for that lock would be no beat. SQLite means one host, so the page sees the
  file. On PostgreSQL the beat is the row's `heartbeat_at`, written on its own connection.
- `heartbeat_at` is set when the worker claims a step and emptied while a step waits in the
  queue: only a step that started can have stopped beating.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import update

from ..extensions import db
from ..models import ImportJob, utcnow

log = logging.getLogger(__name__)


def beat_file(upload: Path) -> Path:
    """The file whose modification time is the beat of the job of this upload (SQLite)."""
    return upload.with_suffix(".alive")


def last_beat(job: ImportJob) -> datetime | None:
    """When the job's running step last showed it was alive; None while no step runs."""
    if job.heartbeat_at is None:
        return None
    beats = [job.heartbeat_at]
    try:
        modified = beat_file(Path(job.path)).stat().st_mtime
    except OSError:
        pass
    else:
        beats.append(datetime.fromtimestamp(modified, UTC))
    return max(beats)


def has_stopped(job: ImportJob) -> bool:
    """True when the job's step started and its worker has not beaten for the timeout."""
    beat = last_beat(job)
    if beat is None:
        return False
    timeout = current_app.config["IMPORT_HEARTBEAT_TIMEOUT_SECONDS"]
    return beat < utcnow() - timedelta(seconds=timeout)


class Heartbeat:
    """Beats for one job while its step runs: `with Heartbeat(app, job): work()`."""

    def __init__(self, app: Flask, job: ImportJob) -> None:
        self.interval = float(app.config["IMPORT_HEARTBEAT_SECONDS"])
        self.job_id = job.id
        self.file = beat_file(Path(job.path)) if db.engine.dialect.name == "sqlite" else None
        self.engine = db.engine
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=self.run, name=f"import-heartbeat-{job.id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self.beat()
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        # The file stays until the job's upload goes: the step's end is told by its status.
        self.stopped.set()
        self.thread.join()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - one missed beat is not the step's failure
                log.warning("Import job %s: a heartbeat was missed", self.job_id, exc_info=True)

    def beat(self) -> None:
        if self.file is not None:
            self.file.touch()
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(ImportJob.__table__)
                .where(ImportJob.__table__.c.id == self.job_id)
                .values(heartbeat_at=utcnow())
            )
