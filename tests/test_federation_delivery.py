"""Delivery to followers' servers: real HTTP servers on loopback that answer, fail or stay silent;
the post's object style (Article or Note); the `Link` header of a post's page."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask_migrate import upgrade

from blog import create_app
from blog import posts as content
from blog.config import DEFAULTS
from blog.extensions import db
from blog.federation import delivery
from blog.federation.keys import public_pem
from blog.federation.models import Follower, InboxState, Undelivered
from blog.federation.signatures import verify
from blog.federation.undelivered import time_in_words
from blog.models import Post, utcnow

from .conftest import app_settings, migrated_app, run_queued

SITE = "http://127.0.0.1"
AP = {"Accept": "application/activity+json"}


class Receiver(http.server.ThreadingHTTPServer):
    """A fediverse server's shared inbox on loopback: answers each POST with the next status
    from `answers` (the last one from then on) and keeps what it received."""

    daemon_threads = True

    def __init__(self, answers: list[int]) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.answers = list(answers)
        self.received: list[tuple[dict, bytes]] = []
        self.accepted: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def inbox(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/inbox"

    def next_status(self) -> int:
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = self.server.next_status()
        with self.server.lock:
            self.server.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if 200 <= status < 300:
                self.server.accepted.append(body)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receivers() -> Iterator[callable]:
    """Start receivers on loopback; each is shut down when the test ends."""
    started: list[tuple[Receiver, threading.Thread]] = []

    def start(*answers: int) -> Receiver:
        server = Receiver(list(answers))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def silent() -> Iterator[tuple[str, socket.socket]]:
    """An inbox whose server accepts connections and never answers (its backlog holds them)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/inbox", listener
    listener.close()


@pytest.fixture
def app(tmp_path):
    app = create_app(
        app_settings(tmp_path, FEDERATION_ENABLED=True, SITE_URL=SITE, FEDERATION_TIMEOUT_SECONDS=2)
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def follow_from(app, *inboxes: str) -> None:
    with app.app_context():
        for n, inbox in enumerate(inboxes):
            db.session.add(Follower(actor_uri=f"{inbox}#actor{n}", inbox=inbox, shared_inbox=""))
        db.session.commit()


def publish(app, make_post, title: str = "Tides") -> int:
    post_id = make_post(title, [("user", "Why tides?"), ("assistant", "The moon.")], publish=True)
    return post_id


def sent(receiver: Receiver, kind: str = "Create") -> list[str]:
    """The titles of the posts the receiver got activities of this kind for (publishing also
    sends the profile's Update, which these tests leave aside)."""
    activities = [json.loads(body) for _, body in receiver.received]
    return [a["object"]["name"] for a in activities if a["type"] == kind]


def undelivered(app) -> list[Undelivered]:
    with app.app_context():
        rows = db.session.scalars(db.select(Undelivered).order_by(Undelivered.id)).all()
        db.session.expunge_all()
        return rows


# The schedule -----------------------------------------------------------------------------------


def test_the_default_schedule_retries_for_days_with_growing_waits():
    waits = delivery.retry_waits(DEFAULTS)
    assert len(waits) == DEFAULTS["FEDERATION_DELIVERY_ATTEMPTS"] - 1
    assert waits[0] == DEFAULTS["FEDERATION_RETRY_SECONDS"]
    assert waits == sorted(waits) and max(waits) == DEFAULTS["FEDERATION_RETRY_MAX_SECONDS"]
    assert timedelta(days=2) <= timedelta(seconds=sum(waits)) <= timedelta(days=4)
    assert time_in_words(timedelta(seconds=sum(waits))) == "2 days 18 hours"


# Real servers on loopback --------------------------------------------------------------------


def test_each_inbox_gets_one_signed_delivery_per_publish(app, make_post, receivers):
    mastodon, other = receivers(202), receivers(200)
    follow_from(app, mastodon.inbox, mastodon.inbox.replace("/inbox", "/users/b/inbox"))
    with app.app_context():
        db.session.add_all(
            Follower(actor_uri=f"{SITE}:9/u/{n}", inbox="x", shared_inbox=other.inbox)
            for n in range(5)
        )
        db.session.commit()
    publish(app, make_post)
    run_queued(app)
    # Five followers sharing an inbox get one request; two without a shared inbox get one each.
    assert sent(other) == ["Tides"] and sent(mastodon) == ["Tides", "Tides"]
    headers, body = other.received[-1]
    with app.test_request_context():
        from blog.federation import identity

        pem = public_pem(identity.private_key())
    verify("POST", "/inbox", headers, body, pem)
    assert undelivered(app) == []


def test_a_server_down_for_a_while_gets_the_post_when_it_is_back(app, make_post, receivers):
    app.config["FEDERATION_RETRY_SECONDS"] = 0  # the schedule's waits, run at once
    flaky = receivers(500, 503, 202)
    follow_from(app, flaky.inbox)
    publish(app, make_post)
    run_queued(app)
    # 500, then 503, then 202 from then on: the Create and the profile's Update both arrive.
    assert len(flaky.received) == 4
    assert sorted(json.loads(body)["type"] for body in flaky.accepted) == ["Create", "Update"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(InboxState.id))) == 0
    assert undelivered(app) == []


