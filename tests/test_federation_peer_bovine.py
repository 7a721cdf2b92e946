"""The blog against a second real fediverse server: bovine-herd (tests/federation_peer_bovine/).

bovine-herd is a Python ActivityPub server with its own signing and verifying code, and it
insists on signed fetches of its actor. It runs in its own virtualenv (.venv-bovine, made by
install.py from pinned requirements) and serves HTTPS with a certificate from the run's
throwaway CA, as the blog does; each verifies the other's certificate and signatures.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from blog.accounts import create_user
from blog.extensions import db
from blog.federation.models import Follower

from .conftest import run_queued
from .federation_peers import (
    call,
    forged_delivery_refused,
    https_site,
    like_and_reply_kept,
    peer_process,
    published,
    received,
    update_and_delete_reach,
)
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
    command = [str(peer_python), str(PEER_DIR / "peer.py"), str(ca.cert_file), str(ca.key_file)]
    with peer_process(command, data, {"SSL_CERT_FILE": str(ca.ca_file)}) as address:
        yield address


@pytest.fixture
def site(tmp_path, ca) -> Iterator[tuple[object, str]]:
    with https_site(tmp_path / "blog", ca) as served:
        yield served


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
    like_and_reply_kept(app, base, ca, post_id)

    # The post's Update, then its Delete, reach the peer.
    update_and_delete_reach(app, peer, ca, post_id, article["id"])

    # The peer unfollows: its Undo{Follow} is verified and the follower is gone.
    call(f"{peer}/control/unfollow", ca, {"follow": accept["object"]["id"]})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Follower.id))) == 0


def test_bovine_refuses_a_delivery_our_key_did_not_sign(site, peer, ca):
    """The peer's checks are real: an activity in our name signed with another key is refused."""
    _app, base = site
    addresses = call(f"{peer}/control/actor", ca)
    forged_delivery_refused(base, peer, ca, addresses["inbox"], to=[addresses["id"]])
