"""Request bodies bounded per route: refused with 413 before anything parses them."""

from __future__ import annotations

import time

import pytest

from bench.chatgpt_export import chatgpt_conversation, chatgpt_export
from bench.procfs import children, rss_mb
from bench.raw_http import send_body
from blog.extensions import db
from blog.models import Post
from tests import nginx
from tests.servers import PASSWORD, Browser, free_port, running_gunicorn

FORM_BOMB = b"a=b&" * (1024 * 1024)  # 4 MB of fields, as in the report's 40 MB body
# A form posted through the proxy, as gunicorn sees it.
FORM = {
    "Host": "blog.example",
    "X-Forwarded-Proto": "https",
    "Content-Type": "application/x-www-form-urlencoded",
}


def test_an_anonymous_form_bomb_is_refused_before_it_is_parsed(client):
    response = client.post(
        "/login",
        data=FORM_BOMB,
        content_type="application/x-www-form-urlencoded",
        base_url="https://blog.test",
    )
    assert response.status_code == 413
    assert "larger than this form accepts (64 kB)" in response.get_data(as_text=True)


def test_a_small_form_still_works_and_one_byte_too_many_is_refused(app, client, owner):
    limit = app.config["FORM_MAX_BYTES"]
    body = b"username=alice&password=x&pad=" + b"p" * (limit - 30)
    assert len(body) == limit
    at_limit = client.post(
        "/login",
        data=body,
        content_type="application/x-www-form-urlencoded",
        base_url="https://blog.test",
    )
    assert at_limit.status_code == 400  # parsed, then refused by CSRF: the form was read
    over = client.post(
        "/login",
        data=body + b"p",
        content_type="application/x-www-form-urlencoded",
        base_url="https://blog.test",
    )
    assert over.status_code == 413


def test_signed_out_nobody_gets_the_upload_or_text_room(client):
    body = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n'
    body += b"[" + b" " * (256 * 1024) + b"]\r\n--x--\r\n"
    for path in ("/studio/import/", "/studio/preview", "/studio/posts/1/turns/1"):
        response = client.post(
            path,
            data=body,
            content_type="multipart/form-data; boundary=x",
            base_url="https://blog.test",
        )
        assert response.status_code == 413, path


def test_the_author_saves_a_long_turn_and_previews_it(app, author, make_post):
    post_id = make_post()
    with app.app_context():
        turn = db.session.get(Post, post_id).turns[1]
        turn_id, version = turn.id, turn.version
    long_text = "Ünïcödé words, " * 12_000  # 180,000 characters: over 64 kB as a form
    saved = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}", {"source": long_text, "version": version}
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)[:300]
    with app.app_context():
        assert db.session.get(Post, post_id).turns[1].source == long_text
    preview = author.post("/studio/preview", {"source": long_text})
    assert preview.status_code == 200


def test_a_text_route_refuses_more_than_its_room(app, author, make_post):
    post_id = make_post()
    response = author.post(
        "/studio/preview", {"source": "x" * (app.config["FORM_TEXT_MAX_BYTES"] + 1)}
    )
    assert response.status_code == 413
    assert "The text is longer than this form accepts (8 MB)" in response.get_data(as_text=True)
    details = author.post(f"/studio/posts/{post_id}", {"summary": "x" * 70_000})
    assert details.status_code == 413


def test_the_author_uploads_an_import_larger_than_a_text_form(app, author, tmp_path):
    texts = ["Hello? " + "x" * 9_000_000, "Hi."]
    data = chatgpt_export(chatgpt_conversation(1, texts=texts, title="Big one"))
    assert len(data) > app.config["FORM_TEXT_MAX_BYTES"]
    # The body written here: the test client would spool a file this large to a temporary
    # file of its own and leave it open.
    body = (
        (
            f'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{author.token('/studio/')}\r\n"
            '--x\r\nContent-Disposition: form-data; name="file"; filename="conversations.json"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        + data
        + b"\r\n--x--\r\n"
    )
    response = author.client.post(
        "/studio/import/",
        data=body,
        content_type="multipart/form-data; boundary=x",
        base_url="https://blog.test",
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]


def test_gunicorn_refuses_form_bombs_without_growing_a_worker(tmp_path):
    with running_gunicorn(tmp_path) as server:
        reader = server.browser()
        assert reader.get("/").status == 200
        before = {pid: rss_mb(pid) for pid in children(server.process.pid)}
        bomb = FORM_BOMB * 10  # 40 MB
        started = time.monotonic()
        pieces = [bomb[i : i + 65536] for i in range(0, len(bomb), 65536)]
        answers = {
            send_body(server.port, "/login", FORM, pieces, length=len(bomb)),
            send_body(server.port, "/login", FORM, pieces),
        }
        assert answers <= {"HTTP/1.1 413 REQUEST ENTITY TOO LARGE", "closed"}, answers
        elapsed = time.monotonic() - started
        after = {pid: rss_mb(pid) for pid in children(server.process.pid)}
        grown = max(after[pid] - before.get(pid, after[pid]) for pid in after)
        assert grown < 100, f"a worker grew by {grown:.1f} MB"
        assert elapsed < 30
        # The server still answers, and signing in still works.
        author = Browser(server.port)
        author.login("alice", PASSWORD)
        assert author.get("/studio/").status == 200


def test_nginx_refuses_an_oversized_form_before_the_app_sees_it(tmp_path):
    if not nginx.available():
        pytest.skip("nginx is not installed")
    with running_gunicorn(tmp_path) as server:
        port = free_port()
        with nginx.running(
            tmp_path / "nginx",
            port=port,
            upstream=server.port,
            mirror=tmp_path / "mirror",
            host="blog.example",
        ):
            through_proxy = Browser(port)
            refused = through_proxy.request(
                "POST",
                "/login",
                body=b"a=b&" * 32 * 1024,
                content_type="application/x-www-form-urlencoded",
            )
            assert refused.status == 413
            assert "nginx" in refused.body  # nginx's own page: the app never saw it
            author = Browser(port)
            author.login("alice", PASSWORD)
            dashboard = author.get("/studio/")
            assert dashboard.status == 200
            # A long turn passes the proxy on its route, within the text room.
            turn_page = author.get("/studio/")
            assert turn_page.status == 200
            preview = author.post(
                "/studio/preview", {"source": "word " * 40_000}, "/studio/posts/new"
            )
            assert preview.status == 200, preview.body[:300]
