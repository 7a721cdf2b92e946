"""Data safety: SQLite settings, lost-update protection, crash-safe imports, online backups."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from blog import posts as content
from blog.backup import BackupError, backup_database
from blog.extensions import db
from blog.models import Post, Turn, User
from tests.servers import (
    BIN,
    ROOT,
    flask,
    running_gunicorn,
    server_env,
    write_chatgpt_export,
)

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="checks the SQLite file itself")


def make_post(app, owner: int, sources: tuple[str, ...] = ("A question.", "An answer.")) -> tuple:
    """A draft with one turn per source; returns (post id, first turn id, details version)."""
    with app.app_context():
        post = content.create_post(db.session.get(User, owner), "Original title")
        for index, source in enumerate(sources):
            turn = content.add_turn(post, "user" if index % 2 == 0 else "assistant")
            content.save_turn(turn, source, None)
        return post.id, post.turns[0].id, post.details_version


def stored(app, model, ident: int):
    with app.app_context():
        return db.session.get(model, ident)


@sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(app):
    with app.app_context():
        pragma = {
            name: db.session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert pragma["journal_mode"] == "wal"
    assert pragma["foreign_keys"] == 1
    assert pragma["busy_timeout"] >= 5000


def test_a_stale_turn_save_is_refused_and_shows_both_texts(app, author, owner):
    post_id, turn_id, _ = make_post(app, owner)
    edit_url = f"/studio/posts/{post_id}/turns/{turn_id}/edit"
    first_tab = author.get(edit_url).get_data(as_text=True)
    second_tab = author.get(edit_url).get_data(as_text=True)
    version = stored(app, Turn, turn_id).version
    assert f'name="version" value="{version}"' in first_tab
    assert f'name="version" value="{version}"' in second_tab
    save_url = f"/studio/posts/{post_id}/turns/{turn_id}"

    first = author.post(save_url, {"source": "Saved in the first tab.", "version": version})
    second = author.post(save_url, {"source": "Typed in the second tab.", "version": version})

    assert first.status_code == 303
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "changed in another window" in page
    assert "Saved in the first tab." in page
    assert "Typed in the second tab." in page
    assert stored(app, Turn, turn_id).source == "Saved in the first tab."


def test_a_stale_htmx_turn_save_is_refused_with_both_texts(app, author, owner):
    post_id, turn_id, _ = make_post(app, owner)
    version = stored(app, Turn, turn_id).version
    save_url = f"/studio/posts/{post_id}/turns/{turn_id}"
    htmx = {"HX-Request": "true"}

    author.post(save_url, {"source": "First.", "version": version}, headers=htmx)
    refused = author.post(save_url, {"source": "Second.", "version": version}, headers=htmx)

    assert refused.status_code == 409
    assert "First." in refused.get_data(as_text=True)
    assert "Second." in refused.get_data(as_text=True)
    assert stored(app, Turn, turn_id).source == "First."


def test_a_stale_details_save_is_refused_with_a_message_and_nothing_overwritten(app, author, owner):
    post_id, _, version = make_post(app, owner)
    url = f"/studio/posts/{post_id}"
    details = {"summary": "", "model_name": "", "license": "", "how_made": "", "tags": ""}

    first = author.post(url, {**details, "title": "Title from tab one", "version": version})
    second = author.post(url, {**details, "title": "Title from tab two", "version": version})

    assert first.status_code == 303
    assert second.status_code == 409
    assert "changed in another window" in second.get_data(as_text=True)
    assert 'value="Title from tab two"' in second.get_data(as_text=True)
    post = stored(app, Post, post_id)
    assert post.title == "Title from tab one"
    assert post.details_version == version + 1


def file_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


@pytest.mark.slow
def test_killing_an_import_midway_leaves_no_partial_post(tmp_path):
    database = tmp_path / "colloquy.sqlite3"
    env = server_env(database)
    flask(env, "db", "upgrade")
    export = write_chatgpt_export(tmp_path / "conversations.json", 3000)
    wal = database.with_name(database.name + "-wal")

    process = subprocess.Popen(
        [str(BIN / "flask"), "--app", "app", "import", str(export)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # The whole file is read, rendered and scanned before the write transaction opens,
        # so "midway" is while it writes: uncommitted pages already in the WAL.
        deadline = time.monotonic() + 400
        while not file_size(wal) > 2 * 1024 * 1024:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the import never got going"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        process.kill()
        process.wait()
        process.stderr.close()

    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM posts").fetchone()[0] == 0
        assert check.execute("SELECT count(*) FROM turns").fetchone()[0] == 0
    check.close()
    output = flask(env, "import", str(write_chatgpt_export(tmp_path / "small.json", 3)))
    assert "Imported 3 new" in output
    with sqlite3.connect(database) as check:
        assert check.execute("SELECT count(*) FROM posts").fetchone()[0] == 3
    check.close()


@sqlite_only
def test_backup_is_a_checked_self_contained_copy(app, owner, tmp_path):
    make_post(app, owner)
    with app.app_context():
        written = backup_database(tmp_path / "colloquy-backup.sqlite3")
        (tmp_path / "copies").mkdir()
        dated = backup_database(tmp_path / "copies")
    assert written == (tmp_path / "colloquy-backup.sqlite3").resolve()
    assert dated.parent == (tmp_path / "copies").resolve()
    assert dated.name.startswith("colloquy-") and dated.suffix == ".sqlite3"
    for copy in (written, dated):
        assert copy.stat().st_mode & 0o077 == 0
        with sqlite3.connect(copy) as check:
            assert check.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            assert check.execute("SELECT title FROM posts").fetchall() == [("Original title",)]
        check.close()
    assert not list(tmp_path.glob(".*.partial")) and not list(dated.parent.glob(".*.partial"))


@sqlite_only
def test_backup_refuses_to_overwrite_the_live_database(app):
    with app.app_context():
        live = Path(db.engine.url.database)
        with pytest.raises(BackupError, match="live database"):
            backup_database(live)


def test_backup_on_postgresql_points_to_pg_dump(tmp_path):
    from blog import create_app

    app = create_app(
        {
            "SECRET_KEY": "backup-test-" + "k" * 40,
            "SITE_URL": "https://blog.test",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        }
    )
    with app.app_context(), pytest.raises(BackupError, match="pg_dump"):
        backup_database(tmp_path / "copy.sqlite3")
    assert not (tmp_path / "copy.sqlite3").exists()


@pytest.mark.slow
def test_backup_while_gunicorn_serves_writes(tmp_path):
    with running_gunicorn(tmp_path, conversations=20) as server:
        editor = server.browser()
        editor.login()
        with sqlite3.connect(tmp_path / "colloquy.sqlite3") as live:
            post_id, turn_id = live.execute(
                "SELECT post_id, id FROM turns WHERE position = 0 ORDER BY post_id LIMIT 1"
            ).fetchone()
        live.close()
        saved: list[int] = []
        stop = threading.Event()
        failures: list[str] = []

        def keep_saving() -> None:
            number = 0
            while not stop.is_set():
                number += 1
                response = editor.post(
                    f"/studio/posts/{post_id}/turns/{turn_id}",
                    {"source": f"Save number {number}"},
                    "/studio/",
                )
                if response.status != 303:
                    failures.append(f"{response.status}: {response.body[:300]}")
                    return
                saved.append(number)

        writer = threading.Thread(target=keep_saving)
        writer.start()
        try:
            deadline = time.monotonic() + 30
            while len(saved) < 3 and not failures:
                assert time.monotonic() < deadline, "no save went through"
                time.sleep(0.05)
            confirmed_before = saved[-1]
            output = flask(server.env, "backup", str(tmp_path / "backup.sqlite3"))
            saves_during = len(saved)
            # The editor kept saving while the backup process ran.
            assert saves_during > confirmed_before
            deadline = time.monotonic() + 30
            while len(saved) < saves_during + 3 and not failures:
                assert time.monotonic() < deadline, "saving stopped after the backup"
                time.sleep(0.05)
        finally:
            stop.set()
            writer.join(timeout=60)

    assert not failures, failures
    assert "Backed up the database" in output
    with sqlite3.connect(tmp_path / "backup.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM posts").fetchone()[0] == 20
        assert copy.execute("SELECT count(*) FROM users").fetchone()[0] == 1
        source = copy.execute("SELECT source FROM turns WHERE id = ?", (turn_id,)).fetchone()[0]
    copy.close()
    assert int(source.removeprefix("Save number ")) >= confirmed_before


def test_import_is_one_transaction_even_when_a_later_conversation_fails(app, owner, tmp_path):
    export = write_chatgpt_export(tmp_path / "conversations.json", 5)
    # Only the last conversation points at a node that does not exist.
    broken_file = tmp_path / "broken.json"
    head, _, tail = export.read_text().rpartition('"current_node": "m5"')
    broken_file.write_text(head + '"current_node": "missing"' + tail)
    assert broken_file.read_text().count('"current_node": "missing"') == 1

    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(broken_file)])

    assert result.exit_code == 1
    assert "Not imported" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 0