def test_a_dead_server_is_given_up_after_the_schedule_and_the_author_sees_it(
    app, make_post, receivers, author
):
    app.config.update(FEDERATION_RETRY_SECONDS=0, FEDERATION_DELIVERY_ATTEMPTS=3)
    dead, alive = receivers(500), receivers(202)
    follow_from(app, dead.inbox, alive.inbox)
    publish(app, make_post, "Tides")
    run_queued(app)
    assert sent(dead) == ["Tides"] * 3 and sent(alive) == ["Tides"]
    gone = {row.activity_type: row for row in undelivered(app)}
    assert sorted(gone) == ["Create", "Update"]
    assert (gone["Create"].inbox, gone["Create"].attempts) == (dead.inbox, 3)
    assert gone["Create"].reason == "answered 500 Internal Server Error"

    dashboard = author.get("/studio/").get_data(as_text=True)
    assert "2 deliveries to the fediverse could not be made" in dashboard
    page = author.get("/studio/fediverse/deliveries").get_data(as_text=True)
    server = dead.inbox.split("/")[2]
    assert f"Could not deliver the Create of “Tides” to {server} after" in page
    assert "(3 tries): answered 500 Internal Server Error." in page
    assert f"{server} has not answered since" in page
    answer = author.post("/studio/fediverse/deliveries/clear")
    assert answer.status_code == 302 and undelivered(app) == []


def test_a_failing_inbox_is_not_tried_again_before_its_turn(app, make_post, receivers):
    failing, alive = receivers(500), receivers(202)
    follow_from(app, failing.inbox, alive.inbox)
    publish(app, make_post, "First")
    publish(app, make_post, "Second")
    huey = app.extensions["import_queue"].huey
    ran = 0
    while (task := huey.dequeue()) is not None and ran < 50:
        huey.execute(task)  # each retry lands a minute or more ahead: it waits in the schedule
        ran += 1
    # The first delivery found the inbox failing; the others wait for its next try.
    assert len(failing.received) == 1 and sent(alive) == ["First", "Second"]
    with app.app_context():
        state = db.session.scalar(db.select(InboxState))
        assert state.inbox == failing.inbox and state.failures == 1
        assert state.retry_at > utcnow() + timedelta(seconds=50)
    waiting = [t for t in huey.scheduled() + huey.pending() if t.name == "federation_deliver"]
    assert sorted(t.args[2] for t in waiting) == [2, 2, 2]


def test_a_silent_server_costs_its_timeout_once_and_holds_up_no_other(
    app, make_post, receivers, silent
):
    app.config["FEDERATION_TIMEOUT_SECONDS"] = 0.5
    quiet, _ = silent
    alive = receivers(202)
    follow_from(app, quiet, alive.inbox)
    publish(app, make_post, "First")
    publish(app, make_post, "Second")
    run_queued(app)
    assert sent(alive) == ["First", "Second"]
    with app.app_context():
        state = db.session.scalar(db.select(InboxState))
        assert state.inbox == quiet and "timed out" in state.last_error
        assert state.failures == 1  # the second post did not wait for the timeout again


def test_an_inbox_that_refuses_for_good_is_not_retried_and_is_shown(app, make_post, receivers):
    gone = receivers(410)
    follow_from(app, gone.inbox)
    publish(app, make_post)
    run_queued(app)
    assert sent(gone) == ["Tides"] and len(gone.received) == 2  # and the profile's Update
    row = next(row for row in undelivered(app) if row.activity_type == "Create")
    assert (row.attempts, row.reason) == (1, "refused (410 Gone)")


# What followers receive -------------------------------------------------------------------------


