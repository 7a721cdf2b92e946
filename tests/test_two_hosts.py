"""Two app hosts on one database and one Redis: sign-in, imports, publishing and edits cross over.

Each host is its own gunicorn with its own instance folder, as two machines would be; they
share only what docs/deployment.md says they must: the secret key, the database, Redis (the
import queue and the page cache) and the uploads folder. One import worker serves both.
The database is PostgreSQL when TEST_DATABASE_URL names one, else one SQLite file.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from blog.extensions import db
from blog.models import ImportJob
from tests import redis_server
from tests.conftest import reset_postgres, run_queued
from tests.servers import (
    PASSWORD,
    Browser,
    flask,
    free_port,
    running_worker,
    start_gunicorn,
    stop,
    wait_until_serving,
    write_chatgpt_export,
)

pytestmark = pytest.mark.slow


@dataclass
class Hosts:
    a: int
    b: int
    redis_url: str
    folder: Path

    def signed_in(self, port: int) -> Browser:
        browser = Browser(port)
        browser.login()
        return browser


def shared_env(folder: Path, redis_url: str) -> dict[str, str]:
    """What every host and the worker are given alike."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    database = os.environ.get("TEST_DATABASE_URL")
    if database:
        reset_postgres(database)
    else:
        database = f"sqlite:///{folder / 'colloquy.sqlite3'}"
    env.update(
        FLASK_SQLALCHEMY_DATABASE_URI=database,
        FLASK_SECRET_KEY="two-hosts-" + "s" * 40,
        FLASK_HUEY_REDIS_URL=redis_url,
        FLASK_CACHE_TYPE="RedisCache",
        FLASK_CACHE_REDIS_URL=redis_url,
        FLASK_IMPORT_UPLOADS_DIR=str(folder / "uploads"),
        FLASK_TRUSTED_HOSTS="blog.example,127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


def host_env(shared: dict[str, str], folder: Path, name: str) -> dict[str, str]:
    """One host's environment: the shared settings and an instance folder of its own."""
    instance = folder / name
    instance.mkdir(mode=0o700)
    return {**shared, "COLLOQUY_INSTANCE": str(instance)}


@pytest.fixture(scope="module")
def hosts(tmp_path_factory) -> Iterator[Hosts]:
    folder = tmp_path_factory.mktemp("two-hosts")
    with redis_server.running(folder / "redis") as redis_url:
        shared = shared_env(folder, redis_url)
        seeding = host_env(shared, folder, "seeding")
        flask(seeding, "db", "upgrade")
        flask(seeding, "create-user", "alice", "--password-stdin", stdin=PASSWORD + "\n")
        flask(seeding, "import", str(write_chatgpt_export(folder / "seed.json", 2)))
        flask(seeding, "publish", "conversation-0", "--yes", "--reviewed")
        servers = []
        try:
            for name in ("a", "b"):
                port = free_port()
                env = host_env(shared, folder, name)
                env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2")
                log = folder / f"gunicorn-{name}.log"
                servers.append((start_gunicorn(env, log), port))
                wait_until_serving(servers[-1][0], port, log, time.monotonic() + 60)
            worker_env = host_env(shared, folder, "worker")
            with running_worker(worker_env, folder / "worker.log"):
                yield Hosts(servers[0][1], servers[1][1], redis_url, folder)
        finally:
            for process, _ in servers:
                stop(process)


def post_id(browser: Browser, title: str) -> int:
    """The studio's id of the post with this title, from the dashboard's list."""
    page = browser.get("/studio/?q=" + title.replace(" ", "+")).body
    found = re.search(rf'href="/studio/posts/(\d+)" title="{re.escape(title)}"', page)
    assert found, f"{title} is not on the dashboard"
    return int(found.group(1))


def test_a_sign_in_on_one_host_holds_on_the_other_and_a_sign_out_ends_it_on_both(hosts):
    on_a = hosts.signed_in(hosts.a)
    on_b = Browser(hosts.b, cookies=dict(on_a.cookies))
    assert on_b.get("/studio/").status == 200

    signed_out = on_b.post("/logout", {}, "/studio/")
    assert signed_out.status == 302
    # The cookie host A handed out, copied before the sign-out on B, no longer works on A.
    assert on_a.get("/studio/").status == 302
    assert "/login" in on_a.get("/studio/").headers["location"]


def test_an_import_uploaded_on_one_host_is_read_by_the_worker_and_chosen_on_the_other(hosts):
    on_a = hosts.signed_in(hosts.a)
    data = write_chatgpt_export(hosts.folder / "upload.json", 3, first=100).read_bytes()
    response = on_a.upload("/studio/import/", "file", "conversations.json", data)
    assert response.status == 303, response.body
    token = re.search(r"/studio/import/([\w-]+)", response.headers["location"]).group(1)
    # Neither host kept the upload in its own instance folder: it waits where all can read it.
    assert list((hosts.folder / "uploads").glob(f"{token}.upload"))
    assert not list(hosts.folder.glob("a/**/*.upload"))

    on_b = hosts.signed_in(hosts.b)
    page = wait_for(on_b, f"/studio/import/{token}", 'name="chosen"')
    keys = re.findall(r'name="chosen" value="([^"]+)"', page)
    assert len(keys) == 3
    chosen = on_b.post(
        f"/studio/import/{token}",
        {"chosen": keys, "on_duplicate": "skip"},
        f"/studio/import/{token}",
    )
    assert chosen.status == 303
    wait_for(on_b, f"/studio/import/{token}", "Imported")
    for number in (100, 101, 102):
        assert post_id(on_a, f"Conversation {number}")
    assert "RedisStorage queue" in (hosts.folder / "worker.log").read_text()
    assert not list((hosts.folder / "uploads").glob(f"{token}.*"))


def test_a_publish_on_one_host_shows_on_the_other_hosts_cached_pages_at_once(hosts):
    reader_a, reader_b = Browser(hosts.a), Browser(hosts.b)
    for path in ("/", "/sitemap.xml"):
        first = reader_a.get(path)
        assert first.status == 200 and "conversation-1" not in first.body
        # Served again from the shared cache, by either host: one entry for the page.
        assert reader_a.get(path).headers["etag"] == first.headers["etag"]
        assert reader_b.get(path).headers["etag"] == first.headers["etag"]
    assert cached_pages(hosts.redis_url)

    on_b = hosts.signed_in(hosts.b)
    number = post_id(on_b, "Conversation 1")
    editor = f"/studio/posts/{number}"
    on_b.post(f"{editor}/review-all", {"confirm": "yes"}, editor)
    published = on_b.post(
        f"{editor}/publish",
        {"status": "published", "confirm_policies": "1", "confirm_privacy": "1"},
        editor,
    )
    assert published.status == 303
    assert "Published" in on_b.get(editor).body

    # No wait: the very next anonymous read on host A sees it, page cached by A or not.
    assert "Conversation 1" in reader_a.get("/").body
    assert "/posts/conversation-1" in reader_a.get("/sitemap.xml").body
    assert reader_a.get("/posts/conversation-1").status == 200


def test_a_stale_edit_on_the_other_host_is_refused_with_both_texts(hosts):
    on_a, on_b = hosts.signed_in(hosts.a), hosts.signed_in(hosts.b)
    number = post_id(on_a, "Conversation 0")
    editor = on_a.get(f"/studio/posts/{number}").body
    turn = re.search(rf"/studio/posts/{number}/turns/(\d+)/edit", editor).group(1)
    edit = f"/studio/posts/{number}/turns/{turn}/edit"
    version_a = form_version(on_a.get(edit).body)
    version_b = form_version(on_b.get(edit).body)
    assert version_a == version_b

    save = f"/studio/posts/{number}/turns/{turn}"
    first = on_a.post(save, {"source": "Saved on host A.", "version": version_a}, edit)
    assert first.status == 303
    second = on_b.post(save, {"source": "Typed on host B.", "version": version_b}, edit)
    assert second.status == 409
    assert "Saved on host A." in second.body and "Typed on host B." in second.body
    assert "Saved on host A." in on_a.get(edit).body


def test_a_worker_that_cannot_see_the_upload_fails_the_job_saying_why(app, author, tmp_path):
    # As a worker on another host would, without the shared uploads folder.
    data = write_chatgpt_export(tmp_path / "one.json", 1).read_bytes()
    response = author.post(
        "/studio/import/",
        {"file": (io.BytesIO(data), "conversations.json")},
        content_type="multipart/form-data",
    )
    token = re.search(r"/studio/import/([\w-]+)", response.headers["Location"]).group(1)
    with app.app_context():
        job = db.session.scalar(db.select(ImportJob).where(ImportJob.token == token))
        Path(job.path).unlink()
    assert run_queued(app) == 1
    page = author.get(f"/studio/import/{token}").get_data(as_text=True)
    assert "could not find the uploaded file" in page
    assert "IMPORT_UPLOADS_DIR" in page


def form_version(page: str) -> str:
    return re.search(r'name="version" value="([^"]+)"', page).group(1)


def wait_for(browser: Browser, path: str, text: str, seconds: float = 120) -> str:
    """Poll a studio page, as its own script does, until it says `text`."""
    deadline = time.monotonic() + seconds
    while True:
        page = browser.get(path).body
        if text in page:
            return page
        assert "Nothing from this file was saved" not in page, page
        assert time.monotonic() < deadline, f"{path} never said {text!r}:\n{page[-2000:]}"
        time.sleep(0.2)


def cached_pages(redis_url: str) -> list[bytes]:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return client.keys("*page:*")
    finally:
        client.close()
