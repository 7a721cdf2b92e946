"""Moderating the fediverse: replies decided from the CLI or the studio, blocked servers and
accounts, and each server's allowance of inbox requests."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from blog.extensions import db
from blog.federation import blocks, delivery
from blog.federation.keys import public_pem
from blog.federation.models import Block, Follower, Reaction, RemoteActor, RemoteComment
from blog.federation.signatures import sign_headers
from blog.models import LoginAttempt

from . import test_federation as federation
from .conftest import PASSWORD, migrated_app, run_queued
from .test_federation import BASE, INBOX, PEER, follow, reply, send

# The federating app and a remote actor whose key is stored, as the federation's tests have them.
app = federation.app
peer_key = federation.peer_key

BOB = "https://peer.invalid/users/bob"
OTHER = "https://other.example/users/cy"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def known_actor(app, uri: str) -> rsa.RSAPrivateKey:
    """Another remote actor whose key is stored, so no request leaves the machine."""
    key = new_key()
    with app.app_context():
        db.session.add(
            RemoteActor(
                uri=uri,
                key_id=f"{uri}#main-key",
                public_key_pem=public_pem(key),
                inbox=f"{uri}/inbox",
                name=uri.rsplit("/", 1)[1].title(),
                url=uri,
            )
        )
        db.session.commit()
    return key


def send_as(client, key, actor: str, activity: dict):
    """Post an activity signed by `actor`'s key (send() signs as PEER)."""
    return send(client, key, activity | {"actor": actor}, key_id=f"{actor}#main-key")


def like(post_id: int, actor: str = PEER, n: int = 1) -> dict:
    return {
        "id": f"{actor}#likes/{n}",
        "type": "Like",
        "actor": actor,
        "object": f"{BASE}/fediverse/posts/{post_id}",
    }


def reply_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(db.select(RemoteComment.id).order_by(RemoteComment.id)))


def count(app, table) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(table))


# Replies from the command line ------------------------------------------------------------------


