"""Import jobs: the stored upload, its progress and its end, for the page and the queue's tasks."""

from __future__ import annotations

import io
import json
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..formats.base import ImportFormatError
from ..formats.detect import read_conversations
from ..models import ImportJob, User, utcnow
from . import heartbeat
from .files import (
    CountingReader,
    ImportReport,
    KnownPosts,
    conversation_key,
    import_file,
    import_limits,
)

CHUNK = 1024 * 1024
PROGRESS_EVERY = 50  # conversations between progress writes
ACTIVE = ("reading", "saving", "rendering")
# A job may run for its time limit; past that plus this margin, nothing is still working on it.
GRACE_SECONDS = 60
# An upload read but never chosen from is deleted after this long: it may hold private
# conversations, and nothing else would ever remove it.
CHOICE_WAIT_SECONDS = 24 * 60 * 60


class UploadError(ValueError):
    """The upload cannot be accepted; the message says why."""


MISSING_UPLOAD = (
    "The import worker could not find the uploaded file. With several hosts, the web "
    "servers and the worker must share the uploads folder (IMPORT_UPLOADS_DIR)."
)


def stored_upload(job: ImportJob) -> Path:
    """The job's upload, or an UploadError when this process cannot see it."""
    path = Path(job.path)
    if not path.is_file():
        # A worker on another host than the web server that stored it, without shared storage.
        raise UploadError(MISSING_UPLOAD)
    return path


def uploads_folder() -> Path:
    """Where uploads wait for the worker: the same folder for every web host and the worker."""
    configured = current_app.config.get("IMPORT_UPLOADS_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def start_job(stream: BinaryIO, filename: str) -> ImportJob:
    """Store the upload on disk (bounded by the configured limit) and queue its reading."""
    limit = import_limits().max_bytes
    token = secrets.token_urlsafe(16)
    path = uploads_folder() / f"{token}.upload"
    size = 0
    # Only the server's own user may read an upload: it may hold private conversations.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadError(
                        f"The file is larger than the {limit // (1024 * 1024)} MB limit."
                    )
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)  # a refused or broken upload leaves nothing behind
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise UploadError("The file is empty.")
    job = ImportJob(
        token=token, filename=(filename or "upload")[:300], path=str(path), total_bytes=size
    )
    db.session.add(job)
    db.session.commit()
    enqueue(job, "read")
    return job


def start_text_job(text: str) -> ImportJob:
    """Treat pasted text like an uploaded file."""
    if not text.strip():
        raise UploadError("Paste a conversation first.")
    return start_job(io.BytesIO(text.encode("utf-8")), "pasted.txt")


def get_job(token: str) -> ImportJob | None:
    return db.session.scalar(select(ImportJob).where(ImportJob.token == token))


def enqueue(job: ImportJob, step: str) -> None:
    """Hand the job's next step to the import queue; a queue that refuses fails the job."""
    queue = current_app.extensions["import_queue"]
    try:
        getattr(queue, step)(job.id)
    except Exception as exc:
        current_app.logger.exception("Could not queue import job %s", job.id)
        fail(job.id, "The import queue could not be reached.")
        raise UploadError(
            f"The import queue could not be reached ({type(exc).__name__}); try again later."
        ) from exc


