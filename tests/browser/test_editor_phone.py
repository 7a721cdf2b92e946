"""Every studio page on a 390 px phone screen: nothing makes the page scroll sideways.

The content is the kind a real export brings: a title and a model name with no spaces, a long
URL, a wide table, a long line of code, a privacy finding, many turns. Code blocks and tables
may scroll inside their own box; the page itself may not.
"""

from __future__ import annotations

import io
import json

import pytest
from flask_migrate import upgrade
from playwright.sync_api import Page, expect

from blog import create_app
from blog.extensions import db
from blog.imports.jobs import start_job
from blog.models import Post
from blog.posts import keep_finding, save_turn
from blog.privacy import findings_for
from tests.browser import LiveServer, dispose, import_draft, publish_post, turn_control
from tests.browser.conftest import sign_in
from tests.conftest import database_url, run_queued

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_WORD = "Supercalifragilistic-reverse-proxy-configuration-for-the-home-laboratory-server"
LONG_URL = "https://example.com/" + "/".join(["a-very-long-path-segment"] * 6) + "/index.html"
CODE_LINE = "proxy_pass http://127.0.0.1:8080/" + "upstream/" * 12 + ";  # keep this on one line"

WIDE_CONVERSATION = f"""---
title: {LONG_WORD}
date: 2024-05-01T10:00:00Z
model: GPT-4o-with-a-model-name-that-runs-on-and-on-without-a-single-space
tags:
  - {LONG_WORD}
---
Why does {LONG_URL} answer 502 Bad Gateway?

> A 502 means the proxy reached nothing behind it. Check this line of the config:
>
> ```nginx
> {CODE_LINE}
> ```
>
> | Header | Example value | What it tells you | Where it is set | Notes |
> |---|---|---|---|---|
> | X-Forwarded-For | 203.0.113.7, 198.51.100.22 | the client chain | proxy_set_header | trusted hops only |
>
> If it still fails, write to jordan.whitfield@protonmail.com with {LONG_WORD}.

Thanks, that was it.

> Glad it works. {LONG_WORD}
""".encode()

LISTING_EXPORT = json.dumps(
    [
        {
            "id": f"wide-{n}",
            "model": "gpt-4",
            "title": f"{LONG_WORD}-{n}",
            "conversations": [
                {"from": "human", "value": f"Question {n} about {LONG_URL}"},
                {"from": "gpt", "value": f"Answer {n}."},
            ],
        }
        for n in range(3)
    ]
).encode()


@pytest.fixture
def wide_post(live_app) -> int:
    post_id = import_draft(live_app, WIDE_CONVERSATION, f"{LONG_WORD}.md")
    with live_app.app_context():
        post = db.session.get(Post, post_id)
        reply = post.turns[1]
        edited = reply.source.replace("Check this line", f"Check this line ({LONG_WORD})")
        save_turn(reply, edited, reply.version)
    for n in range(4):  # a dashboard of several such posts
        other = WIDE_CONVERSATION.replace(b"Thanks, that", f"Thanks ({n}), that".encode())
        import_draft(live_app, other.replace(b"title: ", f"title: {n}".encode()), f"{n}.md")
    return post_id


@pytest.fixture
def listed_job(live_app, wide_post) -> str:
    with live_app.app_context():
        job = start_job(io.BytesIO(LISTING_EXPORT), f"{LONG_WORD}.json")
        token = job.token
    assert run_queued(live_app) == 1
    return token


def overflow_report(page: Page) -> str:
    """The elements that reach past the right edge of the screen, for the failure message."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const wide = [];
          for (const element of document.querySelectorAll("body *")) {
            const box = element.getBoundingClientRect();
            if (box.right > width + 0.5 && box.width > 0) {
              wide.push(`${element.tagName.toLowerCase()}.${element.className} → ${Math.round(box.right)}px`);
            }
          }
          return wide.slice(0, 8).join("; ");
        }"""
    )


def assert_fits_the_phone(page: Page) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE["width"], overflow_report(page)


def open_turn_editor(page: Page, post_id: int) -> None:
    page.goto(f"/studio/posts/{post_id}")
    reply = page.locator("#turns > article.studio-turn").nth(1)
    turn_control(reply, "a.edit-turn").click()
    expect(reply.locator("textarea.turn-source")).to_be_focused()
    expect(reply.locator(".preview__body pre")).to_be_visible()


