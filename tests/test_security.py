"""Hardening: headers, no inline code, cookies, sessions, throttling, errors, hosts, CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from blog import config, create_app
from blog import posts as content
from blog.extensions import db
from blog.models import Asset, ImportBatch, Post, User
from tests.conftest import PASSWORD, Author

HTTPS = "https://blog.test"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


class InlineCodeFinder(HTMLParser):
    """Collects every inline script, inline style and event-handler attribute in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self.in_script = "src" not in names and names.get("type") != "application/ld+json"
        if tag == "style":
            self.problems.append("<style> element")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action") and (names[name] or "").startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]}")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def assert_hardened(response) -> None:
    """The headers every response must carry."""
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@contextmanager
def sibling_app(app: Flask, **overrides) -> Iterator[Flask]:
    """Another instance of the app on the same database, as a second worker would be."""
    settings = {
        key: app.config[key]
        for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SERVER_NAME")
    }
    sibling = create_app({**settings, "PREFERRED_URL_SCHEME": "https", **overrides})
    try:
        yield sibling
    finally:
        with sibling.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def site(app, owner):
    """A published post (tagged with its own slug), a draft, and an image asset."""
    with app.app_context():
        user = db.session.get(User, owner)
        post = content.create_post(user, "Safety")
        first = content.add_turn(post, "user")
        content.save_turn(first, "How do I keep *this* safe?", None)
        reply = content.add_turn(post, "assistant", after=first)
        content.save_turn(reply, "Carefully, with `code` and a [link](https://example.org).", None)
        content.update_post(post, {"tags": "safety", "model_name": "Example Model"}, None)
        content.publish(post, status="published", confirmed=True, mark_reviewed=True)
        draft = content.create_post(user, "Draft")
        content.save_turn(content.add_turn(draft, "user"), "Not yet.", None)
        asset = Asset(post_id=post.id, name="pixel.png", mime_type="image/png", data=b"\x89PNG")
        db.session.add(asset)
        batch = ImportBatch(filename="earlier.json")
        db.session.add(batch)
        db.session.commit()
        link = content.create_preview_link(draft)
        return {
            "post_id": post.id,
            "turn_id": reply.id,
            "slug": post.slug,
            "asset_id": asset.id,
            "name": asset.name,
            "filename": "style.css",
            "token": "no-such-import",
            "draft_id": draft.id,
            "batch_id": batch.id,
            "revision_id": post.published_revision_id,
            "link_id": link.id,
            "file_token": asset.token,
            "kind": "email",
            "number": 1,
        }


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, to prove a request changed nothing."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table)).all()
            tables[table.name] = sorted((tuple(map(repr, row)) for row in rows), key=repr)
        db.session.remove()
        return tables


def public_pages(site: dict) -> list[str]:
    return [
        "/",
        f"/posts/{site['slug']}",
        "/tags/safety",
        "/archive",
        "/search?q=safe",
        "/license",
        "/no-such-page",
    ]


def studio_pages(site: dict) -> list[str]:
    post, turn = site["post_id"], site["turn_id"]
    return [
        "/studio/",
        f"/studio/posts/{post}",
        f"/studio/posts/{post}/turns/{turn}/edit",
        f"/studio/posts/{post}/turns/{turn}/diff",
        "/studio/posts/new",
        "/studio/settings",
        "/studio/import/",
    ]


# -- headers and inline code ---------------------------------------------------


def test_every_kind_of_page_carries_the_security_headers(app, author, site):
    anonymous = app.test_client()
    for path in [*public_pages(site), "/feed.xml", "/atom.xml", "/login"]:
        assert_hardened(anonymous.get(path, base_url=HTTPS))
    for path in studio_pages(site):
        response = author.get(path)
        assert response.status_code == 200, path
        assert_hardened(response)
        assert "no-store" in response.headers["Cache-Control"]
    assert_hardened(anonymous.post("/login", base_url=HTTPS))
    assert "max-age" in anonymous.get("/", base_url=HTTPS).headers["Strict-Transport-Security"]


def test_no_page_has_inline_script_or_style(app, author, site):
    anonymous = app.test_client()
    pages = {path: anonymous.get(path, base_url=HTTPS) for path in public_pages(site)}
    pages["/login"] = anonymous.get("/login", base_url=HTTPS)
    pages.update({path: author.get(path) for path in studio_pages(site)})
    pages["signed-in post"] = author.get(f"/posts/{site['slug']}")
    pages["htmx turn form"] = author.get(
        f"/studio/posts/{site['post_id']}/turns/{site['turn_id']}/edit",
        headers={"HX-Request": "true"},
    )

    for path, response in pages.items():
        assert response.status_code in (200, 404), path
        assert inline_code(response.get_data(as_text=True)) == [], path


