"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when configured)."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from blog import create_app
from blog.accounts import create_user
from blog.extensions import db

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PASSWORD = "correct horse battery staple"
TOKEN_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_url(tmp_path: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


def app_settings(tmp_path: Path, **overrides) -> dict:
    """The settings of a test app on a fresh database in `tmp_path`, with `overrides` on top."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-" + "k" * 40,
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "SERVER_NAME": "blog.test",
        "PREFERRED_URL_SCHEME": "https",
        "HUEY_SQLITE_PATH": str(tmp_path / "import-queue.sqlite3"),
        **overrides,
    }


@contextmanager
def migrated_app(tmp_path: Path, **overrides) -> Iterator[Flask]:
    """A test app (`app_settings`) on its fresh database, migrated; its connections closed after."""
    app = create_app(app_settings(tmp_path, **overrides))
    with app.app_context():
        upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(tmp_path):
    with migrated_app(tmp_path) as app:
        yield app


def run_queued(app) -> int:
    """Run every queued import task here, as the worker would; how many ran."""
    huey = app.extensions["import_queue"].huey
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def owner(app):
    with app.app_context():
        user = create_user("alice", PASSWORD, "Alice Author")
        return user.id


class Author:
    """Signs in through the real login form and sends CSRF-protected posts."""

    def __init__(self, client) -> None:
        self.client = client

    def token(self, path: str = "/login") -> str:
        page = self.client.get(path, base_url="https://blog.test")
        match = TOKEN_PATTERN.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def login(self, username: str = "alice", password: str = PASSWORD):
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.token()},
            base_url="https://blog.test",
        )

    def post(self, path: str, data: dict | None = None, headers: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token("/studio/"))
        return self.client.post(
            path, data=data, headers=headers, base_url="https://blog.test", **kwargs
        )

    def get(self, path: str, **kwargs):
        return self.client.get(path, base_url="https://blog.test", **kwargs)


@pytest.fixture
def author(client, owner):
    helper = Author(client)
    response = helper.login()
    assert response.status_code == 302, response.get_data(as_text=True)
    return helper


def shared_path(*parts: str) -> Path:
    """A file under ../shared, skipping the test when that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return path


@pytest.fixture
def make_post(app, owner):
    """Create a post with turns through the service layer; returns its id."""
    from blog import posts as content
    from blog.models import Post, User

    def make(title="A conversation", turns=None, *, publish=False, status="published", **fields):
        with app.app_context():
            user = db.session.get(User, owner)
            post = content.create_post(user, title)
            for role, source in turns or [("user", "Hello?"), ("assistant", "Hi there.")]:
                content.add_turn(post, role, source=source)
            if fields:
                content.update_post(post, fields, None)
            if publish:
                content.publish(post, status=status, confirmed=True, mark_reviewed=True)
            return db.session.get(Post, post.id).id

    return make


def colloquy_json_with_files(title: str, attachments: dict[str, tuple[str, bytes]]) -> str:
    """A Colloquy JSON export of one prompt linking each file it carries, and a reply."""
    document = {
        "format": "colloquy",
        "version": 1,
        "title": title,
        "turns": [
            {
                "role": "user",
                "text": " ".join(f"[{name}](attachment:{n})" for n, name in enumerate(attachments)),
                "attachments": [
                    {"name": name, "mime_type": mime, "data": base64.b64encode(data).decode()}
                    for name, (mime, data) in attachments.items()
                ],
            },
            {"role": "assistant", "text": "Read them."},
        ],
    }
    return json.dumps(document)
