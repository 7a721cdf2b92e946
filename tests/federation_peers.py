"""What the tests against real fediverse servers share: the blog served over HTTPS on loopback,
a client that trusts the run's throwaway CA, and a published post.

Each peer runs as its own process with a certificate from the same CA (tests/throwaway_ca.py);
the blog trusts that CA through `FEDERATION_CA_BUNDLE`, the peers through their runtime's own
setting, so every request between them is verified TLS.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from blog import create_app
from blog import posts as content
from blog.extensions import db

from .conftest import app_settings
from .throwaway_ca import ThrowawayCA


def require(runtime: str, present: bool) -> None:
    """Skip without a peer's runtime; but fail where the environment insists (CI)."""
    if present:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI"):
        pytest.fail(f"{runtime} is not installed, and CI demands the federation peer tests run")
    pytest.skip(f"{runtime} is not installed")


def call(
    url: str,
    ca: ThrowawayCA,
    payload: dict | None = None,
    accept: str = "application/json",
) -> object:
    """A peer's control address or the blog, over TLS checked against the CA; its JSON."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", "Accept": accept}
    )
    try:
        with urllib.request.urlopen(request, timeout=60, context=ca.client_context()) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{url} answered {error.code}: {error.read().decode()}") from error


def page(url: str, ca: ThrowawayCA) -> str:
    with urllib.request.urlopen(url, timeout=30, context=ca.client_context()) as response:
        return response.read().decode()


class Later:
    """A WSGI app handed to the server before the app exists (its address is its SITE_URL)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@contextmanager
def https_site(tmp_path: Path, ca: ThrowawayCA) -> Iterator[tuple[object, str]]:
    """The blog, federating, served over HTTPS on loopback; (app, base address)."""
    later = Later()
    server = make_server("127.0.0.1", 0, later, threaded=True, ssl_context=ca.server_context())
    base = f"https://127.0.0.1:{server.server_port}"
    app = create_app(
        app_settings(
            tmp_path,
            SERVER_NAME=None,
            PREFERRED_URL_SCHEME="https",
            FEDERATION_ENABLED=True,
            FEDERATION_CA_BUNDLE=str(ca.ca_file),
            SITE_URL=base,
        )
    )
    with app.app_context():
        upgrade()
    later.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, base
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def published(app, owner_id: int, title: str) -> int:
    """A post by the owner, published; its id."""
    from blog.models import User

    with app.app_context():
        post = content.create_post(db.session.get(User, owner_id), title)
        content.add_turn(post, "user", source="Why is the sea salty?")
        content.add_turn(post, "assistant", source="Rivers carry dissolved minerals to it.")
        content.publish(post, confirmed=True, mark_reviewed=True)
        return post.id