def test_the_setup_page_has_no_inline_code(client):
    response = client.get("/setup", base_url=HTTPS)

    assert response.status_code == 200
    assert 'name="token"' in response.get_data(as_text=True)
    assert inline_code(response.get_data(as_text=True)) == []
    assert_hardened(response)


def test_the_inline_code_finder_catches_what_the_policy_forbids():
    assert inline_code('<script>alert(1)</script><p style="color:red" onclick="x()">') == [
        "inline script: alert(1)",
        "style= on <p>",
        "onclick= on <p>",
    ]
    assert inline_code('<script src="/static/reader.js"></script><p class="x">') == []


# -- cookies and sessions ----------------------------------------------------------


def test_session_cookies_are_httponly_lax_and_secure(client, owner):
    response = Author(client).client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "remember": "1",
            "csrf_token": Author(client).token(),
        },
        base_url=HTTPS,
    )
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert set(cookies) >= {"session", "remember_token"}
    for cookie in cookies.values():
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" in cookie


def session_cookies(response) -> str:
    pairs = [c.split(";", 1)[0] for c in response.headers.getlist("Set-Cookie")]
    return "; ".join(pairs)


def test_logout_ends_the_session_on_the_server(app, client, owner):
    helper = Author(client)
    login = client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "remember": "1",
            "csrf_token": helper.token(),
        },
        base_url=HTTPS,
    )
    copied = session_cookies(login)
    replayer = app.test_client(use_cookies=False)
    assert replayer.get("/studio/", base_url=HTTPS, headers={"Cookie": copied}).status_code == 200

    logout = helper.post("/logout")
    assert logout.status_code == 302

    replayed = replayer.get("/studio/", base_url=HTTPS, headers={"Cookie": copied})
    assert replayed.status_code == 302
    assert "/login" in replayed.headers["Location"]


# -- sign-in throttling ----------------------------------------------------------


def attempt(app: Flask, username: str, password: str, address: str) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    helper = Author(client)
    data = {"username": username, "password": password, "csrf_token": helper.token()}
    return client.post("/login", data=data, base_url=HTTPS).status_code


def test_sign_in_is_throttled_per_account(app, owner):
    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    for n in range(limit):
        assert attempt(app, "alice", "wrong password", f"10.0.0.{n}") == 401

    assert attempt(app, "alice", PASSWORD, "10.0.1.1") == 429
    assert attempt(app, "Alice ", PASSWORD, "10.0.1.2") == 429


def test_sign_in_is_throttled_per_address(app, owner):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for n in range(limit):
        assert attempt(app, f"guess{n}", "wrong password", "192.0.2.7") == 401

    assert attempt(app, "alice", PASSWORD, "192.0.2.7") == 429
    assert attempt(app, "alice", PASSWORD, "192.0.2.8") == 302


def test_throttling_is_shared_between_workers(app, owner):
    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    with sibling_app(app) as other_worker:
        for n in range(limit):
            worker = app if n % 2 == 0 else other_worker
            assert attempt(worker, "alice", "wrong password", f"198.51.100.{n}") == 401

        assert attempt(other_worker, "alice", PASSWORD, "198.51.100.200") == 429
        assert attempt(app, "alice", PASSWORD, "198.51.100.201") == 429


# -- error pages ---------------------------------------------------------------------


