"""The studio used on a 390 px phone and at a 1280 px desk, with an archive's worth of posts.

Fitting the screen is not enough (a title four letters wide fits too): each dashboard card's
title is at most two lines and as wide as the card, each turn shows one primary action, nothing
sticks over the text, and the shortcut help shows only where there is a keyboard.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from blog import posts
from blog.extensions import db
from blog.models import Post, User
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
TITLES = [
    "Understanding the differences between Python list comprehensions and generator expressions",
    "Kubernetes ingress-nginx 502 errors behind an AWS load balancer with TLS passthrough",
    "Trip planning: two weeks in Japan in October with kids",
    "Sourdough starter troubleshooting",
    "Supercalifragilistic-reverse-proxy-configuration-for-the-home-laboratory-server",
]
STREETS = ["Maple Street", "Oak Avenue", "Elm Road", "Birch Lane", "Cedar Drive"]
STOPS = [f"- {10 + n} {STREETS[n % 5]}, stop {n}" for n in range(40)]


@pytest.fixture
def archive(live_app) -> dict:
    """Twenty posts of real-length titles, and a route of forty street addresses and a phone."""
    with live_app.app_context():
        author = db.session.scalar(db.select(User))
        for n in range(20):
            post = posts.create_post(author, f"{TITLES[n % len(TITLES)]} ({n})")
            posts.add_turn(post, "user", source=f"Question {n}: how does this work?")
            posts.add_turn(post, "assistant", source=f"Here is how it works, part {n}.")
        route = posts.create_post(author, "Delivery route for the Saturday market volunteers")
        first = "Plan a route through these stops:\n" + "\n".join(STOPS[:25])
        posts.add_turn(route, "user", source=first + "\nCall me on 415-555-0132.")
        posts.add_turn(route, "assistant", source="The route:\n" + "\n".join(STOPS[25:]))
        posts.add_turn(route, "user", source="Thanks! Can you sort them by street?")
        posts.add_turn(route, "assistant", source="Sorted by street, from the market outwards.")
        return {"route": route.id}


def context_page(browser, live_server, viewport: dict, touch: bool) -> Page:
    context = browser.new_context(
        base_url=live_server.base_url, viewport=viewport, has_touch=touch, is_mobile=touch
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page)
    return page


@pytest.fixture
def phone(browser, live_server):
    page = context_page(browser, live_server, PHONE, touch=True)
    yield page
    page.context.close()


@pytest.fixture
def desk(browser, live_server):
    page = context_page(browser, live_server, DESK, touch=False)
    yield page
    page.context.close()


def assert_no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


def test_dashboard_on_a_phone_is_a_list_of_cards(phone: Page, archive):
    phone.goto("/studio/")
    cards = phone.locator("#post-list .post-card")
    expect(cards).to_have_count(21)
    assert_no_sideways_scroll(phone)
    boxes = cards.evaluate_all(
        """cards => cards.map(card => {
          const title = card.querySelector('.post-card__title');
          const style = getComputedStyle(title);
          const parts = ['.post-card__status', 'time', '.post-card__counts']
            .map(s => card.querySelector(s).getBoundingClientRect());
          return {
            text: title.textContent.trim(),
            height: title.getBoundingClientRect().height,
            line: parseFloat(style.lineHeight),
            width: title.getBoundingClientRect().width,
            card: card.getBoundingClientRect().width,
            right: Math.max(...parts.map(box => box.right)),
            hidden: parts.some(box => box.width === 0 || box.height === 0),
          };
        })"""
    )
    for box in boxes:
        assert box["height"] <= 2 * box["line"] + 1, f"more than two lines: {box}"
        # The title has the card's width, not a column's four letters.
        assert box["width"] >= 0.75 * box["card"], f"a narrow title column: {box}"
        assert box["right"] <= PHONE["width"] and not box["hidden"], f"cut off: {box}"
    # Only the search box is out; the other filters and the bulk actions are folded.
    expect(phone.locator("#filter-q")).to_be_visible()
    expect(phone.locator("#filter-status")).to_be_hidden()
    expect(phone.locator("#bulk-action")).to_be_hidden()
    assert cards.first.bounding_box()["y"] < PHONE["height"], "the first post is off the screen"


def visible_actions(page: Page) -> list[dict]:
    """Per turn: the actions in sight outside its menu, and whether the menu's button shows."""
    return page.locator("#turns > article.studio-turn").evaluate_all(
        """turns => turns.map(turn => {
          const tools = turn.querySelector('.turn__tools');
          const shown = el => el.getClientRects().length > 0
            && getComputedStyle(el).visibility !== 'hidden';
          const actions = [...tools.querySelectorAll('a, button, select, input:not([type=hidden])')]
            .filter(el => !el.closest('details.turn-menu') && shown(el));
          return {
            id: turn.id,
            actions: actions.map(el => el.textContent.trim()),
            menu: shown(tools.querySelector('details.turn-menu > summary')),
            reviewing: turn.classList.contains('needs-review'),
          };
        })"""
    )


