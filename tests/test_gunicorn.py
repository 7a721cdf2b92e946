"""Real gunicorn with the production configuration: serving, shared sign-in, graceful stop."""

from __future__ import annotations

import runpy
import signal
from collections.abc import Iterator

import pytest

from bench.procfs import children
from tests.servers import GUNICORN_CONF, Server, running_gunicorn


@pytest.fixture
def gunicorn_server(tmp_path) -> Iterator[Server]:
    with running_gunicorn(tmp_path) as server:
        yield server


def test_gunicorn_serves_the_blog_with_the_production_configuration(gunicorn_server):
    reader = gunicorn_server.browser()

    index = reader.get("/")
    post = reader.get("/posts/conversation-0")
    draft = reader.get("/posts/conversation-1")

    assert index.status == 200
    assert "Conversation 0" in index.body
    assert "Conversation 1" not in index.body
    assert post.status == 200
    assert "Conversation 0, turn 1." in post.body
    assert draft.status == 404
    for response in (index, post, draft):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
    # The proxy said HTTPS, and gunicorn trusts loopback to say so.
    assert "max-age" in post.headers["strict-transport-security"]
    assert post.headers["etag"]
    assert len(children(gunicorn_server.process.pid)) == 2


def test_gunicorn_workers_share_sign_in_and_edits(gunicorn_server):
    editor = gunicorn_server.browser()
    editor.login()
    dashboard = editor.get("/studio/")
    assert dashboard.status == 200
    assert "Conversation 1" in dashboard.body

    # Many requests, so both workers answer some; every one sees the session and the save.
    for attempt in range(6):
        saved = editor.post(
            "/studio/settings",
            {"site_title": f"Served title {attempt}", "default_license": "cc-by-4.0"},
            "/studio/settings",
        )
        assert saved.status == 303, saved.body
        assert f"Served title {attempt}" in gunicorn_server.browser().get("/").body


def test_gunicorn_stops_gracefully(gunicorn_server):
    process = gunicorn_server.process

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    assert "Shutting down" in gunicorn_server.log.read_text()


def test_the_default_configuration_fits_a_1_gb_server():
    conf = runpy.run_path(str(GUNICORN_CONF))
    workers, threads = conf["default_workers"], conf["default_threads"]
    # docs/deployment.md's budget: 2 workers x 2 threads beside the import worker.
    assert (workers(1, 980), threads(980)) == (2, 2)
    assert (workers(2, 980), threads(980)) == (2, 2)
    assert (workers(2, 4000), threads(4000)) == (5, 4)  # 2 x cores + 1 when memory allows
    assert workers(16, 64000) == 9
    assert (workers(2, 0), threads(0)) == (5, 4)  # memory unknown: by the cores alone