def start_step(job_id: int, expected: str) -> bool:
    """Claim a queued step: True (and a fresh heartbeat) if the job still waits for it."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != expected:
        return False
    job.updated_at = job.heartbeat_at = utcnow()
    db.session.commit()
    return True


def fail(job_id: int, message: str) -> None:
    """End the job as failed with its reason, and delete the upload."""
    db.session.rollback()
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status == "done":
        return
    if job.status == "rendering":
        # The drafts are saved: the job is done, and says what was left unrendered.
        job.status = "done"
        job.message = message
        job.updated_at = utcnow()
        db.session.commit()
        remove_upload(Path(job.path))
        return
    job.status = "failed"
    job.message = message
    job.listing_json = "[]"  # the conversations' titles go with the upload
    job.updated_at = utcnow()
    db.session.commit()
    remove_upload(Path(job.path))


def remove_upload(upload: Path) -> None:
    upload.unlink(missing_ok=True)
    progress_file(upload).unlink(missing_ok=True)
    heartbeat.beat_file(upload).unlink(missing_ok=True)


def stale_before() -> object:
    limit = current_app.config["IMPORT_TIME_LIMIT_SECONDS"]
    return utcnow() - timedelta(seconds=limit + GRACE_SECONDS)


def stale_message() -> str:
    limit = current_app.config["IMPORT_TIME_LIMIT_SECONDS"]
    return (
        f"No import worker finished this job within its time limit ({limit} seconds): "
        "the worker may be stopped or stuck. Start it with `make run` (or "
        "`flask --app app worker`; in production the colloquy-worker service) and upload again."
    )


# Said on the job's page when the worker running its step stopped beating.
STOPPED_MESSAGES = {
    "reading": "The import worker stopped while reading this file. Upload it again.",
    "saving": "The import worker stopped while saving the chosen conversations. "
    "Upload the file again.",
    "rendering": "The import worker stopped while rendering the saved drafts. They are saved; "
    "their turns not yet rendered show as plain text until `flask --app app rerender` runs "
    "or the post is published.",
}


def unchosen_before() -> object:
    return utcnow() - timedelta(seconds=CHOICE_WAIT_SECONDS)


UNCHOSEN_MESSAGE = (
    "No conversations were chosen from this upload within a day, so it was deleted "
    "(it may hold private conversations). Upload the file again to import from it."
)


def fail_stopped() -> int:
    """Fail every job whose step started and whose worker stopped beating; how many."""
    running = db.session.scalars(
        select(ImportJob).where(ImportJob.status.in_(ACTIVE), ImportJob.heartbeat_at.is_not(None))
    )
    stopped = [(job.id, job.status) for job in running if heartbeat.has_stopped(job)]
    for job_id, status in stopped:
        fail(job_id, STOPPED_MESSAGES[status])
    return len(stopped)


def sweep_stale() -> int:
    """Fail every job whose worker stopped, every job that waited in the queue for longer
    than its limit, and every upload left unchosen past a day; how many."""
    stopped = fail_stopped()
    stale = list(
        db.session.scalars(
            select(ImportJob.id).where(
                ImportJob.status.in_(ACTIVE),
                ImportJob.heartbeat_at.is_(None),
                ImportJob.updated_at < stale_before(),
            )
        )
    )
    for job_id in stale:
        fail(job_id, stale_message())
    unchosen = list(
        db.session.scalars(
            select(ImportJob.id).where(
                ImportJob.status == "listed", ImportJob.updated_at < unchosen_before()
            )
        )
    )
    for job_id in unchosen:
        fail(job_id, UNCHOSEN_MESSAGE)
    return stopped + len(stale) + len(unchosen)


def fail_if_stale(job: ImportJob) -> None:
    """The page's own check, so a job never shows as running after its worker is gone, nor
    offers a choice from an upload the sweep is about to delete."""
    if job.status in ACTIVE and heartbeat.has_stopped(job):
        fail(job.id, STOPPED_MESSAGES[job.status])
    elif job.status in ACTIVE and job.heartbeat_at is None and job.updated_at < stale_before():
        fail(job.id, stale_message())
    elif job.status == "listed" and job.updated_at < unchosen_before():
        fail(job.id, UNCHOSEN_MESSAGE)
        db.session.refresh(job)


def list_conversations(job_id: int) -> None:
    """Read the upload once and list its conversations for the author to choose from."""
    job = db.session.get(ImportJob, job_id)
    listing = []
    known = KnownPosts()
    position = {"bytes": 0}
    with stored_upload(job).open("rb") as raw:
        reader = CountingReader(raw, lambda n: position.__setitem__("bytes", position["bytes"] + n))
        for index, conversation in enumerate(
            read_conversations(io.BufferedReader(reader), job.filename, limits=import_limits())
        ):
            existing = known.match(conversation, conversation.content_hash())
            listing.append(
                {
                    "key": conversation_key(conversation, index),
                    "title": conversation.title,
                    "date": conversation.created_at.date().isoformat()
                    if conversation.created_at
                    else "",
                    "turns": sum(1 for t in conversation.turns if not t.hidden),
                    "source": conversation.source_kind,
                    "existing": existing[1] if existing else None,
                }
            )
            if len(listing) % PROGRESS_EVERY == 0:
                report_progress(job, position["bytes"], len(listing))
    if not listing:
        raise ImportFormatError("No conversations were found in this file.")
    job.listing_json = json.dumps(listing, ensure_ascii=False)
    job.conversations = len(listing)
    job.done_bytes = job.total_bytes
    job.status = "listed"
    job.updated_at = utcnow()
    db.session.commit()


def report_progress(job: ImportJob, done_bytes: int, conversations: int) -> None:
    # Progress is written on its own short transaction so other workers can show it.
    job.done_bytes = min(done_bytes, job.total_bytes)
    job.conversations = conversations
    job.updated_at = utcnow()
    db.session.commit()


def start_saving(job: ImportJob, chosen: list[str], on_duplicate: str, author: User) -> None:
    """Queue the saving of the chosen conversations as drafts (all or nothing)."""
    if job.status != "listed":
        raise UploadError("This import is not waiting for a choice any more.")
    if not chosen:
        raise UploadError("Choose at least one conversation to import.")
    job.status = "saving"
    job.heartbeat_at = None  # waiting in the queue again: no step runs yet
    job.saved = 0
    job.report_json = json.dumps(
        {"chosen": chosen, "on_duplicate": on_duplicate, "author": author.id}
    )
    job.updated_at = utcnow()
    db.session.commit()
    enqueue(job, "save")


def progress_reporter(job: ImportJob) -> Callable[[object], None]:
    """A callback counting saved conversations, telling the job's page every PROGRESS_EVERY."""
    counter = {"saved": 0}
    token = job.token
    job_path = Path(job.path)
    shared_database = db.engine.dialect.name != "sqlite"

    def progress(_conversation) -> None:
        counter["saved"] += 1
        if counter["saved"] % PROGRESS_EVERY:
            return
        # The import's own transaction stays open until the end (all or nothing), so
        # progress goes elsewhere: a file beside the upload (SQLite: one host), or a
        # separate connection (PostgreSQL: any host may be asked).
        progress_file(job_path).write_text(str(counter["saved"]))
        if shared_database:
            with db.engine.begin() as connection:
                connection.execute(
                    ImportJob.__table__.update()
                    .where(ImportJob.__table__.c.token == token)
                    .values(saved=counter["saved"], updated_at=utcnow())
                )

    return progress


