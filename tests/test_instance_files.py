"""What the app creates in its instance folder is private: the server's user alone reads it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from blog import create_app
from blog.config import instance_secret_key, private_sqlite_file
from blog.extensions import db
from tests.conftest import app_settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """A umask that lets files be read by everyone, as a login shell's usually does."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite files only")
def test_the_database_and_queue_an_app_creates_are_private(tmp_path, open_umask):
    instance = tmp_path / "instance"
    database = instance / "colloquy.sqlite3"
    settings = app_settings(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        HUEY_SQLITE_PATH=str(instance / "queue" / "import-queue.sqlite3"),
    )
    app = create_app(settings)
    try:
        with app.app_context():
            upgrade()
            db.session.execute(text("INSERT INTO settings (key, value) VALUES ('x', 'y')"))
            db.session.commit()
            # The write-ahead log exists while a connection is open.
            created = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            created.append(instance / "queue" / "import-queue.sqlite3")
            modes = {path.name: oct(mode(path)) for path in created}
            assert modes == {path.name: "0o600" for path in created}
            assert oct(mode(instance)) == "0o700"
            assert oct(mode(instance / "queue")) == "0o700"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    # Whatever else the process writes from now on is private too.
    (tmp_path / "later.txt").write_text("x")
    assert oct(mode(tmp_path / "later.txt")) == "0o600"


def test_a_relative_sqlite_path_is_created_privately_in_the_instance_folder(tmp_path, open_umask):
    # Flask-SQLAlchemy reads `sqlite:///name` as a file in the instance folder.
    private_sqlite_file("sqlite:///nested/x.sqlite3", tmp_path)
    assert oct(mode(tmp_path / "nested" / "x.sqlite3")) == "0o600"
    private_sqlite_file("sqlite://", tmp_path)  # in memory: nothing to create
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nested"]


def test_the_generated_secret_key_and_its_folder_are_private(tmp_path, open_umask):
    instance = tmp_path / "instance"
    key = instance_secret_key(instance)
    assert len(key) == 64
    assert oct(mode(instance / "secret_key")) == "0o600"
    assert oct(mode(instance)) == "0o700"
    assert instance_secret_key(instance) == key


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite files only")
def test_the_commands_a_server_starts_with_create_private_files(tmp_path, open_umask):
    from tests.servers import flask, server_env

    database = tmp_path / "new" / "colloquy.sqlite3"
    env = server_env(database)
    flask(env, "db", "upgrade")  # as `make serve` and the container do before starting
    queue = Path(env["FLASK_HUEY_SQLITE_PATH"])
    assert {p.name: oct(mode(p)) for p in (database, queue)} == {
        database.name: "0o600",
        queue.name: "0o600",
    }
    assert oct(mode(database.parent)) == "0o700"
