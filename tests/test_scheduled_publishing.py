"""Scheduled publishing: the worker publishes a draft at its time, through Publish's gates."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, inspect, select

from blog import create_app
from blog import posts as content
from blog.extensions import db
from blog.models import Post, Revision
from blog.vocabulary import Status

HTTPS = "https://blog.test"
CHECKLIST = {"confirm_policies": "1", "confirm_privacy": "1"}
AT = datetime(2030, 3, 1, 9, 30, tzinfo=UTC)
CARD = "4111 1111 1111 1111"


@pytest.fixture
def ready(app, make_post):
    """A draft with its AI turn reviewed: nothing blocks it."""
    post_id = make_post(
        "Tides, explained", [("user", "Why two tides?"), ("assistant", "The moon.")]
    )
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.set_reviewed([t for t in post.turns if t.is_ai])
    return post_id


def schedule(app, post_id: int, when: datetime = AT, **kwargs) -> list[str]:
    """Schedule as of an hour before `when` (the time the author pressed Schedule)."""
    with app.app_context():
        post = db.session.get(Post, post_id)
        return content.schedule_publish(
            post, when, confirmed=True, now=when - timedelta(hours=1), **kwargs
        )


def state(app, post_id: int) -> Post:
    with app.app_context():
        post = db.session.get(Post, post_id)
        db.session.expunge(post)
        return post


def test_the_form_time_is_read_as_utc_and_nonsense_is_refused():
    assert content.parse_schedule_time("2030-03-01T09:30") == AT
    assert content.parse_schedule_time("2030-03-01T09:30:59") == AT
    for bad in ("", "tomorrow", "2030-13-01T09:30"):
        with pytest.raises(content.ContentError, match="UTC"):
            content.parse_schedule_time(bad)


def test_a_schedule_needs_the_checklist_a_future_time_and_a_draft(app, ready, make_post):
    with app.app_context():
        post = db.session.get(Post, ready)
        with pytest.raises(content.ContentError, match="checklist"):
            content.schedule_publish(post, AT, now=AT - timedelta(hours=1))
        with pytest.raises(content.ContentError, match="has passed"):
            content.schedule_publish(post, AT, confirmed=True, now=AT)
        with pytest.raises(content.ContentError, match="publicly or as unlisted"):
            content.schedule_publish(
                post, AT, status="draft", confirmed=True, now=AT - timedelta(1)
            )
        assert db.session.get(Post, ready).scheduled_at is None
    live = make_post("Already out", publish=True)
    with app.app_context(), pytest.raises(content.ContentError, match="already on the site"):
        content.schedule_publish(
            db.session.get(Post, live), AT, confirmed=True, now=AT - timedelta(1)
        )


def test_the_post_is_published_at_its_time_and_not_a_minute_before(app, ready):
    assert schedule(app, ready) == []
    version = state(app, ready).version
    with app.app_context():
        assert content.publish_due(AT - timedelta(minutes=1)).published == []
    assert state(app, ready).status == Status.DRAFT
    # Scheduling changes nothing readers see and no content: the version stays.
    assert state(app, ready).version == version
    with app.app_context():
        report = content.publish_due(AT)
        assert report.published == [ready] and report.blocked == {}
        assert content.publish_due(AT + timedelta(minutes=5)).published == []
        assert db.session.query(Revision).filter_by(post_id=ready).count() == 1
    post = state(app, ready)
    assert post.status == Status.PUBLISHED and post.published_revision_id is not None
    assert (post.scheduled_at, post.scheduled_status, post.schedule_problem) == (None, "", "")


def test_published_at_its_time_it_is_on_the_home_page_and_in_the_feed(app, client, ready):
    schedule(app, ready)
    assert "Tides, explained" not in client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert "Tides, explained" not in client.get("/feed.xml", base_url=HTTPS).get_data(as_text=True)
    with app.app_context():
        content.publish_due(AT)
    # The page cache moved on with the publish: the next anonymous reads show it.
    assert "Tides, explained" in client.get("/", base_url=HTTPS).get_data(as_text=True)
    assert "Tides, explained" in client.get("/feed.xml", base_url=HTTPS).get_data(as_text=True)


def test_an_unlisted_schedule_publishes_unlisted(app, client, ready):
    schedule(app, ready, status=Status.UNLISTED)
    with app.app_context():
        content.publish_due(AT)
    post = state(app, ready)
    assert post.status == Status.UNLISTED
    assert client.get(f"/posts/{post.slug}", base_url=HTTPS).status_code == 200
    assert "Tides, explained" not in client.get("/", base_url=HTTPS).get_data(as_text=True)


def test_a_gate_failing_at_the_time_keeps_the_draft_and_says_why(app, make_post, author):
    unreviewed = make_post("Needs a read", [("user", "Q?"), ("assistant", "A.")])
    private = make_post("Has a card", [("user", f"My card is {CARD}")])
    problems = schedule(app, unreviewed)
    assert problems and "not yet reviewed" in problems[0]
    schedule(app, private)
    with app.app_context():
        report = content.publish_due(AT)
    assert report.published == []
    assert set(report.blocked) == {unreviewed, private}
    held = state(app, unreviewed)
    assert held.status == Status.DRAFT and held.published_revision_id is None
    assert "Not published at 1 March 2030, 09:30 UTC as scheduled" in held.schedule_problem
    assert "not yet reviewed" in held.schedule_problem
    assert "privacy finding" in state(app, private).schedule_problem
    # Fixing the gate later does not publish behind the author's back.
    with app.app_context():
        post = db.session.get(Post, unreviewed)
        content.set_reviewed([t for t in post.turns if t.is_ai])
        assert content.publish_due(AT + timedelta(hours=1)).published == []
    assert state(app, unreviewed).status == Status.DRAFT
    # The editor and the dashboard both say why.
    editor = author.get(f"/studio/posts/{unreviewed}").get_data(as_text=True)
    assert "Not published at 1 March 2030, 09:30 UTC as scheduled" in editor
    dashboard = author.get("/studio/").get_data(as_text=True)
    assert dashboard.count("as scheduled") == 2 and "privacy finding" in dashboard


def test_one_post_held_back_does_not_hold_back_the_others(app, ready, make_post):
    blocked = make_post("Not ready", [("user", "Q?"), ("assistant", "A.")])
    schedule(app, blocked, AT - timedelta(minutes=1))
    schedule(app, ready)
    with app.app_context():
        report = content.publish_due(AT)
    assert report.published == [ready] and list(report.blocked) == [blocked]


def test_publishing_by_hand_or_cancelling_ends_the_schedule(app, ready, make_post):
    other = make_post("Another", [("user", "Only a prompt.")])
    schedule(app, ready)
    schedule(app, other)
    with app.app_context():
        content.publish(db.session.get(Post, ready), confirmed=True)
        content.cancel_schedule(db.session.get(Post, other))
        assert content.publish_due(AT).published == []
    assert state(app, ready).scheduled_at is None
    assert state(app, other).scheduled_at is None and state(app, other).status == Status.DRAFT


def test_the_workers_minute_task_publishes_a_post_whose_time_has_passed(app, ready):
    queue = app.extensions["import_queue"]
    with app.app_context():
        post = db.session.get(Post, ready)
        past = datetime.now(UTC) - timedelta(minutes=2)
        content.schedule_publish(post, past, confirmed=True, now=past - timedelta(minutes=1))
    queue.publish_due.call_local()
    assert state(app, ready).status == Status.PUBLISHED
    # It is one of the worker's periodic tasks, run every minute by its consumer.
    periodic = {task.name for task in queue.huey._registry.periodic_tasks}
    assert "publish_due_posts" in periodic


def same_database(app, tmp_path) -> dict:
    """Another app (a worker on another host) on the test app's database, with its own queue."""
    names = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SERVER_NAME")
    return {name: app.config[name] for name in names} | {
        "HUEY_SQLITE_PATH": str(tmp_path / "other-host-queue.sqlite3")
    }


