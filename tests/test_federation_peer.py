"""The blog against a real fediverse server: a Fedify peer (tests/federation_peer/) on loopback.

Fedify verifies every signature the blog sends with its own code and signs what it sends the blog;
nothing on either side is mocked. Both serve HTTPS with certificates from a throwaway CA and
verify each other's. Skipped when Node.js is not installed (but not in CI).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from blog import posts as content
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
    require,
    update_and_delete_reach,
)
from .throwaway_ca import ThrowawayCA, make_throwaway_ca

PEER_DIR = Path(__file__).resolve().parent / "federation_peer"


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> ThrowawayCA:
    return make_throwaway_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def peer_installed() -> Path:
    require("Node.js", shutil.which("node") is not None and shutil.which("npm") is not None)
    if not (PEER_DIR / "node_modules" / "@fedify" / "fedify").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True, timeout=600
        )
    return PEER_DIR


@pytest.fixture
def peer(peer_installed, ca) -> Iterator[str]:
    """The Fedify peer's base address, while its process runs."""
    env = {
        "PEER_CERT": str(ca.cert_file),
        "PEER_KEY": str(ca.key_file),
        "NODE_EXTRA_CA_CERTS": str(ca.ca_file),
    }
    with peer_process(["node", "peer.mjs"], peer_installed, env) as address:
        yield address


@pytest.fixture
def site(tmp_path, ca) -> Iterator[tuple[object, str]]:
    """The blog, federating, served over HTTPS on loopback; (app, base address)."""
    with https_site(tmp_path, ca) as served:
        yield served


def test_a_fedify_peer_follows_receives_posts_and_talks_back(site, peer, ca):
    app, base = site
    actor = f"{base}/fediverse/actor"
    from blog.accounts import create_user
    from blog.models import User

    with app.app_context():
        owner = create_user("alice", "correct horse battery staple", "Alice Author").id
    published(app, owner, "Before the follow")
    run_queued(app)  # nobody follows yet: nothing is sent

    # Fedify fetches our actor, signs a Follow; our inbox verifies it and queues the Accept.
    call(f"{peer}/control/follow", ca, {"actor": actor})
    with app.app_context():
        follower = db.session.scalar(db.select(Follower))
        assert follower.actor_uri == f"{peer}/users/peer"
        assert follower.shared_inbox == f"{peer}/inbox"
    run_queued(app)
    (accept,) = received(peer, ca, "Accept")
    assert accept["actor"] == actor
    assert accept["object"]["type"] == "Follow"

    # The back catalogue, as Fedify reads our outbox.
    outbox = call(f"{actor}/outbox?page=1", ca, accept="application/activity+json")
    assert [item["object"]["name"] for item in outbox["orderedItems"]] == ["Before the follow"]

    # Publishing sends a Create that Fedify accepts (signature verified) into its inbox.
    post_id = published(app, owner, "The salty sea")
    run_queued(app)
    (created,) = received(peer, ca, "Create")
    article = created["object"]
    assert article["type"] == "Article"
    assert article["name"] == "The salty sea"
    assert article["id"] == f"{base}/fediverse/posts/{post_id}"
    assert "AI" in article["content"] and "Rivers carry dissolved minerals" in article["content"]
    assert "CC BY-NC-SA 4.0" in article["content"]

    # The peer likes it and replies; our inbox verifies Fedify's signatures.
    call(f"{peer}/control/like", ca, {"actor": actor, "object": article["id"]})
    call(
        f"{peer}/control/reply",
        ca,
        {"actor": actor, "inReplyTo": article["id"], "content": "<p>Also volcanoes!</p>"},
    )
    like_and_reply_kept(app, base, ca, post_id)

    # The post's Update, then its Delete, reach the peer.
    update_and_delete_reach(app, peer, ca, post_id, article["id"])

    draft_title = "Tides from the shell"
    # From the command line, as an author would: publish delivers a Create carrying the
    # disclosure and the license link; unpublish delivers its Delete. (The deleted post's id
    # is never given again: a new post under it would be taken for the deleted one.)
    with app.app_context():
        draft = content.create_post(db.session.get(User, owner), draft_title)
        content.add_turn(draft, "user", source="Why are there two tides a day?")
        content.add_turn(draft, "assistant", source="The Moon pulls the near and far sides.")
        slug, cli_post_id = draft.slug, draft.id
    runner = app.test_cli_runner()
    result = runner.invoke(args=["publish", slug, "--reviewed", "--yes"])
    assert result.exit_code == 0, result.output
    run_queued(app)
    (from_cli,) = [a for a in received(peer, ca, "Create") if a["object"]["name"] == draft_title]
    assert from_cli["object"]["id"] == f"{base}/fediverse/posts/{cli_post_id}"
    assert "AI" in from_cli["object"]["content"]
    assert "creativecommons.org/licenses/by-nc-sa/4.0" in from_cli["object"]["content"]
    result = runner.invoke(args=["unpublish", slug])
    assert result.exit_code == 0, result.output
    run_queued(app)
    withdrawn = [a["object"] for a in received(peer, ca, "Delete")]
    assert from_cli["object"]["id"] in [o["id"] if isinstance(o, dict) else o for o in withdrawn]

    # The peer unfollows: its Undo{Follow} is verified and the follower is gone.
    call(f"{peer}/control/unfollow", ca, {"actor": actor, "follow": accept["object"]["id"]})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Follower.id))) == 0


def test_fedify_reads_our_nodeinfo_strictly(site, peer, ca):
    app, base = site
    info = call(f"{peer}/control/nodeinfo?site={base}/", ca)
    assert info == {"software": "colloquy", "protocols": ["activitypub"], "localPosts": 0}


def test_the_peer_refuses_a_delivery_our_key_did_not_sign(site, peer, ca):
    """The peer's checks are real: an activity in our name signed with another key is refused."""
    _app, base = site
    forged_delivery_refused(base, peer, ca, f"{peer}/inbox")
