"""The import queue: Huey tasks that read and save uploads in a worker process, not a web worker.

The web request only stores the upload and enqueues; `flask --app app worker` runs Huey's
consumer, which does the work and writes progress to the `ImportJob` row the page polls.
A job killed by its time limit, or one whose worker died, ends as failed with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from huey.exceptions import TaskTimeout

from .. import mirror, posts
from ..config import private_file
from ..extensions import db
from ..formats.base import ImportFormatError
from ..models import ImportJob
from . import jobs
from .heartbeat import Heartbeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportQueue:
    """The app's Huey instance and the tasks registered on it."""

    huey: Huey
    read: Callable[[int], object]
    save: Callable[[int], object]
    sweep: Callable[[], object]
    # Publishes scheduled posts whose time has come (`.call_local()` runs it here, as a test does).
    publish_due: Callable[[], object] | None = None
    # Rebuilds the static mirror after a change every page shows (settings, the renderer).
    rebuild_mirror: Callable[[], object] | None = None
    # Writes the mirror's listing pages a request set aside (past the first, the archive).
    refresh_mirror_pages: Callable[[], object] | None = None


def init_app(app: Flask) -> None:
    """Build the queue from the configuration and register the `worker` command."""
    huey = make_huey(app)

    def job_task(name: str, work: Callable[[int], None], expected: str):
        def run(job_id: int) -> None:
            run_job(app, work, job_id, expected)

        return huey.task(name=name)(run)

    @huey.periodic_task(crontab(minute="*"), name="sweep_stale_imports")
    def sweep() -> None:
        with app.app_context():
            try:
                jobs.sweep_stale()
            finally:
                db.session.remove()

    @huey.periodic_task(crontab(minute="*"), name="publish_due_posts")
    def publish_due() -> None:
        # Every minute (the finest a datetime-local field chooses): scheduled drafts whose
        # time has come go through Publish and its gates, in this worker, not a cron job.
        with app.app_context():
            try:
                report = posts.publish_due()
                for post_id in report.published:
                    log.info("Scheduled post %s published", post_id)
                for post_id, reason in report.blocked.items():
                    log.warning("Scheduled post %s held back: %s", post_id, reason)
            finally:
                db.session.remove()

    @huey.on_startup()
    def fresh_connections() -> None:
        # Worker processes are forked: never reuse a connection opened before the fork.
        with app.app_context():
            db.engine.dispose(close=False)
            try:
                # A job left by a worker that was killed says so now, not at the next sweep.
                jobs.fail_stopped()
            finally:
                db.session.remove()

    def on_the_mirror(work: Callable[[Flask, Path], None]) -> None:
        with app.app_context():
            try:
                root = app.config.get("STATIC_MIRROR_DIR")
                if root:
                    work(app, Path(root))
            finally:
                db.session.remove()

    @huey.task(name="rebuild_mirror")
    def rebuild_mirror() -> None:
        # Here, not in the request that saved the settings: a whole site takes minutes.
        on_the_mirror(mirror.rebuild_queued)

    @huey.task(name="refresh_mirror_pages")
    def refresh_mirror_pages() -> None:
        # A post that came or went shifts every listing page after the first: not the
        # request's to wait for on a large site.
        on_the_mirror(mirror.refresh_pending)

    read = job_task("read_upload", jobs.list_conversations, "reading")
    save = job_task("save_chosen", jobs.save_chosen, "saving")

    @huey.pre_execute()
    def time_limit(task) -> None:
        # The worker's own setting bounds each step, whatever the enqueuing process had.
        if isinstance(task, (read.task_class, save.task_class)):
            task.timeout = app.config["IMPORT_TIME_LIMIT_SECONDS"]

    app.extensions["import_queue"] = ImportQueue(
        huey=huey,
        read=read,
        save=save,
        sweep=sweep,
        publish_due=publish_due,
        rebuild_mirror=rebuild_mirror,
        refresh_mirror_pages=refresh_mirror_pages,
    )
    app.cli.add_command(worker_command)


def make_huey(app: Flask) -> Huey:
    """Redis when a URL is configured (several hosts), else a SQLite file (one host)."""
    name = "colloquy-imports"
    redis_url = app.config.get("HUEY_REDIS_URL")
    if redis_url:
        return RedisHuey(name, url=redis_url, results=False)
    path = app.config.get("HUEY_SQLITE_PATH") or str(
        Path(app.instance_path) / "import-queue.sqlite3"
    )
    private_file(Path(path))  # the queue names uploads and their authors
    return SqliteHuey(name, filename=path, results=False)


def queue() -> ImportQueue:
    return current_app.extensions["import_queue"]


def run_job(app: Flask, work: Callable[[int], None], job_id: int, expected: str) -> None:
    """Run one step of a job; whatever happens, the job ends in a state the page can show."""
    with app.app_context():
        try:
            if not jobs.start_step(job_id, expected):
                log.info("Import job %s is no longer %s; skipped", job_id, expected)
                return
            log.info("Import job %s: %s started", job_id, expected)
            with Heartbeat(app, db.session.get(ImportJob, job_id)):
                work(job_id)
            log.info("Import job %s: %s finished", job_id, expected)
        except TaskTimeout:
            limit = app.config["IMPORT_TIME_LIMIT_SECONDS"]
            log.warning("Import job %s: stopped after %s seconds", job_id, limit)
            jobs.fail(
                job_id,
                f"The import took longer than its time limit ({limit} seconds) and was stopped.",
            )
        except KeyboardInterrupt:
            # The worker is stopping at once (SIGTERM): say so now rather than at the sweep.
            jobs.fail(job_id, "The import worker was stopped during this import.")
            raise
        except (ImportFormatError, jobs.UploadError) as exc:
            jobs.fail(job_id, str(exc))
        except Exception as exc:  # noqa: BLE001 - the job must end in a state the page can show
            log.exception("Import job %s failed", job_id)
            jobs.fail(job_id, f"The import stopped unexpectedly ({type(exc).__name__}).")
        finally:
            db.session.remove()


@click.command("worker")
@with_appcontext
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Imports run at once (default: the IMPORT_WORKERS setting).",
)
def worker_command(workers: int | None) -> None:
    """Run the import queue's consumer: reads and saves uploads, publishes scheduled posts."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Huey announces every poll and periodic sweep; the jobs' own lines say what matters.
    logging.getLogger("huey").setLevel(logging.WARNING)
    app = current_app._get_current_object()
    workers = workers or app.config["IMPORT_WORKERS"]
    huey = queue().huey
    click.echo(
        f"Import worker: {workers} process(es) on the {type(huey.storage).__name__} queue; "
        "Ctrl+C stops it once the running imports end.",
        err=True,
    )
    consumer = Consumer(
        huey,
        workers=workers,
        # Processes, so the time limit can interrupt a task and a crash ends only its worker.
        worker_type="process",
        periodic=True,
        max_delay=1.0,
    )
    consumer.run()