@pytest.fixture
def published_wide(live_app) -> dict:
    """The wide conversation published (its email kept on purpose), then edited again: the
    editor's Update step, revisions and their comparison have something to show."""
    kept = WIDE_CONVERSATION.replace(b"Thanks, that", b"Thanks again, that")
    post_id = import_draft(live_app, kept.replace(b"title: ", b"title: Kept"), "kept.md")
    with live_app.app_context():
        post = db.session.get(Post, post_id)
        for found in findings_for(post):
            keep_finding(post, found.finding.fingerprint, found.finding.kind, "A made-up address")
    publish_post(live_app, post_id)
    with live_app.app_context():
        post = db.session.get(Post, post_id)
        reply = post.turns[1]
        save_turn(reply, f"{reply.source}\n\nAnd {LONG_URL}", reply.version)
        return {
            "post": post_id,
            "revision": post.published_revision_id,
            "batch": post.import_batch_id,
            "listed": ",".join(str(p.id) for p in db.session.scalars(db.select(Post))),
        }


SIGNED_IN_PAGES = {
    "dashboard": lambda page, ids: page.goto("/studio/"),
    "editor": lambda page, ids: page.goto(f"/studio/posts/{ids['draft']}"),
    "open turn editor": lambda page, ids: open_turn_editor(page, ids["draft"]),
    "turn editor page": lambda page, ids: page.goto(
        f"/studio/posts/{ids['draft']}/turns/{ids['reply']}/edit"
    ),
    "new post": lambda page, ids: page.goto("/studio/posts/new"),
    "import": lambda page, ids: page.goto("/studio/import/"),
    "import job": lambda page, ids: page.goto(f"/studio/import/{ids['token']}"),
    "settings": lambda page, ids: page.goto("/studio/settings"),
    "diff": lambda page, ids: page.goto(f"/studio/posts/{ids['draft']}/turns/{ids['reply']}/diff"),
    "editor with staged changes": lambda page, ids: page.goto(f"/studio/posts/{ids['post']}"),
    "revisions": lambda page, ids: page.goto(f"/studio/posts/{ids['post']}/revisions"),
    "compare": lambda page, ids: page.goto(
        f"/studio/posts/{ids['post']}/revisions/compare?a={ids['revision']}&b=working"
    ),
    "preview as a reader": lambda page, ids: page.goto(f"/studio/posts/{ids['post']}/preview"),
    "bulk confirmation": lambda page, ids: page.goto(
        f"/studio/bulk?action=tag&value={LONG_WORD}&scope=page&page_ids={ids['listed']}"
    ),
    "past imports": lambda page, ids: page.goto("/studio/imports"),
    "undo an import": lambda page, ids: page.goto(f"/studio/imports/{ids['batch']}/undo"),
}


def db_turn_id(live_app, post_id: int) -> int:
    with live_app.app_context():
        return db.session.get(Post, post_id).turns[1].id


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.base_url, viewport=PHONE)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_studio_page_fits_a_phone(
    phone: Page, live_app, wide_post, listed_job, published_wide, name
):
    ids = {"draft": wide_post, "reply": db_turn_id(live_app, wide_post), "token": listed_job}
    sign_in(phone)
    SIGNED_IN_PAGES[name](phone, ids | published_wide)
    expect(phone.locator("main")).to_be_visible()
    assert_fits_the_phone(phone)


def test_long_code_scrolls_inside_its_own_box(phone: Page, live_app, wide_post):
    sign_in(phone)
    phone.goto(f"/studio/posts/{wide_post}")
    block = phone.locator("#turns .turn__body pre").first
    expect(block).to_contain_text("upstream/upstream/")
    sizes = block.evaluate("pre => [pre.scrollWidth, pre.clientWidth]")
    assert sizes[0] > sizes[1], "the long line was wrapped or cut instead of scrolling"
    assert_fits_the_phone(phone)


def test_sign_in_page_fits_a_phone(phone: Page, wide_post):
    phone.goto("/login")
    expect(phone.locator("#username")).to_be_visible()
    assert_fits_the_phone(phone)


@pytest.fixture
def first_run_server(tmp_path):
    """The app before its owner account exists: the setup page is the way in."""
    (tmp_path / "first-run").mkdir()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "setup-" + "k" * 40,
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path / "first-run"),
            "HUEY_SQLITE_PATH": str(tmp_path / "first-run-queue.sqlite3"),
        }
    )
    with app.app_context():
        upgrade()
    server = LiveServer(app).start()
    yield server
    server.stop()
    dispose(app)


def test_setup_page_fits_a_phone(browser, first_run_server):
    context = browser.new_context(base_url=first_run_server.base_url, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/setup")
        expect(page.locator("#token")).to_be_visible()
        assert_fits_the_phone(page)
    finally:
        context.close()