def report_document(report: ImportReport) -> dict:
    """The finished import's report as the job page reads it back."""
    return {
        "created": [[p.id, p.slug, p.title] for p in report.created],
        "updated": [[p.id, p.slug, p.title] for p in report.updated],
        "skipped": report.skipped,
        "turns": report.turns,
        "warnings": report.warnings,
        "notes": report.notes,
        "hidden": report.hidden,
        "batch": report.batch_id,
    }


def save_chosen(job_id: int) -> None:
    """Save the job's chosen conversations through the importer, then render their turns,
    reporting progress: the drafts are listed as soon as they are saved."""
    job = db.session.get(ImportJob, job_id)
    plan = json.loads(job.report_json)
    report = import_file(
        stored_upload(job),
        job.filename,
        db.session.get(User, plan["author"]),
        on_duplicate=plan["on_duplicate"],
        chosen=set(plan["chosen"]),
        progress=progress_reporter(job),
        saved=lambda report, to_render: drafts_saved(job_id, report, to_render),
        rendering=lambda done, _total: report_rendering(job_id, done),
    )
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    job.status = "done"
    job.rendered = job.render_total
    job.report_json = json.dumps(report_document(report), ensure_ascii=False)  # with its notes
    job.updated_at = utcnow()
    db.session.commit()
    remove_upload(Path(job.path))


def drafts_saved(job_id: int, report: ImportReport, to_render: int) -> None:
    """The drafts are committed: the job's page lists them while their turns are rendered."""
    job = db.session.get(ImportJob, job_id)
    job.status = "rendering"
    job.saved = len(report.created) + len(report.updated)
    job.report_json = json.dumps(report_document(report), ensure_ascii=False)
    job.render_total, job.rendered = to_render, 0
    job.updated_at = utcnow()
    db.session.commit()


def report_rendering(job_id: int, done: int) -> None:
    """How many of the saved drafts' turns are rendered, on the job's row (each group of
    turns commits on its own, so nothing holds the database meanwhile)."""
    with db.engine.begin() as connection:
        connection.execute(
            ImportJob.__table__.update()
            .where(ImportJob.__table__.c.id == job_id)
            .values(rendered=done, updated_at=utcnow())
        )


def progress_file(upload: Path) -> Path:
    return upload.with_suffix(".progress")


def saved_so_far(job: ImportJob) -> int:
    """How many chosen conversations the running save has reached."""
    try:
        return max(job.saved, int(progress_file(Path(job.path)).read_text() or 0))
    except (OSError, ValueError):
        return job.saved
