"""Consistent copies of the SQLite database, taken while the site keeps serving."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from .extensions import db


class BackupError(RuntimeError):
    """A backup that cannot be made; the message says why and what to do instead."""


def database_file() -> Path:
    """The live SQLite file of the current app, or a BackupError for any other database."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"The database is {url.get_backend_name()}, not SQLite: back it up with its own "
            "tools, for PostgreSQL `pg_dump --format=custom --file=colloquy.dump DBNAME` "
            "(restore with pg_restore)."
        )
    if not url.database or url.database == ":memory:":
        raise BackupError(
            "The database lives in memory: there is no file to back up. "
            "Point SQLALCHEMY_DATABASE_URI (or DATABASE_URL) at a file."
        )
    return Path(url.database).resolve()


def backup_target(destination: Path) -> Path:
    """The file to write: the destination itself, or a dated file inside a folder."""
    if destination.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return destination / f"colloquy-{stamp}.sqlite3"
    return destination


def backup_database(destination: Path) -> Path:
    """Copy the live database to `destination` with SQLite's online backup API; return the file."""
    source_path = database_file()
    if not source_path.exists():
        raise BackupError(
            f"The database file {source_path} does not exist yet: "
            "create it with `flask --app app db upgrade`."
        )
    target = backup_target(Path(destination)).resolve()
    if target == source_path:
        raise BackupError(
            "The backup cannot overwrite the live database itself: give another FILE, "
            "or a folder for a dated file."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    # Drafts and password hashes are inside: readable by the owner only.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        copy_snapshot(source_path, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def copy_snapshot(source_path: Path, partial: Path) -> None:
    """Write one consistent snapshot of the source into `partial`, checked and flushed to disk."""
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.execute("PRAGMA busy_timeout = 30000")
        # All pages in one step: a single read transaction, so writers in other
        # processes carry on (WAL) and the copy is one moment's state.
        source.backup(target)
        # A backup is one self-contained file, not a WAL database with side files.
        target.execute("PRAGMA journal_mode = DELETE")
        verdict = target.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(
                f"The copy failed its integrity check ({verdict}) and was not kept: run the "
                "backup again; if it fails again, stop the site and check the live database "
                "with `sqlite3 FILE 'PRAGMA integrity_check'`."
            )
    finally:
        target.close()
        source.close()
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
