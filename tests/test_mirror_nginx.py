"""The mirror behind real nginx, configured from deploy/nginx.conf, in front of real gunicorn."""

from __future__ import annotations

import gzip
import html
import http.client
import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import nginx
from tests.conftest import colloquy_json_with_files
from tests.servers import (
    PASSWORD,
    Browser,
    flask,
    free_port,
    running_worker,
    server_env,
    start_gunicorn,
    stop,
    wait_until_serving,
    write_chatgpt_export,
)

HOST = "blog.example"
NGINX_ETAG = re.compile(r'^"[0-9a-f]+-[0-9a-f]+"$')


@dataclass
class Stack:
    port: int
    mirror: Path
    env: dict[str, str]
    app_log: Path
    nginx: subprocess.Popen

    def get(
        self, path: str, cookie: str = "", encoding: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": HOST}
        if cookie:
            headers["Cookie"] = cookie
        if encoding:
            headers["Accept-Encoding"] = encoding
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            # A header sent twice (Vary) reads as one list, as HTTP allows.
            found = {name.lower(): response.msg.get_all(name) for name in response.msg}
            return (
                response.status,
                {name: ", ".join(values) for name, values in found.items()},
                response.read(),
            )
        finally:
            connection.close()

    def app_lines(self, path: str) -> list[str]:
        """gunicorn's access-log lines for `path`, once every earlier request is logged."""
        marker = f"/search?q=marker-{time.monotonic_ns()}"
        assert self.get(marker)[0] == 200
        # One worker, one thread: requests are handled and logged in order, so once the
        # marker's line is there, any line of an earlier request is there too.
        deadline = time.monotonic() + 30
        while marker not in self.app_log.read_text():
            assert time.monotonic() < deadline, "gunicorn never logged the marker request"
            time.sleep(0.05)
        return [line for line in self.app_log.read_text().splitlines() if f"GET {path} " in line]


def nginx_missing() -> None:
    """Skip without nginx; but fail where the environment insists (CI)."""
    if os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI"):
        pytest.fail("nginx is not installed, and CI demands the mirror's proxy tests run")
    pytest.skip("nginx is not installed")


@contextmanager
def running_stack(folder: Path) -> Iterator[Stack]:
    """A seeded database, gunicorn (access log on) and nginx with the deploy config."""
    if not nginx.available():
        nginx_missing()
    mirror = folder / "mirror"
    env = server_env(folder / "colloquy.sqlite3")
    env.update(FLASK_STATIC_MIRROR_DIR=str(mirror), FLASK_SITE_URL=f"http://{HOST}")
    flask(env, "db", "upgrade")
    flask(env, "create-user", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    flask(env, "import", str(write_chatgpt_export(folder / "conversations.json", 2)))
    flask(env, "mirror")
    upstream, port = free_port(), free_port()
    app_log = folder / "access.log"
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{upstream}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="1",
        GUNICORN_ACCESS_LOG=str(app_log),
    )
    app = start_gunicorn(env, folder / "gunicorn.log")
    try:
        wait_until_serving(app, upstream, folder / "gunicorn.log", time.monotonic() + 30)
        with nginx.running(
            folder / "nginx", port=port, upstream=upstream, mirror=mirror, host=HOST
        ) as proxy:
            yield Stack(port, mirror, env, app_log, proxy)
    finally:
        stop(app)


def post_id(env: dict[str, str], slug: str) -> int:
    database = env["FLASK_SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT id FROM posts WHERE slug = ?", (slug,)).fetchone()[0]


def test_nginx_serves_published_pages_from_the_mirror_and_the_rest_from_the_app(tmp_path):
    with running_stack(tmp_path) as stack:
        assert stack.get("/posts/conversation-0")[0] == 404
        asked = len(stack.app_lines("/posts/conversation-0"))
        flask(stack.env, "publish", "conversation-0", "--yes", "--reviewed")

        status, headers, body = stack.get("/posts/conversation-0")
        assert status == 200 and b"Conversation 0" in body
        assert NGINX_ETAG.match(headers["etag"]), headers  # nginx's own, from the file
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert "default-src 'self'" in headers["content-security-policy"]
        assert len(stack.app_lines("/posts/conversation-0")) == asked
        # A browser asks for gzip: the page's twin, sent as it is, the same page inside.
        status, squeezed, packed = stack.get("/posts/conversation-0", encoding="gzip, br")
        assert status == 200 and squeezed["content-encoding"] == "gzip"
        assert gzip.decompress(packed) == body and len(packed) < len(body) / 2
        assert "Accept-Encoding" in squeezed["vary"] and NGINX_ETAG.match(squeezed["etag"])
        assert squeezed["content-type"] == "text/html; charset=utf-8"
        assert len(stack.app_lines("/posts/conversation-0")) == asked
        for feed, kind in (
            ("/feed.xml", "application/rss+xml"),
            ("/atom.xml", "application/atom+xml"),
        ):
            status, fed, packed = stack.get(feed, encoding="gzip")
            assert status == 200 and fed["content-encoding"] == "gzip", feed
            assert fed["content-type"].startswith(kind)
            assert gzip.decompress(packed) == (stack.mirror / feed.lstrip("/")).read_bytes()
        assert stack.get("/feed.xml")[1]["content-type"].startswith("application/rss+xml")
        assert stack.get("/atom.xml")[1]["content-type"].startswith("application/atom+xml")
        assert stack.get("/posts/conversation-0.md")[1]["content-disposition"] == "attachment"

        # The file holds the page's bytes; a draft is nowhere in the mirror.
        assert (stack.mirror / "posts/conversation-0/index.html").read_bytes() == body
        assert not (stack.mirror / "posts" / "conversation-1").exists()
        assert not any(
            b"Conversation 1" in p.read_bytes() for p in stack.mirror.rglob("*") if p.is_file()
        )
        assert stack.get("/posts/conversation-1")[0] == 404

        # A signed-in author goes through to the app: the studio and every page.
        author = Browser(stack.port)
        author.login()
        cookie = "; ".join(f"{k}={v}" for k, v in author.cookies.items())
        studio = stack.get("/studio/", cookie)
        assert studio[0] == 200 and b"Conversation 1" in studio[2]
        assert not NGINX_ETAG.match(stack.get("/posts/conversation-0", cookie)[1].get("etag", ""))
        assert len(stack.app_lines("/posts/conversation-0")) == asked + 1

        # Unpublishing in the studio: the very next request is a 404.
        number = post_id(stack.env, "conversation-0")
        token = author.csrf_token(f"/studio/posts/{number}")
        answer = author.request(
            "POST", f"/studio/posts/{number}/unpublish", {"csrf_token": token, "confirm": "yes"}
        )
        assert answer.status == 303
        assert stack.get("/posts/conversation-0")[0] == 404
        assert stack.get("/posts/conversation-0", encoding="gzip")[0] == 404
        assert b"Conversation 0" not in stack.get("/")[2]
        assert b"Conversation 0" not in gzip.decompress(stack.get("/", encoding="gzip")[2])

        # A new slug: the old address answers 301, from the app until nginx reloads its map.
        flask(stack.env, "publish", "conversation-0", "--yes", "--reviewed")
        token = author.csrf_token(f"/studio/posts/{number}")
        answer = author.request(
            "POST", f"/studio/posts/{number}", {"csrf_token": token, "slug": "renamed"}
        )
        assert answer.status == 303
        status, headers, _ = stack.get("/posts/conversation-0")
        assert status == 301 and headers["location"].endswith("/posts/renamed")
        assert NGINX_ETAG.match(stack.get("/posts/renamed")[1]["etag"])
        stack.nginx.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while True:
            logged = len(stack.app_lines("/posts/conversation-0"))
            status, headers, _ = stack.get("/posts/conversation-0")
            if status == 301 and len(stack.app_lines("/posts/conversation-0")) == logged:
                break  # answered by nginx's map alone, once the reloaded workers took over
            assert time.monotonic() < deadline, "nginx never answered the 301 itself"
        assert headers["location"].endswith("/posts/renamed")
        # The map itself, and the mirror's records, are nobody's to read: they list posts.
        assert (stack.mirror / "redirects.map").read_text().count("/posts/renamed") == 1
        assert stack.get("/redirects.map")[0] == 404
        assert stack.get(f"/.mirror/posts/{number}.json")[0] == 404


def test_nginx_serves_imported_attachments_from_the_mirror_as_downloads(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    attachments = {
        "report.pdf": ("application/pdf", b"%PDF-1.4\n%%EOF\n"),
        "notes.txt": ("text/plain", b"<b>not a page</b>\n"),
        "page.html": ("text/html", b"<script>alert(1)</script>"),
        "chart.png": ("image/png", png),
    }
    with running_stack(tmp_path) as stack:
        source = tmp_path / "files.json"
        source.write_text(colloquy_json_with_files("Files attached", attachments))
        flask(stack.env, "import", str(source))
        flask(stack.env, "publish", "files-attached", "--yes", "--reviewed")
        page = stack.get("/posts/files-attached")[2].decode()
        links = {
            html.unescape(text): html.unescape(href)
            for href, text in re.findall(r'<a href="(/assets/[^"]+)"[^>]*>([^<]+)</a>', page)
        }
        assert set(links) == set(attachments)
        asked = {name: len(stack.app_lines(links[name])) for name in links}
        for name, (_mime, data) in attachments.items():
            status, headers, body = stack.get(links[name])
            assert status == 200 and body == data, name
            assert NGINX_ETAG.match(headers["etag"]), name  # from the mirror's file
            assert headers["x-content-type-options"] == "nosniff"
            if name == "chart.png":
                assert headers["content-type"] == "image/png"
                assert "content-disposition" not in headers
            else:
                assert headers["content-disposition"] == "attachment", name
        assert links["page.html"].endswith("/page.html.bin")
        assert stack.get(links["page.html"])[1]["content-type"] == "application/octet-stream"
        assert {name: len(stack.app_lines(links[name])) for name in links} == asked


def test_nginx_serves_a_sitemap_index_and_its_files_from_the_mirror_as_xml(tmp_path, monkeypatch):
    # Two addresses a file: the home page and the archive fill the first, the post the second.
    monkeypatch.setenv("FLASK_SITEMAP_MAX_URLS", "2")
    with running_stack(tmp_path) as stack, running_worker(stack.env, tmp_path / "worker.log"):
        flask(stack.env, "publish", "conversation-0", "--yes", "--reviewed")
        # The sitemap lists every post: the worker writes it after the Publish.
        parts = [stack.mirror / name for name in ("sitemap.xml", "sitemap-1.xml", "sitemap-2.xml")]
        deadline = time.monotonic() + 60
        while not all(part.is_file() for part in parts):
            assert time.monotonic() < deadline, "the worker wrote no sitemap"
            time.sleep(0.1)
        asked = len(stack.app_lines("/sitemap-2.xml"))
        for path in ("/sitemap.xml", "/sitemap-1.xml", "/sitemap-2.xml"):
            status, headers, body = stack.get(path)
            assert status == 200, path
            assert headers["content-type"] == "application/xml; charset=utf-8", path
            assert NGINX_ETAG.match(headers["etag"]), path  # nginx's own, from the file
            assert body == (stack.mirror / path.lstrip("/")).read_bytes()
        assert b"/sitemap-2.xml</loc>" in stack.get("/sitemap.xml")[2]
        assert b"/posts/conversation-0</loc>" in stack.get("/sitemap-2.xml")[2]
        assert len(stack.app_lines("/sitemap-2.xml")) == asked
        assert stack.get("/sitemap-3.xml")[0] == 404
