"""Replies from the fediverse on a 390 px phone: the thread under a post, and the studio's replies
and blocks pages used without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from blog import posts
from blog.extensions import db
from blog.federation import replies
from blog.federation.inbox import comment_html
from blog.federation.models import RemoteComment
from blog.models import User
from tests.browser import LiveServer, build_app, dispose
from tests.browser.conftest import sign_in
from tests.conftest import database_url

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_LINK = "https://en.wikipedia.org/wiki/Rayleigh_scattering#Cause_of_the_blue_color_of_the_sky"
# (actor, name, content, approved)
REPLIES = [
    (
        "https://mastodon.example/users/ada",
        "Ada Lovelace-Byron, Countess of Computation and Wandering Footnotes",
        f'<p><a href="{LONG_LINK}">{LONG_LINK}</a> explains it well.</p>',
        True,
    ),
    ("https://gts.example/users/grace", "grace", "<p>First.</p><p>Second paragraph.</p>", True),
    (
        "https://spam.example/users/buy-now",
        "Totally real offers",
        "<p>Cheap sunsets at https://spam.example/" + "a" * 80 + "</p>",
        False,
    ),
]


@pytest.fixture
def site(tmp_path):
    """A federating site with a published post, two approved replies and one waiting."""
    app = build_app(
        database_url(tmp_path),
        tmp_path / "import-queue.sqlite3",
        FEDERATION_ENABLED=True,
        SITE_URL="http://127.0.0.1",
    )
    with app.app_context():
        post = posts.create_post(db.session.scalar(db.select(User)), "Why is the sky blue?")
        posts.add_turn(post, "user", source="Why is the sky blue?")
        posts.add_turn(post, "assistant", source="Rayleigh scattering.")
        posts.publish(post, confirmed=True, mark_reviewed=True)
        for n, (actor, name, html, approved) in enumerate(REPLIES):
            reply = RemoteComment(
                post_id=post.id,
                object_uri=f"{actor}/statuses/{n}",
                actor_uri=actor,
                actor_name=name,
                url=f"{actor}/statuses/{n}",
                content_html=comment_html({"content": html}),
            )
            db.session.add(reply)
            db.session.commit()
            if approved:
                replies.approve(reply)
        slug = post.slug
    server = LiveServer(app).start()
    yield server, slug
    server.stop()
    dispose(app)


@pytest.fixture
def phone(browser, site):
    server, _ = site
    context = browser.new_context(
        base_url=server.base_url,
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        java_script_enabled=False,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def assert_fits(page: Page, selector: str) -> None:
    """No sideways scroll, and nothing in any of `selector` wider than its box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"
    overflowing = page.eval_on_selector_all(
        selector, "els => els.filter(el => el.scrollWidth > el.clientWidth + 1).length"
    )
    assert overflowing == 0


def test_the_thread_under_a_post_fits_a_phone(phone: Page, site):
    _, slug = site
    phone.goto(f"/posts/{slug}")
    thread = phone.locator(".fediverse-reply")
    expect(thread).to_have_count(2)
    expect(phone.locator(".fediverse")).to_contain_text("Countess of Computation")
    expect(phone.locator(".fediverse")).not_to_contain_text("Cheap sunsets")
    assert_fits(phone, ".fediverse-reply")
    for n in range(2):
        box = thread.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_replies_are_decided_and_a_server_blocked_on_a_phone_without_javascript(phone: Page):
    sign_in(phone)
    phone.goto("/studio/fediverse/replies")
    assert_fits(phone, ".fediverse-reply")
    waiting = phone.locator(".fediverse-reply--pending")
    expect(waiting).to_have_count(1)
    for name in ("Approve", "Reject", "Delete", "Block…"):
        box = waiting.get_by_text(name, exact=True).bounding_box()
        assert box["height"] >= 30, f"{name} is {box['height']}px tall"
        assert box["x"] + box["width"] <= PHONE["width"]
    waiting.locator("details.turn-menu summary").click()
    waiting.get_by_role("button", name="Block the server spam.example").click()
    expect(phone.locator(".flash--success")).to_contain_text(
        "Blocked the server spam.example: 0 followers removed"
    )
    expect(phone.locator(".fediverse-reply--pending")).to_have_count(0)
    expect(phone.locator(".fediverse-reply--rejected")).to_contain_text("Cheap sunsets")

    phone.get_by_role("link", name="Blocked servers and accounts").click()
    assert_fits(phone, ".fediverse-block")
    phone.fill("#block-target", "https://mastodon.example/users/ada")
    phone.get_by_role("button", name="Block", exact=True).click()
    expect(phone.locator(".flash--success")).to_contain_text("1 reply rejected")
    expect(phone.locator(".fediverse-block")).to_have_count(2)
    phone.locator(".fediverse-block", has_text="spam.example").get_by_role(
        "button", name="Unblock"
    ).click()
    expect(phone.locator(".flash--success")).to_contain_text("Unblocked the server spam.example")
    expect(phone.locator(".fediverse-block")).to_have_count(1)
