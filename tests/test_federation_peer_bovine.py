"""The blog against a second real fediverse server: bovine-herd (tests/federation_peer_bovine/).

bovine-herd is a Python ActivityPub server with its own signing and verifying code, and it
insists on signed fetches of its actor. It runs in its own virtualenv (.venv-bovine, made by
install.py from pinned requirements) and serves HTTPS with a certificate from the run's
throwaway CA, as the blog does; each verifies the other's certificate and signatures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from blog import posts as content
from blog.accounts import create_user
from blog.extensions import db
from blog.federation.models import Follower, Reaction, RemoteComment
from blog.federation.signatures import sign_headers
from blog.models import Post

from .conftest import run_queued
from .federation_peers import call, https_site, page, published
from .throwaway_ca import ThrowawayCA, make_throwaway_ca

ROOT = Path(__file__).resolve().parents[1]
PEER_DIR = ROOT / "tests" / "federation_peer_bovine"
PEER_VENV = ROOT / ".venv-bovine"


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> ThrowawayCA:
    return make_throwaway_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def peer_python() -> Path:
    """The peer's virtualenv's interpreter, made by install.py if it is missing or stale."""
    subprocess.run([sys.executable, str(PEER_DIR / "install.py"), str(PEER_VENV)], check=True)
    return PEER_VENV / "bin" / "python"


@pytest.fixture
def peer(peer_python, ca, tmp_path) -> Iterator[str]:
    """The bovine-herd peer's base address, while its process runs."""
    data = tmp_path / "bovine"
    data.mkdir()
    process = subprocess.Popen(
        [str(peer_python), str(PEER_DIR / "peer.py"), str(ca.cert_file), str(ca.key_file)],
        cwd=data,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "SSL_CERT_FILE": str(ca.ca_file)},
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("listening "), f"the peer did not start: {line!r}"
        yield f"https://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.fixture
def site(tmp_path, ca) -> Iterator[tuple[object, str]]:
    with https_site(tmp_path / "blog", ca) as served:
        yield served


def received(peer: str, ca: ThrowawayCA, kind: str) -> list[dict]:
    return [a for a in call(f"{peer}/control/received", ca) if a.get("type") == kind]


def test_a_bovine_peer_follows_receives_posts_and_talks_back(site, peer, ca):
    app, base = site
    actor = f"{base}/fediverse/actor"
    peer_actor = call(f"{peer}/control/actor", ca)["id"]
    with app.app_context():
        owner = create_user("alice", "correct horse battery staple", "Alice Author").id

    # bovine looks our actor up, signs a Follow; our inbox fetches its actor (a signed GET,
    # which bovine-herd insists on) to verify it, and queues the Accept.
    call(f"{peer}/control/follow", ca, {"actor": actor})
    with app.app_context():
        follower = db.session.scalar(db.select(Follower))
        assert follower.actor_uri == peer_actor
    run_queued(app)
    (accept,) = received(peer, ca, "Accept")
    assert accept["actor"] == actor
    assert accept["object"]["type"] == "Follow" and accept["object"]["actor"] == peer_actor

    # Publishing sends a Create that bovine-herd's inbox accepts (signature verified).
    post_id = published(app, owner, "The salty sea")
    run_queued(app)
    (created,) = received(peer, ca, "Create")
    article = created["object"]
    assert article["type"] == "Article"
    assert article["name"] == "The salty sea"
    assert article["id"] == f"{base}/fediverse/posts/{post_id}"
    assert "Rivers carry dissolved minerals" in article["content"]

    # bovine fetches the Article, likes it and replies; our inbox verifies bovine's signatures.
    call(f"{peer}/control/like", ca, {"object": article["id"]})
    call(
        f"{peer}/control/reply",
        ca,
        {"inReplyTo": article["id"], "content": "<p>Also volcanoes!</p>"},
    )
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Reaction.id))) == 1
        reply = db.session.scalar(db.select(RemoteComment))
        assert reply is not None, "the reply was not stored"
        assert reply.post_id == post_id and reply.approved is False
        assert "Also volcanoes!" in reply.content_html
    shown = page(f"{base}/posts/the-salty-sea", ca)
    assert "1 like" in shown and "Also volcanoes!" not in shown

    # An Update reaches the peer when the post is updated.
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.update_post(post, {"title": "The salty sea, revised"}, None)
        content.publish(post, confirmed=True)
    run_queued(app)
    (updated,) = [a for a in received(peer, ca, "Update") if a["object"]["type"] == "Article"]
    assert updated["object"]["name"] == "The salty sea, revised"

    # Deleting the post sends a Delete.
    with app.app_context():
        content.delete_post(db.session.get(Post, post_id))
    run_queued(app)
    (deleted,) = received(peer, ca, "Delete")
    gone = deleted["object"]
    assert (gone["id"] if isinstance(gone, dict) else gone) == article["id"]

    # The peer unfollows: its Undo{Follow} is verified and the follower is gone.
    call(f"{peer}/control/unfollow", ca, {"follow": accept["object"]["id"]})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Follower.id))) == 0


def test_bovine_refuses_a_delivery_our_key_did_not_sign(site, peer, ca):
    """The peer's checks are real: an activity in our name signed with another key is refused."""
    app, base = site
    addresses = call(f"{peer}/control/actor", ca)
    peer_actor, inbox = addresses["id"], addresses["inbox"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{base}/fediverse/actor#forged",
            "type": "Create",
            "actor": f"{base}/fediverse/actor",
            "to": [peer_actor],
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
