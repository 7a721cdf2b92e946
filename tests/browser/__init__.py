"""What the browser tests and the screenshot script share: a live server, Chromium, sample posts."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import BaseWSGIServer, make_server

from blog import create_app
from blog.accounts import create_user
from blog.extensions import db
from blog.imports.files import import_file
from blog.models import Post, User
from blog.posts import publish

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download is not used: the system Chromium, kept offline and quiet.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LONG_CONVERSATION = FIXTURES / "long_conversation.md"
OWNER = "alice"
OWNER_PASSWORD = "correct horse battery staple"


SECRET_KEY = "browser-" + "k" * 40


def build_app(database_uri: str, queue_path: Path, **settings) -> Flask:
    """The real application on the given database, migrated, with its owner account."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "HUEY_SQLITE_PATH": str(queue_path),
            **settings,
        }
    )
    with app.app_context():
        upgrade()
        create_user(OWNER, OWNER_PASSWORD, "Alice Author")
    return app


def dispose(app: Flask) -> None:
    """Close every database connection the app holds."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class LiveServer:
    """The app served over real HTTP on a free loopback port, from a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def launch_chromium(playwright):
    """Start the system Chromium through Playwright."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def import_draft(app: Flask, source: Path | bytes, filename: str) -> int:
    """Import one conversation file as a draft of the owner; returns the post id."""
    with app.app_context():
        owner = db.session.scalar(db.select(User).where(User.username == OWNER))
        report = import_file(source, filename, owner)
        assert len(report.created) == 1, report
        return report.created[0].id


def publish_post(app: Flask, post_id: int) -> str:
    """Publish a draft through the content service, reviewing it; returns its slug."""
    with app.app_context():
        post = db.session.get(Post, post_id)
        publish(post, confirmed=True, mark_reviewed=True)
        return post.slug


def turn_control(turn, selector: str):
    """A control of a turn in the editor, its More menu opened first when the control is in it."""
    control = turn.locator(selector)
    menu = turn.locator("details.turn-menu")
    in_menu = control.first.evaluate("el => el.closest('details.turn-menu') !== null")
    if in_menu and not menu.evaluate("menu => menu.open"):
        menu.locator("summary").click()
    return control