def object_of(client, post_id: int) -> dict:
    return client.get(f"/fediverse/posts/{post_id}", headers=AP).get_json(force=True)


def test_the_article_is_the_default_and_the_author_can_choose_a_note(
    app, client, make_post, author
):
    post_id = make_post(
        "About tides",
        [("user", "Why tides?"), ("assistant", "The moon.")],
        license="cc-by-4.0",
        summary="Why the sea rises twice a day.",
        publish=True,
    )
    article = object_of(client, post_id)
    assert article["type"] == "Article" and article["name"] == "About tides"
    settings = author.get("/studio/settings").get_data(as_text=True)
    assert 'name="fediverse_object"' in settings
    saved = author.post(
        "/studio/settings",
        {"site_title": "Tide tables", "fediverse_object": "note"},
    )
    assert saved.status_code == 303
    note = object_of(client, post_id)
    assert note["type"] == "Note" and note["id"] == article["id"]
    assert "summary" not in note and "name" not in note  # Mastodon: a CW and a poll option
    page = client.get("/posts/about-tides").get_data(as_text=True)
    sentence = note["content"].split("<em>", 1)[1].split("</em>", 1)[0]
    assert sentence and sentence in page  # the disclosure, composed once for both
    for part in (
        "<strong>About tides</strong>",
        "Why the sea rises twice a day.",
        '<a href="https://creativecommons.org/licenses/by/4.0/" rel="license">CC BY 4.0</a>',
        f'href="{note["url"]}"',
    ):
        assert part in note["content"]
    outbox = client.get("/fediverse/actor/outbox?page=1", headers=AP).get_json(force=True)
    assert [item["object"]["type"] for item in outbox["orderedItems"]] == ["Note"]
    refused = author.post("/studio/settings", {"fediverse_object": "Poll"})
    assert refused.status_code == 422


def test_the_setting_is_not_offered_while_federation_is_off(tmp_path):
    app = create_app(app_settings(tmp_path))
    try:
        with app.app_context():
            upgrade()
            from blog.accounts import create_user

            create_user("alice", "correct horse battery staple", "Alice")
        from .conftest import Author

        author = Author(app.test_client())
        author.login()
        assert 'name="fediverse_object"' not in author.get("/studio/settings").get_data(
            as_text=True
        )
    finally:
        with app.app_context():
            db.engine.dispose()


# The Link header --------------------------------------------------------------------------------


def test_a_public_post_page_sends_a_link_to_its_object_even_from_the_cache(client, make_post):
    post_id = make_post("Linked", publish=True)
    make_post("Hidden", publish=True, status="unlisted")
    expected = (
        f'<{SITE}/fediverse/posts/{post_id}>; rel="alternate"; type="application/activity+json"'
    )
    first = client.get("/posts/linked")
    second = client.get("/posts/linked")  # answered by the page cache's middleware
    revalidated = client.get("/posts/linked", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304
    for answer in (first, second, revalidated):
        assert answer.headers.getlist("Link") == [expected]
    assert f'href="{SITE}/fediverse/posts/{post_id}"' in second.get_data(as_text=True)
    assert "Link" not in client.get("/posts/hidden").headers


def test_the_mirrored_page_carries_the_alternate_link_in_its_html(tmp_path, owner_free_app):
    app, mirror, make = owner_free_app
    post_id = make("Mirrored")
    page = (mirror / "posts" / "mirrored" / "index.html").read_text()
    assert (
        f'<link rel="alternate" type="application/activity+json" '
        f'href="{SITE}/fediverse/posts/{post_id}">' in page
    )


@pytest.fixture
def owner_free_app(tmp_path):
    """An app with a static mirror and federation on, and a way to publish a post in it."""
    from blog.accounts import create_user
    from blog.models import User

    mirror = tmp_path / "mirror"
    settings = {"FEDERATION_ENABLED": True, "SITE_URL": SITE, "STATIC_MIRROR_DIR": str(mirror)}
    with migrated_app(tmp_path, **settings) as app:
        with app.app_context():
            user_id = create_user("alice", "correct horse battery staple", "Alice").id

        def make(title: str) -> int:
            with app.app_context():
                post = content.create_post(db.session.get(User, user_id), title)
                content.add_turn(post, "user", source="Hello?")
                content.add_turn(post, "assistant", source="Hi.")
                content.publish(post, confirmed=True, mark_reviewed=True)
                return db.session.get(Post, post.id).id

        yield app, mirror, make