def test_a_server_error_shows_a_friendly_page_without_a_traceback(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode():
        raise RuntimeError("internal detail: /srv/colloquy/secret_sauce.py line 42")

    app.add_url_rule("/explode", "explode", explode)

    response = client.get("/explode", base_url=HTTPS)

    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    for leak in ("Traceback", "RuntimeError", "secret_sauce", "internal detail"):
        assert leak not in body
    assert_hardened(response)
    assert inline_code(body) == []


def test_a_missing_page_is_a_friendly_404(client):
    response = client.get("/posts/does-not-exist", base_url=HTTPS)

    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in body
    assert 'href="/"' in body
    assert "Traceback" not in body and "werkzeug" not in body.lower()


def test_an_oversized_upload_is_refused_with_413(app, author):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = author.post(
        "/studio/import/", {"text": "x" * 20_000}, content_type="multipart/form-data"
    )

    assert response.status_code == 413
    assert "The file is larger than an import may be (4 kB)" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


# -- hosts and secret keys -------------------------------------------------------------


def test_a_foreign_host_is_refused_when_trusted_hosts_are_set(app):
    # Not TESTING: the refusal must come back as a response, as in production.
    with sibling_app(app, TESTING=False, TRUSTED_HOSTS="blog.test, www.blog.test") as guarded:
        client = guarded.test_client()
        assert client.get("/robots.txt", base_url="https://blog.test").status_code == 200
        assert client.get("/robots.txt", base_url="https://www.blog.test").status_code == 200
        refused = client.get("/robots.txt", base_url="https://evil.example")
    assert refused.status_code == 400
    assert "not trusted" in refused.get_data(as_text=True)
    assert_hardened(refused)


@pytest.mark.parametrize("weak", ["dev", "changeme", "short-but-not-empty", "x" * 31])
def test_the_app_refuses_to_start_with_a_weak_secret_key(weak, tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY is too weak"):
        create_app(
            {"SECRET_KEY": weak, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}
        )


def test_a_weak_secret_key_from_the_environment_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_SECRET_KEY", "secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY is too weak"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_without_a_secret_key_one_is_generated_privately_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    first = Flask("first", instance_path=str(tmp_path / "instance"))
    second = Flask("second", instance_path=str(tmp_path / "instance"))

    config.load_config(first, None)
    config.load_config(second, None)

    key_file = Path(first.instance_path) / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}", first.config["SECRET_KEY"])
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    # Beside it only the database the settings create before SQLite could, private too.
    made = list(key_file.parent.iterdir())
    assert key_file in made and all(path.stat().st_mode & 0o777 == 0o600 for path in made)


# -- CSRF and safe methods, over every route ---------------------------------------------------


def url_for_rule(rule, site: dict) -> str:
    """The rule's path with sample values: the published post, its turn, its asset."""
    values = {name: site[name] for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def mutating_rules(app: Flask) -> list:
    return [r for r in app.url_map.iter_rules() if r.methods & STATE_CHANGING]


HARMFUL_FORM = {
    "title": "Changed",
    "source": "Changed",
    "username": "alice",
    "password": PASSWORD,
    "confirm": "yes",
    "confirm_policies": "1",
    "confirm_privacy": "1",
    "status": "published",
    "role": "assistant",
    "direction": "up",
    "site_title": "Changed",
    "default_license": "cc-by-4.0",
    "reviewed": "1",
    "excluded": "1",
    "text": "User: hello\nAssistant: hi",
}


def test_every_state_changing_route_refuses_a_missing_or_foreign_csrf_token(app, author, site):
    rules = mutating_rules(app)
    assert len(rules) >= 20
    stranger = Author(app.test_client())
    foreign_token = stranger.token("/login")
    before = snapshot(app)

    for rule in rules:
        path = url_for_rule(rule, site)
        for method in sorted(rule.methods & STATE_CHANGING):
            for token in (None, foreign_token):
                form = dict(HARMFUL_FORM)
                if token:
                    form["csrf_token"] = token
                response = author.client.open(path, method=method, data=form, base_url=HTTPS)
                assert response.status_code == 400, (method, path, token is not None)
                assert "nothing was changed" in response.get_data(as_text=True), path

    assert snapshot(app) == before
    assert author.get("/studio/").status_code == 200


def test_the_csrf_refusal_flashes_a_message_and_keeps_the_author_in_place(app, author, site):
    editor = f"{HTTPS}/studio/posts/{site['post_id']}"
    response = author.client.post(
        f"/studio/posts/{site['post_id']}/publish",
        data={"csrf_token": "forged"},
        headers={"Referer": editor},
        base_url=HTTPS,
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "nothing was changed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Post, site["post_id"]).title == "Safety"


def status_of(client, path: str) -> int:
    """GET a path and release the response (static files stay open otherwise)."""
    response = client.get(path, base_url=HTTPS)
    response.close()
    return response.status_code


def test_no_get_route_changes_the_database(app, author, site):
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    assert len(rules) >= 20
    anonymous = app.test_client()
    # Render lazily-rendered pages once, so only real writes remain to be caught.
    for rule in rules:
        status_of(author.client, url_for_rule(rule, site))
    before = snapshot(app)

    for rule in rules:
        path = url_for_rule(rule, site)
        assert status_of(author.client, path) < 500, path
        assert status_of(anonymous, path) < 500, path
        assert snapshot(app) == before, path