def test_replies_lists_the_waiting_ones_on_one_line_each(app, client, make_post, peer_key):
    post_id = make_post("Discussed", publish=True)
    long_text = "<p>First paragraph &amp; more.</p><p>" + "word " * 60 + "</p>"
    send(client, peer_key, reply(post_id, long_text))
    send(client, peer_key, reply(post_id, "<p>Short one</p>", note_id=f"{PEER}/statuses/2"))
    first, second = reply_ids(app)
    with app.app_context():
        db.session.get(RemoteComment, second).approved = True
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["replies"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    reply_id, author, slug, received, excerpt = line.split("\t")
    assert int(reply_id) == first
    assert author == f"Ada <{PEER}>"
    assert slug == "discussed"
    assert len(received) == len("2026-12-06 19:40")
    assert excerpt.startswith("First paragraph & more. word word")
    assert len(excerpt) <= 80 and excerpt.endswith("word…")
    assert "1 reply waiting." in result.stderr

    everything = app.test_cli_runner().invoke(args=["replies", "--all"])
    states = [line.split("\t")[:2] for line in everything.stdout.splitlines()]
    assert states == [[str(first), "pending"], [str(second), "approved"]]


def test_no_replies_waiting_is_said(app):
    result = app.test_cli_runner().invoke(args=["replies"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "0 replies waiting." in result.stderr


@pytest.fixture
def mirrored(tmp_path):
    """A federating app with the static mirror on, its owner, and its mirror folder."""
    mirror = tmp_path / "mirror"
    settings = {"FEDERATION_ENABLED": True, "SITE_URL": BASE, "STATIC_MIRROR_DIR": str(mirror)}
    with migrated_app(tmp_path, **settings) as site:
        with site.app_context():
            from blog.accounts import create_user

            create_user("alice", PASSWORD, "Alice Author")
        run_queued(site)
        yield site, mirror


def test_approving_from_the_command_line_shows_the_reply_everywhere_readers_look(mirrored):
    site, mirror = mirrored
    from blog import posts as content

    with site.app_context():
        post = content.create_post(None, "Discussed")
        content.add_turn(post, "user", source="A question?")
        content.add_turn(post, "assistant", source="An answer.")
        content.publish(post, confirmed=True, mark_reviewed=True)
        post_id = post.id
    key = known_actor(site, PEER)
    client = site.test_client()
    assert client.get("/posts/discussed", base_url=BASE).status_code == 200  # now in the cache
    assert send(client, key, reply(post_id, "<p>Thoughtful words</p>")).status_code == 202
    page_file = mirror / "posts" / "discussed" / "index.html"
    assert "Thoughtful words" not in page_file.read_text()

    (reply_id,) = reply_ids(site)
    result = site.test_cli_runner().invoke(args=["approve", str(reply_id)])
    assert result.exit_code == 0, result.output
    assert f"Approved reply {reply_id} from Ada" in result.stdout
    assert "Thoughtful words" in client.get("/posts/discussed", base_url=BASE).get_data(True)
    assert "Thoughtful words" in page_file.read_text()


@pytest.mark.parametrize("command", ["approve", "reject"])
def test_an_unknown_or_decided_reply_is_refused_with_a_reason(
    app, client, make_post, peer_key, command
):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=[command, "9999"])
    assert unknown.exit_code == 1
    assert "There is no reply 9999." in unknown.output
    assert "flask --app app replies --all" in unknown.output

    post_id = make_post("Discussed", publish=True)
    send(client, peer_key, reply(post_id, "<p>Hi</p>"))
    (reply_id,) = reply_ids(app)
    assert runner.invoke(args=[command, str(reply_id)]).exit_code == 0
    for again in ("approve", "reject"):
        decided = runner.invoke(args=[again, str(reply_id)])
        assert decided.exit_code == 1
        done = "approved" if command == "approve" else "rejected"
        assert f"Reply {reply_id} is already {done}: nothing was changed." in decided.output
    assert runner.invoke(args=[command, "x"]).exit_code == 2  # not a number: click's usage error


def test_a_rejected_reply_stays_rejected_when_it_arrives_again_or_is_edited(
    app, client, make_post, peer_key
):
    post_id = make_post("Discussed", publish=True)
    note = reply(post_id, "<p>Spam spam</p>")
    send(client, peer_key, note)
    (reply_id,) = reply_ids(app)
    assert app.test_cli_runner().invoke(args=["reject", str(reply_id)]).exit_code == 0
    assert send(client, peer_key, note).get_data(as_text=True) == "already recorded"
    edited = reply(post_id, "<p>Spam again</p>") | {"type": "Update", "id": f"{PEER}#update/1"}
    assert send(client, peer_key, edited).status_code == 202
    with app.app_context():
        comment = db.session.get(RemoteComment, reply_id)
        assert comment.rejected_at is not None and comment.approved is False
    assert "Spam" not in client.get("/posts/discussed", base_url=BASE).get_data(as_text=True)
    assert app.test_cli_runner().invoke(args=["replies"]).stdout == ""


def test_the_studio_rejects_and_says_when_a_reply_was_already_decided(
    app, client, make_post, peer_key, author
):
    post_id = make_post("Discussed", publish=True)
    send(client, peer_key, reply(post_id, "<p>Not for here</p>"))
    (reply_id,) = reply_ids(app)
    answer = author.post(f"/studio/fediverse/replies/{reply_id}/reject")
    assert answer.status_code == 302
    page = author.get("/studio/fediverse/replies").get_data(as_text=True)
    assert "was rejected" in page and "fediverse-reply--rejected" in page
    assert f"/studio/fediverse/replies/{reply_id}/approve" not in page
    author.post(f"/studio/fediverse/replies/{reply_id}/approve")
    page = author.get("/studio/fediverse/replies").get_data(as_text=True)
    assert f"Reply {reply_id} is already rejected" in page
    assert "Not for here" not in client.get("/posts/discussed", base_url=BASE).get_data(True)
    assert author.post("/studio/fediverse/replies/9999/reject").status_code == 404


def test_deciding_in_the_studio_needs_the_csrf_token(app, client, make_post, peer_key, author):
    post_id = make_post("Discussed", publish=True)
    send(client, peer_key, reply(post_id, "<p>Hi</p>"))
    (reply_id,) = reply_ids(app)
    for action in ("approve", "reject", "delete"):
        forged = author.client.post(f"/studio/fediverse/replies/{reply_id}/{action}", base_url=BASE)
        assert forged.status_code == 400
    assert (
        author.client.post("/studio/fediverse/blocks", data={"target": "x.example"}).status_code
        == 400
    )
    assert count(app, Block) == 0


# Blocks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "target"),
    [
        ("example.social", "domain", "example.social"),
        ("  Example.Social. ", "domain", "example.social"),
        ("https://example.social/", "domain", "example.social"),
        ("https://Example.Social/users/ada", "actor", "https://example.social/users/ada"),
        ("https://gts.example/users/grace#main-key", "actor", "https://gts.example/users/grace"),
        ("https://host.example:8443/u/1", "actor", "https://host.example:8443/u/1"),
    ],
)
def test_a_block_names_a_server_or_an_account(text, kind, target):
    assert blocks.parse_target(text) == blocks.Target(kind, target)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Give a server's name"),
        ("@ada@example.social", "is a handle"),
        ("localhost", "is not a server's name"),
        ("exa mple.social", "is not a server's name"),
        ("ftp://example.social/users/ada", "is not an http(s) address"),
        ("x" * 501, "longer than any address"),
        ("a" * 64 + ".example", "is not a server's name"),
    ],
)
def test_what_is_not_a_server_or_an_account_is_refused_with_a_reason(text, reason):
    with pytest.raises(blocks.BlockError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        blocks.parse_target(text)


def test_a_blocked_server_is_refused_before_its_key_is_fetched(app, client):
    assert app.test_cli_runner().invoke(args=["block", "peer.invalid"]).exit_code == 0
    stranger = new_key()
    # Unblocked, an unknown key on an unresolvable host is a 401 after trying to fetch it.
    other = "https://nowhere.invalid/users/x"
    assert send_as(client, stranger, other, follow()).status_code == 401
    for actor in (PEER, "https://social.peer.invalid/users/zed"):
        answer = send_as(client, stranger, actor, follow())
        assert answer.status_code == 403, actor
        assert answer.get_data(as_text=True) == "this server or account is blocked here"
    # An activity claiming a blocked actor is refused whoever signs it.
    assert (
        send(client, stranger, follow() | {"actor": PEER}, key_id=f"{other}#k").status_code == 403
    )


def test_blocking_a_server_ends_its_follows_counts_and_replies(app, client, make_post, peer_key):
    post_id = make_post("Discussed", publish=True)
    bob = known_actor(app, BOB)
    cy = known_actor(app, OTHER)
    for key, actor in ((peer_key, PEER), (bob, BOB), (cy, OTHER)):
        assert send_as(client, key, actor, follow()).status_code == 202
        assert send_as(client, key, actor, like(post_id, actor)).status_code == 202
    send(client, peer_key, reply(post_id, "<p>Shown words</p>"))
    send(client, peer_key, reply(post_id, "<p>Waiting words</p>", note_id=f"{PEER}/statuses/2"))
    shown, waiting = reply_ids(app)
    app.test_cli_runner().invoke(args=["approve", str(shown)])
    assert "Shown words" in client.get("/posts/discussed", base_url=BASE).get_data(True)

    result = app.test_cli_runner().invoke(args=["block", "https://peer.invalid"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "Blocked the server peer.invalid: 2 followers removed, 2 likes and boosts no longer "
        "counted, 2 replies rejected."
    )
    with app.app_context():
        assert [f.actor_uri for f in db.session.scalars(db.select(Follower))] == [OTHER]
        assert delivery.inboxes() == [f"{OTHER}/inbox"]
        assert [r.actor_uri for r in db.session.scalars(db.select(Reaction))] == [OTHER]
        states = {
            c.id: c.rejected_at is not None for c in db.session.scalars(db.select(RemoteComment))
        }
        assert states == {shown: True, waiting: True}
    page = client.get("/posts/discussed", base_url=BASE).get_data(as_text=True)
    assert "Shown words" not in page and "1 like · 0 boosts" in page
    assert send(client, peer_key, like(post_id, PEER, 2)).status_code == 403
    assert app.test_cli_runner().invoke(args=["replies"]).stdout == ""

    again = app.test_cli_runner().invoke(args=["block", "peer.invalid"])
    assert again.exit_code == 1 and "The server peer.invalid is already blocked." in again.output


def test_blocking_an_account_leaves_the_rest_of_its_server(app, client, make_post, peer_key):
    post_id = make_post("Discussed", publish=True)
    bob = known_actor(app, BOB)
    result = app.test_cli_runner().invoke(args=["block", PEER])
    assert result.exit_code == 0 and result.stdout.startswith(f"Blocked the account {PEER}:")
    assert send(client, peer_key, like(post_id)).status_code == 403
    assert send_as(client, bob, BOB, like(post_id, BOB)).status_code == 202


def test_blocks_are_listed_and_lifted(app, client, make_post, peer_key):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["blocks"]).stdout == "Nobody is blocked.\n"
    runner.invoke(args=["block", "peer.invalid"])
    runner.invoke(args=["block", OTHER])
    listed = [line.split("\t")[:2] for line in runner.invoke(args=["blocks"]).stdout.splitlines()]
    assert listed == [["actor", OTHER], ["domain", "peer.invalid"]]

    missing = runner.invoke(args=["unblock", "never.example"])
    assert missing.exit_code == 1
    assert "The server never.example is not blocked: nothing was changed." in missing.output
    lifted = runner.invoke(args=["unblock", "https://peer.invalid/"])
    assert lifted.exit_code == 0 and lifted.stdout == "Unblocked the server peer.invalid.\n"
    assert send(client, peer_key, follow()).status_code == 202


def test_the_studio_blocks_and_unblocks_without_javascript(
    app, client, make_post, peer_key, author
):
    post_id = make_post("Discussed", publish=True)
    send(client, peer_key, reply(post_id, "<p>Hello</p>"))
    replies_page = author.get("/studio/fediverse/replies").get_data(as_text=True)
    assert 'name="target" value="peer.invalid"' in replies_page
    assert f'name="target" value="{PEER}"' in replies_page
    answer = author.post("/studio/fediverse/blocks", {"target": "peer.invalid", "back": "replies"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/replies")
    page = author.get("/studio/fediverse/replies").get_data(as_text=True)
    assert "Blocked the server peer.invalid: 0 followers removed" in page
    assert "1 reply rejected." in page

    refused = author.post("/studio/fediverse/blocks", {"target": "@ada@peer.invalid"})
    assert refused.headers["Location"].endswith("/studio/fediverse/blocks")
    blocks_page = author.get("/studio/fediverse/blocks").get_data(as_text=True)
    assert "is a handle" in blocks_page and "peer.invalid" in blocks_page
    with app.app_context():
        block_id = db.session.scalar(db.select(Block.id))
    assert author.post(f"/studio/fediverse/blocks/{block_id}/delete").status_code == 302
    assert "Unblocked the server peer.invalid" in author.get("/studio/fediverse/blocks").get_data(
        as_text=True
    )
    assert count(app, Block) == 0
    assert author.post(f"/studio/fediverse/blocks/{block_id}/delete").status_code == 404


def test_the_blocks_page_needs_sign_in(client):
    answer = client.get("/studio/fediverse/blocks", base_url=BASE)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_delivery_queued_before_the_block_is_not_sent(app, caplog):
    huey = app.extensions["import_queue"].huey
    app.extensions["federation_queue"].deliver("https://peer.invalid/inbox", "{}")
    app.test_cli_runner().invoke(args=["block", "peer.invalid"])
    huey.execute(huey.dequeue())
    # Unblocked, peer.invalid (which does not resolve) would be tried again later.
    assert huey.pending() == [] and huey.scheduled() == []
    assert "could not be reached" not in caplog.text


# Each server's allowance ----------------------------------------------------------------------


def ignored(n: int, actor: str = PEER) -> dict:
    """An activity the inbox verifies and then ignores: what a flood costs, and no more."""
    return {"id": f"{actor}#poke/{n}", "type": "Poke", "actor": actor}


def test_a_server_past_its_allowance_is_answered_429_with_retry_after(app, client, peer_key):
    app.config["FEDERATION_INBOX_PER_HOST_PER_MINUTE"] = 3
    cy = known_actor(app, OTHER)
    assert [send(client, peer_key, ignored(n)).status_code for n in range(3)] == [202] * 3
    bob = known_actor(app, BOB)  # the same server as PEER: the same allowance
    for answer in (send(client, peer_key, ignored(4)), send_as(client, bob, BOB, ignored(5, BOB))):
        assert answer.status_code == 429
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert send_as(client, cy, OTHER, ignored(6, OTHER)).status_code == 202
    with app.app_context():
        # Refused requests are not counted: a flood leaves the allowance's rows, no more.
        kept = db.select(db.func.count()).where(LoginAttempt.key == "inbox:peer.invalid")
        assert db.session.scalar(kept) == 3


def test_forged_requests_do_not_spend_a_servers_allowance(app, client, peer_key):
    app.config["FEDERATION_INBOX_PER_HOST_PER_MINUTE"] = 2
    forger = new_key()
    # Signed with another key under PEER's key id: refused, and not counted against PEER's server.
    # A known key that does not verify is fetched again (it may have rotated): that allowance
    # runs out, not the one PEER's server posts under.
    assert [send(client, forger, ignored(n)).status_code for n in range(4)] == [401, 401, 429, 429]
    assert [send(client, peer_key, ignored(n)).status_code for n in range(3)] == [202, 202, 429]


def test_keys_to_fetch_are_limited_before_they_are_fetched(app, client):
    app.config["FEDERATION_INBOX_PER_HOST_PER_MINUTE"] = 2
    stranger = new_key()
    answers = [
        send_as(client, stranger, f"https://peer.invalid/users/new{n}", ignored(n)).status_code
        for n in range(4)
    ]
    # The first two are fetched (peer.invalid does not resolve: 401); then no fetch is tried.
    assert answers == [401, 401, 429, 429]


def test_parallel_posts_from_one_server_get_at_most_the_allowance(app, peer_key):
    limit = 5
    app.config["FEDERATION_INBOX_PER_HOST_PER_MINUTE"] = limit

    def post(n: int) -> int:
        return send(app.test_client(), peer_key, ignored(n)).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(post, range(30)))
    assert set(statuses) <= {202, 429}
    assert 1 <= statuses.count(202) <= limit


def test_no_allowance_when_the_setting_is_zero(app, client, peer_key):
    app.config["FEDERATION_INBOX_PER_HOST_PER_MINUTE"] = 0
    assert {send(client, peer_key, ignored(n)).status_code for n in range(5)} == {202}
    assert count(app, LoginAttempt) == 0


def test_an_inbox_body_without_a_length_is_bounded_too(app, client, peer_key):
    activity = follow() | {"padding": "x" * app.config["FORM_MAX_BYTES"]}
    body = json.dumps(activity).encode()
    headers = sign_headers("POST", INBOX, body, peer_key, f"{PEER}#main-key")
    headers["Content-Type"] = "application/activity+json"
    answer = client.post(
        INBOX,
        input_stream=io.BytesIO(body),
        headers=headers,
        base_url=BASE,
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert answer.status_code == 413
    assert count(app, Follower) == 0
