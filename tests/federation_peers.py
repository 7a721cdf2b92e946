"""What the tests against real fediverse servers share: the blog served over HTTPS on loopback,
a client that trusts the run's throwaway CA, and a published post.

Each peer runs as its own process with a certificate from the same CA (tests/throwaway_ca.py);
the blog trusts that CA through `FEDERATION_CA_BUNDLE`, the peers through their runtime's own
setting, so every request between them is verified TLS.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from blog import create_app
from blog import posts as content
from blog.extensions import db
from blog.federation.signatures import sign_headers

from .conftest import app_settings, run_queued
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


@contextmanager
def peer_process(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """A peer server started by `command`, its base address (from the "listening PORT" line it
    prints) while it runs."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, text=True, env={**os.environ, **env}
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("listening "), f"the peer did not start: {line!r}"
        yield f"https://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def received(peer: str, ca: ThrowawayCA, kind: str) -> list[dict]:
    """The activities of this type the peer has received and verified."""
    return [a for a in call(f"{peer}/control/received", ca) if a.get("type") == kind]


def like_and_reply_kept(app, base: str, ca: ThrowawayCA, post_id: int) -> None:
    """The peer's like is counted on the post's page, its reply kept waiting, not shown."""
    from blog.federation.models import Reaction, RemoteComment

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Reaction.id))) == 1
        reply = db.session.scalar(db.select(RemoteComment))
        assert reply is not None, "the reply was not stored"
        assert reply.post_id == post_id and reply.approved is False
        assert "Also volcanoes!" in reply.content_html
    shown = page(f"{base}/posts/the-salty-sea", ca)
    assert "1 like" in shown and "Also volcanoes!" not in shown


def update_and_delete_reach(app, peer: str, ca: ThrowawayCA, post_id: int, object_id: str):
    """The post updated, then deleted: the peer receives the Article's Update, then its Delete."""
    from blog.models import Post

    with app.app_context():
        post = db.session.get(Post, post_id)
        content.update_post(post, {"title": "The salty sea, revised"}, None)
        content.publish(post, confirmed=True)
    run_queued(app)
    (updated,) = [a for a in received(peer, ca, "Update") if a["object"]["type"] == "Article"]
    assert updated["object"]["name"] == "The salty sea, revised"

    with app.app_context():
        content.delete_post(db.session.get(Post, post_id))
    run_queued(app)
    (deleted,) = received(peer, ca, "Delete")
    gone = deleted["object"]
    assert (gone["id"] if isinstance(gone, dict) else gone) == object_id


def forged_delivery_refused(base: str, peer: str, ca: ThrowawayCA, inbox: str, **extra) -> None:
    """An activity in the blog's name signed with another key: the peer answers 401 and keeps
    nothing of it."""
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{base}/fediverse/actor#forged",
            "type": "Create",
            "actor": f"{base}/fediverse/actor",
            **extra,
            "object": {"id": f"{base}/fediverse/posts/1", "type": "Note", "content": "forged"},
        }
    ).encode()
    headers = sign_headers("POST", inbox, body, stranger, f"{base}/fediverse/actor#main-key")
    headers["Content-Type"] = "application/activity+json"
    request = urllib.request.Request(inbox, data=body, headers=headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60, context=ca.client_context())
    assert refused.value.code == 401
    refused.value.close()
    assert received(peer, ca, "Create") == []