def test_editor_on_a_phone_shows_one_action_per_turn(phone: Page, archive):
    phone.goto(f"/studio/posts/{archive['route']}")
    turns = visible_actions(phone)
    assert len(turns) == 4
    for turn in turns:
        expected = ["Mark reviewed"] if turn["reviewing"] else ["Edit"]
        assert turn["actions"] == expected and turn["menu"], turn
    assert_no_sideways_scroll(phone)
    # Shortcut help is for a keyboard; a phone has none.
    expect(phone.locator(".keyboard-help")).to_be_hidden()
    # Nothing stays on the screen over the text while it scrolls.
    stuck = phone.evaluate(
        """[...document.querySelectorAll('main *')]
          .filter(el => ['sticky', 'fixed'].includes(getComputedStyle(el).position))
          .map(el => el.id || el.className)"""
    )
    assert stuck == []

    # The rest is in the turn's menu, one tap away, and works from there.
    reply = phone.locator("#turns > article.studio-turn").nth(1)
    reply.locator("details.turn-menu > summary").click()
    expect(reply.locator("a.edit-turn")).to_be_visible()
    expect(reply.locator("button.delete-turn")).to_be_visible()
    assert_no_sideways_scroll(phone)
    reply.locator("button.review-turn").click()
    expect(reply.locator(".badge--ok")).to_have_text("reviewed")
    assert [t["actions"] for t in visible_actions(phone)][1] == ["Edit"]


def test_at_a_desk_the_keys_are_told_and_the_studio_is_as_wide_as_the_header(desk: Page, archive):
    desk.goto(f"/studio/posts/{archive['route']}")
    expect(desk.locator(".keyboard-help")).to_be_visible()
    for path in ("/studio/", f"/studio/posts/{archive['route']}"):
        desk.goto(path)
        header = desk.locator(".site-header__inner").bounding_box()
        main = desk.locator("main").bounding_box()
        assert main["width"] <= header["width"] + 0.5, (path, main, header)
        assert abs(main["x"] - header["x"]) <= 0.5, (path, main, header)


def test_redact_every_street_address_after_its_preview(phone: Page, archive, live_app):
    phone.goto(f"/studio/posts/{archive['route']}")
    addresses = phone.locator("#privacy .finding-kind[data-kind=address]")
    expect(addresses).to_contain_text("40 street addresses in 2 turns")
    addresses.get_by_role("link", name="Redact all…").click()

    expect(phone.locator("h1")).to_have_text("Redact 40 street addresses")
    preview = phone.locator(".redaction-preview > li")
    expect(preview).to_have_count(40)
    expect(preview.first.locator("del")).to_have_text("10 Maple Street")
    expect(preview.first.locator("ins")).to_have_text("[address redacted]")
    assert_no_sideways_scroll(phone)
    with live_app.app_context():
        assert "10 Maple Street" in db.session.get(Post, archive["route"]).turns[0].source

    phone.get_by_role("button", name="Redact 40 street addresses").first.click()
    expect(phone.locator(".flash--success")).to_have_text("Redacted 40 street addresses.")
    expect(phone.locator("#privacy .finding-kind[data-kind=address]")).to_have_count(0)
    expect(phone.locator("#privacy")).to_contain_text("1 phone number in 1 turn")
    first = phone.locator("#turns > article.studio-turn").first
    expect(first.locator(".turn__body")).to_contain_text("[address redacted], stop 0")
    expect(first.locator(".turn__body")).not_to_contain_text("Maple Street")