def test_two_workers_on_one_database_publish_a_due_post_once(app, ready, tmp_path):
    with app.app_context():
        post = db.session.get(Post, ready)
        past = datetime.now(UTC) - timedelta(minutes=2)
        content.schedule_publish(post, past, confirmed=True, now=past - timedelta(minutes=1))
    other = create_app(same_database(app, tmp_path))
    with other.app_context():
        other_engine = db.engine
    first_worker = threading.current_thread()
    second_is_in = threading.Event()
    second_failed: list[BaseException] = []

    def run_second_worker() -> None:
        try:
            other.extensions["import_queue"].publish_due.call_local()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            second_failed.append(error)
        finally:
            second_is_in.set()

    second_worker = threading.Thread(target=run_second_worker)

    def post_loaded(target, context) -> None:
        # The first worker has the due post in hand: the second now checks the same post,
        # and the first goes on once the second has it too (or is about to claim it).
        if threading.current_thread() is first_worker and not second_worker.is_alive():
            if second_worker.ident is None:
                second_worker.start()
                assert second_is_in.wait(timeout=60)
        elif threading.current_thread() is second_worker:
            second_is_in.set()

    def second_writes(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("UPDATE POSTS"):
            second_is_in.set()

    event.listen(Post, "load", post_loaded)
    event.listen(other_engine, "before_cursor_execute", second_writes)
    try:
        app.extensions["import_queue"].publish_due.call_local()
        second_worker.join(timeout=120)
    finally:
        event.remove(Post, "load", post_loaded)
        event.remove(other_engine, "before_cursor_execute", second_writes)
        other_engine.dispose()
    assert not second_worker.is_alive() and second_failed == []
    with app.app_context():
        post = db.session.get(Post, ready)
        assert post.status == Status.PUBLISHED and post.schedule_problem == ""
        revisions = db.session.scalar(
            select(func.count()).select_from(Revision).where(Revision.post_id == ready)
        )
        assert revisions == 1


def test_the_author_schedules_and_cancels_in_the_editor(app, author, ready):
    editor = author.get(f"/studio/posts/{ready}").get_data(as_text=True)
    assert 'type="datetime-local"' in editor and "in UTC" in editor
    answer = author.post(
        f"/studio/posts/{ready}/schedule",
        CHECKLIST | {"publish_at": "2030-03-01T09:30", "status": "published"},
        follow_redirects=True,
    )
    html = answer.get_data(as_text=True)
    assert "Scheduled: the post goes on the site (public) at 1 March 2030, 09:30 UTC." in html
    assert "Cancel schedule" in html and 'value="2030-03-01T09:30"' in html
    assert state(app, ready).scheduled_at == AT
    dashboard = author.get("/studio/").get_data(as_text=True)
    assert "scheduled for" in dashboard and "1 March 2030, 09:30 UTC" in dashboard

    cancelled = author.post(f"/studio/posts/{ready}/schedule/cancel", follow_redirects=True)
    assert "Schedule cancelled" in cancelled.get_data(as_text=True)
    assert state(app, ready).scheduled_at is None


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"publish_at": "2030-03-01T09:30"}, "Confirm the publishing checklist"),
        (CHECKLIST | {"publish_at": "2001-01-01T00:00"}, "has passed"),
        (CHECKLIST | {"publish_at": "soon"}, "Give the date and time"),
    ],
)
def test_a_refused_schedule_says_why(app, author, ready, form, said):
    answer = author.post(f"/studio/posts/{ready}/schedule", form, follow_redirects=True)
    assert answer.status_code == 200
    assert "Not scheduled: " in answer.get_data(as_text=True)
    assert said in answer.get_data(as_text=True)
    assert state(app, ready).scheduled_at is None


