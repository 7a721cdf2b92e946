"""ActivityPub: discovery documents, the outbox, signed inbox requests, delivery and Tombstones."""

from __future__ import annotations

import http.server
import json
import stat
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask_migrate import upgrade
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from blog import changes, create_app
from blog import posts as content
from blog.extensions import db
from blog.federation import delivery
from blog.federation.identity import FederationSettingsError
from blog.federation.keys import KEY_FILE, public_pem
from blog.federation.models import FederatedPost, Follower, Reaction, RemoteActor, RemoteComment
from blog.federation.remote import RemoteError, fetch_json, same_origin, store_actor
from blog.federation.signatures import sign_headers
from blog.models import Post

from .conftest import app_settings, migrated_app, run_queued

BASE = "https://blog.test"
ACTOR = f"{BASE}/fediverse/actor"
INBOX = f"{ACTOR}/inbox"
PEER = "https://peer.invalid/users/ada"
AP = {"Accept": "application/activity+json"}


@pytest.fixture
def app(tmp_path):
    with migrated_app(tmp_path, FEDERATION_ENABLED=True, SITE_URL=BASE) as app:
        yield app


@pytest.fixture
def peer_key(app):
    """A remote actor we already know (its key stored), so no request leaves the machine."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with app.app_context():
        db.session.add(
            RemoteActor(
                uri=PEER,
                key_id=f"{PEER}#main-key",
                public_key_pem=public_pem(key),
                inbox=f"{PEER}/inbox",
                shared_inbox="https://peer.invalid/inbox",
                name="Ada",
                url="https://peer.invalid/@ada",
            )
        )
        db.session.commit()
    return key


def send(client, key, activity: dict, *, url: str = INBOX, now=None, key_id=None, tamper=False):
    body = json.dumps(activity).encode()
    headers = sign_headers("POST", url, body, key, key_id or f"{PEER}#main-key", now=now)
    if tamper:
        body = body.replace(b"Ada", b"Eve") if b"Ada" in body else body + b" "
    headers["Content-Type"] = "application/activity+json"
    return client.post(url, data=body, headers=headers, base_url=BASE)


def follow(activity_id: str = f"{PEER}#follows/1") -> dict:
    return {"id": activity_id, "type": "Follow", "actor": PEER, "object": ACTOR}


def queued_names(app) -> list[str]:
    huey = app.extensions["import_queue"].huey
    return [task.name for task in huey.pending()]


# Settings -------------------------------------------------------------------------------------


def test_federation_is_off_by_default(tmp_path):
    app = create_app(app_settings(tmp_path))
    with app.app_context():
        upgrade()
    client = app.test_client()
    try:
        assert client.get("/.well-known/webfinger?resource=acct:blog@blog.test").status_code == 404
        assert client.get("/fediverse/actor", headers=AP).status_code == 404
        assert client.post("/fediverse/inbox", data=b"{}").status_code in (400, 404)
    finally:
        # Its own app: its connections closed here, not left for the collector (PostgreSQL).
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    ("site_url", "problem"),
    [("", "needs SITE_URL"), ("http://blog.example.org", "https"), (f"{BASE}/blog", "root")],
)
def test_settings_that_cannot_federate_are_refused(tmp_path, site_url, problem):
    with pytest.raises(FederationSettingsError, match=problem):
        create_app(app_settings(tmp_path, FEDERATION_ENABLED=True, SITE_URL=site_url))


@pytest.mark.parametrize("site_url", ["http://127.0.0.1:8000", "http://localhost", "http://[::1]"])
def test_plain_http_is_accepted_on_loopback(tmp_path, site_url):
    app = create_app(app_settings(tmp_path, FEDERATION_ENABLED=True, SITE_URL=site_url))
    assert "federation" in app.blueprints
    with app.app_context():
        db.engine.dispose()


# Discovery ------------------------------------------------------------------------------------


def test_webfinger_finds_the_actor(client):
    answer = client.get("/.well-known/webfinger?resource=acct:blog@blog.test", base_url=BASE)
    assert answer.status_code == 200
    assert answer.mimetype == "application/jrd+json"
    document = answer.get_json(force=True)
    assert document["subject"] == "acct:blog@blog.test"
    assert {"rel": "self", "type": "application/activity+json", "href": ACTOR} in document["links"]
    unknown = client.get("/.well-known/webfinger?resource=acct:alice@blog.test", base_url=BASE)
    assert unknown.status_code == 404
    assert client.get("/.well-known/webfinger", base_url=BASE).status_code == 400


def test_nodeinfo_counts_public_posts_only(client, make_post):
    make_post("Public", publish=True)
    make_post("Unlisted", publish=True, status="unlisted")
    make_post("Draft")
    links = client.get("/.well-known/nodeinfo", base_url=BASE).get_json()
    href = links["links"][0]["href"]
    assert href == f"{BASE}/nodeinfo/2.1"
    document = client.get("/nodeinfo/2.1", base_url=BASE).get_json(force=True)
    assert document["version"] == "2.1"
    assert document["protocols"] == ["activitypub"]
    assert document["openRegistrations"] is False
    assert document["usage"]["localPosts"] == 1


def test_actor_document_names_the_blog_and_carries_its_key(app, client):
    answer = client.get("/fediverse/actor", headers=AP, base_url=BASE)
    assert answer.status_code == 200
    assert answer.mimetype == "application/activity+json"
    actor = answer.get_json(force=True)
    assert actor["id"] == ACTOR
    assert actor["preferredUsername"] == "blog"
    assert actor["name"] == app.config["SITE_TITLE"]
    assert actor["inbox"] == INBOX
    assert actor["publicKey"]["owner"] == ACTOR
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert {field["name"] for field in actor["attachment"]} == {"Site", "License"}
    assert actor["icon"] == {
        "type": "Image",
        "mediaType": "image/png",
        "url": f"{BASE}/static/avatar.png",
    }
    picture = client.get("/static/avatar.png", base_url=BASE)
    assert picture.status_code == 200 and picture.data.startswith(b"\x89PNG")
    picture.close()
    key_file = app.instance_path + "/" + KEY_FILE
    assert stat.S_IMODE(__import__("os").stat(key_file).st_mode) == 0o600
    again = client.get("/fediverse/actor", headers=AP, base_url=BASE).get_json(force=True)
    assert again["publicKey"] == actor["publicKey"]


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("accept", [None, "*/*", 'application/ld+json; profile="x"'])
def test_a_client_that_does_not_ask_for_a_page_gets_the_actor(client, accept):
    headers = {"Accept": accept} if accept else {}
    answer = client.get("/fediverse/actor", headers=headers, base_url=BASE)
    assert answer.status_code == 200 and answer.mimetype == "application/activity+json"


def test_a_browser_at_the_actor_is_sent_to_the_home_page(client):
    answer = client.get("/fediverse/actor", headers={"Accept": BROWSER}, base_url=BASE)
    assert answer.status_code == 302
    assert answer.headers["Location"] in ("/", f"{BASE}/")
    assert "Accept" in answer.headers["Vary"]


def test_outbox_lists_every_public_post_and_no_draft_or_unlisted_one(app, client, make_post):
    for n in range(3):
        make_post(f"Public {n}", publish=True)
    make_post("Unlisted one", publish=True, status="unlisted")
    make_post("Draft one")
    app.config["FEDERATION_OUTBOX_PAGE_SIZE"] = 2
    collection = client.get("/fediverse/actor/outbox", headers=AP, base_url=BASE).get_json(
        force=True
    )
    assert collection["type"] == "OrderedCollection"
    assert collection["totalItems"] == 3
    titles = []
    page_url = collection["first"]
    while page_url:
        page = client.get(page_url, headers=AP, base_url=BASE).get_json(force=True)
        assert all(item["type"] == "Create" for item in page["orderedItems"])
        titles += [item["object"]["name"] for item in page["orderedItems"]]
        page_url = page.get("next")
    assert sorted(titles) == ["Public 0", "Public 1", "Public 2"]


def test_an_article_carries_the_disclosure_and_the_license(app, client, make_post):
    post_id = make_post("About tides", [("user", "Why tides?"), ("assistant", "The moon.")])
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.update_post(post, {"license": "cc-by-4.0"}, None)
        content.publish(post, confirmed=True, mark_reviewed=True)
    article = client.get(f"/fediverse/posts/{post_id}", headers=AP, base_url=BASE).get_json(
        force=True
    )
    assert article["type"] == "Article"
    assert article["name"] == "About tides"
    assert article["attributedTo"] == ACTOR
    assert article["url"] == f"{BASE}/posts/about-tides"
    assert "AI" in article["content"] and "Why tides?" in article["content"]
    assert "The moon." in article["content"]
    assert "CC BY 4.0" in article["content"]
    assert article["license"] == "https://creativecommons.org/licenses/by/4.0/"
    # Mastodon shows an Article's name, summary and link: the summary carries the disclosure.
    assert article["summary"].startswith("<p>Why tides?</p>")
    page = client.get("/posts/about-tides", base_url=BASE)
    sentence = article["content"].split("<em>", 1)[1].split("</em>", 1)[0]
    assert sentence in page.get_data(as_text=True)
    assert f"<em>{sentence}</em>" in article["summary"]
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in article["summary"]
    assert "CC BY 4.0" in article["summary"]


def test_public_post_pages_point_at_their_article(client, make_post):
    post_id = make_post("Linked", publish=True)
    make_post("Hidden", publish=True, status="unlisted")
    alternate = f"{BASE}/fediverse/posts/{post_id}"
    for _ in range(2):  # the second answer comes from the page cache
        page = client.get("/posts/linked", base_url=BASE).get_data(as_text=True)
        assert f'type="application/activity+json" href="{alternate}"' in page
    unlisted = client.get("/posts/hidden", base_url=BASE)
    assert "application/activity+json" not in unlisted.get_data(as_text=True)


def test_drafts_and_unlisted_posts_have_no_article(client, make_post):
    draft = make_post("Draft")
    unlisted = make_post("Unlisted", publish=True, status="unlisted")
    for post_id in (draft, unlisted):
        assert (
            client.get(f"/fediverse/posts/{post_id}", headers=AP, base_url=BASE).status_code == 404
        )


# Signed inbox ---------------------------------------------------------------------------------


def test_a_signed_follow_is_accepted_and_queues_a_signed_accept(app, client, peer_key):
    answer = send(client, peer_key, follow())
    assert answer.status_code == 202, answer.get_data(as_text=True)
    with app.app_context():
        follower = db.session.scalar(db.select(Follower))
        assert follower.actor_uri == PEER
        assert delivery.inboxes() == ["https://peer.invalid/inbox"]
    assert queued_names(app) == ["federation_deliver"]
    task = app.extensions["import_queue"].huey.pending()[0]
    inbox, body = task.args[:2]
    assert inbox == f"{PEER}/inbox"  # an Accept goes to the follower's own inbox
    accept = json.loads(body)
    assert accept["type"] == "Accept" and accept["object"]["id"] == f"{PEER}#follows/1"
    followers = client.get("/fediverse/actor/followers", headers=AP, base_url=BASE)
    assert followers.get_json(force=True)["totalItems"] == 1


def test_undo_follow_removes_the_follower(app, client, peer_key):
    send(client, peer_key, follow())
    undo = {"id": f"{PEER}#undo/1", "type": "Undo", "actor": PEER, "object": follow()}
    assert send(client, peer_key, undo).status_code == 202
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Follower.id))) == 0


def test_unsigned_requests_are_refused_with_401(client):
    body = json.dumps(follow())
    answer = client.post(
        INBOX, data=body, headers={"Content-Type": "application/activity+json"}, base_url=BASE
    )
    assert answer.status_code == 401
    for stranger in (b"{}", b"not json", b'{"type": "Follow"}'):
        answer = client.post(INBOX, data=stranger, base_url=BASE)
        assert answer.status_code == 401, stranger


def test_a_body_changed_after_signing_is_refused(client, peer_key):
    assert send(client, peer_key, follow(), tamper=True).status_code == 401


def test_a_signature_by_another_key_is_refused(client, peer_key):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert send(client, stranger, follow()).status_code == 401


@pytest.mark.parametrize("hours", [-2, 2])
def test_a_date_more_than_an_hour_off_is_refused(client, peer_key, hours):
    now = datetime.now(UTC) + timedelta(hours=hours)
    assert send(client, peer_key, follow(), now=now).status_code == 401


def test_a_date_within_the_hour_is_accepted(client, peer_key):
    now = datetime.now(UTC) - timedelta(minutes=50)
    assert send(client, peer_key, follow(), now=now).status_code == 202


def test_an_activity_signed_for_someone_else_is_refused(client, peer_key):
    activity = follow() | {"actor": "https://peer.invalid/users/eve"}
    assert send(client, peer_key, activity).status_code == 401


def test_a_body_that_is_not_an_activity_is_refused_with_400(client, peer_key):
    key = peer_key
    body = b"not json"
    headers = sign_headers("POST", INBOX, body, key, f"{PEER}#main-key")
    assert client.post(INBOX, data=body, headers=headers, base_url=BASE).status_code == 400


def test_an_unknown_signer_that_cannot_be_fetched_is_refused_not_an_error(client):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # peer.invalid does not resolve: the key cannot be fetched, so the request is unsigned to us.
    assert (
        send(client, key, follow(), key_id="https://peer.invalid/users/new#key").status_code == 401
    )


# Reactions and replies ------------------------------------------------------------------------


def test_likes_and_boosts_are_counted_on_the_post_page(app, client, make_post, peer_key):
    post_id = make_post("Liked", publish=True)
    article = f"{BASE}/fediverse/posts/{post_id}"
    like = {"id": f"{PEER}#likes/1", "type": "Like", "actor": PEER, "object": article}
    boost = {
        "id": f"{PEER}/statuses/9/activity",
        "type": "Announce",
        "actor": PEER,
        "object": f"{BASE}/posts/liked",
    }
    for activity in (like, like, boost):
        assert send(client, peer_key, activity).status_code == 202
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Reaction.id))) == 2
    page = client.get("/posts/liked", base_url=BASE).get_data(as_text=True)
    assert "1 like · 1 boost" in page
    undo = {"id": f"{PEER}#undo/2", "type": "Undo", "actor": PEER, "object": like}
    assert send(client, peer_key, undo).status_code == 202
    assert "0 likes · 1 boost" in client.get("/posts/liked", base_url=BASE).get_data(as_text=True)


def test_a_like_of_a_draft_is_not_counted(app, client, make_post, peer_key):
    post_id = make_post("Draft")
    like = {"id": f"{PEER}#likes/2", "type": "Like", "actor": PEER}
    like["object"] = f"{BASE}/fediverse/posts/{post_id}"
    assert send(client, peer_key, like).status_code == 202
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Reaction.id))) == 0


def reply(post_id: int, text: str, note_id: str = f"{PEER}/statuses/1") -> dict:
    return {
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": PEER,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": PEER,
            "inReplyTo": f"{BASE}/fediverse/posts/{post_id}",
            "content": text,
            "url": "https://peer.invalid/@ada/1",
        },
    }


@pytest.mark.parametrize(("kind", "kept"), [("Article", True), ("Page", True), ("Question", False)])
def test_a_blogs_reply_of_its_own_type_is_kept_too(app, client, make_post, peer_key, kind, kept):
    post_id = make_post("Answered by a blog", publish=True)
    activity = reply(post_id, "<p>My post on it</p>")
    activity["object"]["type"] = kind
    assert send(client, peer_key, activity).status_code == 202
    with app.app_context():
        assert (db.session.scalar(db.select(RemoteComment)) is not None) is kept


def test_a_reply_waits_for_approval_then_shows_sanitised(app, client, make_post, peer_key, author):
    post_id = make_post("Discussed", publish=True)
    text = '<p>Lovely <script>alert(1)</script><a href="javascript:x">post</a></p>'
    assert send(client, peer_key, reply(post_id, text)).status_code == 202
    assert "Lovely" not in client.get("/posts/discussed", base_url=BASE).get_data(as_text=True)
    assert "/studio/fediverse/replies" in author.get("/studio/").get_data(as_text=True)
    studio = author.get("/studio/fediverse/replies").get_data(as_text=True)
    assert "Lovely" in studio and "<script>" not in studio
    with app.app_context():
        comment = db.session.scalar(db.select(RemoteComment))
        assert comment.approved is False and "script" not in comment.content_html
        assert "javascript:" not in comment.content_html
        comment_id = comment.id
    answer = author.post(f"/studio/fediverse/replies/{comment_id}/approve")
    assert answer.status_code == 302
    page = client.get("/posts/discussed", base_url=BASE).get_data(as_text=True)
    assert "Lovely" in page and "alert(1)" not in page and "Ada" in page


def test_an_edited_reply_goes_back_to_moderation_and_a_deleted_one_goes(
    app, client, make_post, peer_key
):
    post_id = make_post("Discussed", publish=True)
    send(client, peer_key, reply(post_id, "<p>First</p>"))
    with app.app_context():
        db.session.scalar(db.select(RemoteComment)).approved = True
        db.session.commit()
    edited = reply(post_id, "<p>Second</p>") | {"type": "Update", "id": f"{PEER}#update/1"}
    assert send(client, peer_key, edited).status_code == 202
    with app.app_context():
        comment = db.session.scalar(db.select(RemoteComment))
        assert "Second" in comment.content_html and comment.approved is False
    gone = {"id": f"{PEER}#delete/1", "type": "Delete", "actor": PEER}
    gone["object"] = {"id": f"{PEER}/statuses/1", "type": "Tombstone"}
    assert send(client, peer_key, gone).status_code == 202
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(RemoteComment.id))) == 0


def test_a_deleted_actor_takes_everything_of_theirs(app, client, make_post, peer_key):
    post_id = make_post("Discussed", publish=True)
    send(client, peer_key, follow())
    send(client, peer_key, reply(post_id, "<p>Hi</p>"))
    gone = {"id": f"{PEER}#delete", "type": "Delete", "actor": PEER, "object": PEER}
    assert send(client, peer_key, gone).status_code == 202
    with app.app_context():
        for table in (Follower, RemoteComment, RemoteActor):
            assert db.session.scalar(db.select(db.func.count()).select_from(table)) == 0


def test_the_delete_of_an_actor_we_never_met_is_dropped(client):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = "https://gone.invalid/users/x"
    gone = {"id": f"{other}#delete", "type": "Delete", "actor": other, "object": other}
    assert send(client, key, gone, key_id=f"{other}#main-key").status_code == 202


def test_the_studio_replies_page_needs_sign_in(client):
    answer = client.get("/studio/fediverse/replies", base_url=BASE)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


# Delivery and Tombstones ----------------------------------------------------------------------


def deliveries(huey) -> list[tuple[str, dict]]:
    """Run the queued syncs as the worker would; the deliveries they queued (taken off)."""
    while (task := huey.dequeue()) is not None:
        if task.name == "federation_sync_posts":
            huey.execute(task)
        else:
            huey.enqueue(task)
            break
    found = [(t.args[0], json.loads(t.args[1])) for t in huey.pending()]
    huey.flush()
    return found


def test_publish_update_and_delete_are_sent_from_the_worker(app, client, make_post, peer_key):
    send(client, peer_key, follow())
    huey = app.extensions["import_queue"].huey
    huey.flush()  # the Accept (tested above) and the profile's first Update

    post_id = make_post("Sent", publish=True)
    assert set(queued_names(app)) == {"federation_sync_posts"}
    sent = deliveries(huey)
    assert [(a["type"], a["object"]["name"]) for _, a in sent] == [("Create", "Sent")]
    assert sent[0][0] == "https://peer.invalid/inbox"  # the shared inbox

    with app.app_context():
        post = db.session.get(Post, post_id)
        content.update_post(post, {"title": "Sent again"}, None)
        content.publish(post, confirmed=True)
        told = db.session.get(FederatedPost, post_id)
        assert told.revision_id != post.published_revision_id
    assert [(a["type"], a["object"]["name"]) for _, a in deliveries(huey)] == [
        ("Update", "Sent again")
    ]

    with app.app_context():
        content.delete_post(db.session.get(Post, post_id))
    assert [a["type"] for _, a in deliveries(huey)] == ["Delete"]
    gone = client.get(f"/fediverse/posts/{post_id}", headers=AP, base_url=BASE)
    assert gone.status_code == 410
    assert gone.get_json(force=True)["type"] == "Tombstone"


def test_unpublishing_sends_delete_and_leaves_a_tombstone(app, client, make_post, peer_key):
    post_id = make_post("Briefly", publish=True)
    run_queued(app)
    with app.app_context():
        content.unpublish(db.session.get(Post, post_id))
    run_queued(app)
    assert client.get(f"/fediverse/posts/{post_id}", headers=AP, base_url=BASE).status_code == 410


def test_a_draft_edit_sends_nothing(app, make_post, peer_key):
    post_id = make_post("Quiet")
    with app.app_context():
        content.update_post(db.session.get(Post, post_id), {"title": "Still quiet"}, None)
        assert delivery.post_activity(post_id) is None


def test_a_delivery_gives_up_after_its_attempts(app, caplog):
    app.config["FEDERATION_DELIVERY_ATTEMPTS"] = 2
    huey = app.extensions["import_queue"].huey
    tasks = app.extensions["federation_queue"]
    tasks.deliver("https://peer.invalid/inbox", "{}")
    huey.execute(huey.dequeue())
    (retry,) = huey.pending()  # peer.invalid does not resolve: tried again later
    assert retry.args[2] == 2
    assert retry.eta > datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=50)
    huey.execute(huey.dequeue(), timestamp=retry.eta)
    assert huey.pending() == [] and huey.scheduled() == []
    assert "given up after 2 attempts" in caplog.text


def test_an_actor_document_may_not_speak_for_another_server():
    same_origin("https://a.example/users/x#key", "https://a.example/users/x")
    with pytest.raises(RemoteError):
        same_origin("https://evil.example/key", "https://mastodon.example/users/victim")
    with pytest.raises(RemoteError):
        same_origin("https://a.example/users/x", None)


def test_an_inbox_body_larger_than_a_form_is_refused_before_it_is_read(app, client, peer_key):
    activity = follow() | {"padding": "x" * app.config["FORM_MAX_BYTES"]}
    assert send(client, peer_key, activity).status_code == 413


@pytest.mark.parametrize(
    "activity",
    [
        {"type": "Like", "actor": PEER, "object": ["a", "b"]},
        {"type": "Undo", "actor": PEER, "object": 7},
        {"type": "Create", "actor": PEER, "object": {"type": "Note", "inReplyTo": {"x": 1}}},
        {"type": "Update", "actor": PEER, "object": {"id": PEER, "type": "Person"}},
        {"type": ["Like", "Announce"], "actor": PEER, "object": None},
        {"type": "Delete", "actor": PEER, "object": {"id": None}},
    ],
)
def test_odd_activities_are_answered_without_an_error(client, peer_key, activity):
    assert send(client, peer_key, activity).status_code in (202, 400)


# RFC 9421, signed by an independent implementation (PyPI http-message-signatures) ------------


@dataclass
class Outgoing:
    """A request as http-message-signatures signs it: method, URL and a header dict."""

    method: str
    url: str
    headers: dict


def send_rfc9421(
    client, key, activity, *, covered=("@method", "@target-uri"), created=None, tamper=False
):
    body = json.dumps(activity).encode()
    message = Outgoing("POST", INBOX, {"Content-Type": "application/activity+json"})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={f"{PEER}#main-key": key}),
    )
    signer.sign(
        message,
        key_id=f"{PEER}#main-key",
        label="sig1",
        covered_component_ids=covered,
        created=created,
        body=body if "content-digest" not in covered else None,
    )
    if tamper:
        body += b" "
    return client.post(INBOX, data=body, headers=message.headers, base_url=BASE)


def test_an_rfc9421_signed_follow_is_accepted(app, client, peer_key):
    assert send_rfc9421(client, peer_key, follow()).status_code == 202
    with app.app_context():
        assert db.session.scalar(db.select(Follower)).actor_uri == PEER


def test_an_rfc9421_body_changed_after_signing_is_refused(client, peer_key):
    assert send_rfc9421(client, peer_key, follow(), tamper=True).status_code == 401


def test_an_rfc9421_signature_by_another_key_is_refused(client, peer_key):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert send_rfc9421(client, stranger, follow()).status_code == 401


def test_an_rfc9421_signature_created_hours_ago_is_refused(client, peer_key):
    created = datetime.now(UTC) - timedelta(hours=3)
    assert send_rfc9421(client, peer_key, follow(), created=created).status_code == 401


def test_an_rfc9421_signature_not_covering_the_body_is_refused(client, peer_key):
    body = json.dumps(follow()).encode()
    message = Outgoing("POST", INBOX, {"Content-Type": "application/activity+json"})
    HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={f"{PEER}#main-key": peer_key}
        ),
    ).sign(message, key_id=f"{PEER}#main-key", label="sig1")
    assert client.post(INBOX, data=body, headers=message.headers, base_url=BASE).status_code == 401


# Other servers' actor documents ----------------------------------------------------------------

FEDIVERSE = Path(__file__).resolve().parent / "fixtures" / "fediverse"


@pytest.mark.parametrize(
    ("name", "key_id", "delivered_to"),
    [
        (
            "mastodon_actor.json",
            "https://mastodon.example/users/ada#main-key",
            "https://mastodon.example/inbox",
        ),
        # GoToSocial names its key by a path, not a fragment, and has no shared inbox.
        (
            "gotosocial_actor.json",
            "https://gts.example/users/grace/main-key",
            "https://gts.example/users/grace/inbox",
        ),
    ],
)
def test_actor_documents_as_servers_send_them_are_kept(app, name, key_id, delivered_to):
    document = json.loads((FEDIVERSE / name).read_text())
    with app.app_context():
        actor = store_actor(document, None)
        assert (actor.uri, actor.key_id) == (document["id"], key_id)
        assert actor.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
        db.session.add(
            Follower(actor_uri=actor.uri, inbox=actor.inbox, shared_inbox=actor.shared_inbox)
        )
        db.session.commit()
        assert delivery.inboxes() == [delivered_to]


def test_an_actor_whose_key_names_another_owner_is_refused(app):
    document = json.loads((FEDIVERSE / "mastodon_actor.json").read_text())
    document["publicKey"]["owner"] = "https://mastodon.example/users/eve"
    with app.app_context(), pytest.raises(RemoteError, match="someone else"):
        store_actor(document, None)


def test_one_commit_changing_many_posts_queues_one_sync(app, make_post):
    ids = [make_post(f"Post {n}", publish=True) for n in range(3)]
    huey = app.extensions["import_queue"].huey
    huey.flush()
    with app.app_context():
        for post_id in ids:
            changes.post_changed(post_id)
        db.session.commit()
    (task,) = huey.pending()
    assert (task.name, task.args[0]) == ("federation_sync_posts", sorted(ids))


def test_a_reply_linked_by_a_script_address_is_not_linked(app, client, make_post, peer_key):
    post_id = make_post("Discussed", publish=True)
    activity = reply(post_id, "<p>Hi</p>")
    activity["object"]["url"] = "javascript:alert(2)"
    assert send(client, peer_key, activity).status_code == 202
    with app.app_context():
        comment = db.session.scalar(db.select(RemoteComment))
        comment.approved = True
        db.session.commit()
    page = client.get("/posts/discussed", base_url=BASE).get_data(as_text=True)
    assert "Hi" in page and "javascript:" not in page


def test_a_reply_whose_id_is_on_another_server_is_not_kept(app, client, make_post, peer_key):
    post_id = make_post("Discussed", publish=True)
    activity = reply(post_id, "<p>Hi</p>", note_id="https://elsewhere.example/notes/1")
    assert send(client, peer_key, activity).status_code == 202
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(RemoteComment.id))) == 0


class RedirectToPrivate(http.server.BaseHTTPRequestHandler):
    """A server that sends every request on to a private address."""

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", "https://10.0.0.1/users/ada")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_redirect_to_a_private_address_is_not_followed(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), RedirectToPrivate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site = f"http://127.0.0.1:{server.server_port}"
    app = create_app(app_settings(tmp_path, FEDERATION_ENABLED=True, SITE_URL=site))
    try:
        with app.test_request_context(), pytest.raises(RemoteError, match="refused address"):
            fetch_json(f"{site}/users/ada")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def test_the_author_deletes_a_shown_reply_and_readers_no_longer_see_it(
    app, client, make_post, peer_key, author
):
    post_id = make_post("Discussed", publish=True)
    send(client, peer_key, reply(post_id, "<p>Rude words</p>"))
    with app.app_context():
        comment_id = db.session.scalar(db.select(RemoteComment.id))
    author.post(f"/studio/fediverse/replies/{comment_id}/approve")
    assert "Rude words" in client.get("/posts/discussed", base_url=BASE).get_data(as_text=True)
    answer = author.post(f"/studio/fediverse/replies/{comment_id}/delete")
    assert answer.status_code == 302
    assert "Rude words" not in client.get("/posts/discussed", base_url=BASE).get_data(as_text=True)
    assert author.post(f"/studio/fediverse/replies/{comment_id}/delete").status_code == 404