def test_scheduling_needs_the_signed_in_author(app, client, owner, ready):
    answer = client.post(
        f"/studio/posts/{ready}/schedule",
        data=CHECKLIST | {"publish_at": "2030-03-01T09:30"},
        base_url=HTTPS,
    )
    assert answer.status_code in (302, 400)
    assert state(app, ready).scheduled_at is None


def test_putting_a_post_back_on_the_site_ends_its_schedule(app, ready):
    with app.app_context():
        post = db.session.get(Post, ready)
        content.publish(post, confirmed=True)
        content.unpublish(post)
    schedule(app, ready)
    with app.app_context():
        content.restore_on_site(db.session.get(Post, ready))
    post = state(app, ready)
    assert post.status == Status.PUBLISHED and post.scheduled_at is None


def test_the_migrations_add_and_remove_the_schedule_and_the_preview_links(app, ready):
    schedule(app, ready)
    with app.app_context():
        downgrade(revision="0012_import_heartbeat")
        found = inspect(db.engine)
        assert "scheduled_at" not in {c["name"] for c in found.get_columns("posts")}
        assert "preview_links" not in found.get_table_names()
        upgrade()
        found = inspect(db.engine)
        columns = {c["name"] for c in found.get_columns("posts")}
        assert {"scheduled_at", "scheduled_status", "schedule_problem"} <= columns
        assert "preview_links" in found.get_table_names()
        # A post from before the upgrade has no schedule, and is not taken for one.
        assert content.publish_due(AT).published == []
