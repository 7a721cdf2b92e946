"""In a real browser: Save details after turn actions on the same page keeps the new title;
Unpublish asks first and is undone in one click."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.models import Post
from tests.browser import import_draft, publish_post, turn_control

pytestmark = pytest.mark.browser

CONVERSATION = b"""---
title: conversations.json
date: 2024-06-02T08:30:00Z
model: GPT-4o
---
What is HTMX for?

> It lets any element send a request and swap the answer into the page.

And without JavaScript?

> Links and forms still work: HTMX only adds to them.
"""


def stored_title(app, post_id: int) -> str:
    with app.app_context():
        return db.session.get(Post, post_id).title


def ai_turns(page: Page):
    return page.locator("article.studio-turn[data-role=assistant]")


def save_title(page: Page, title: str) -> None:
    details = page.locator("details#details")
    if not details.evaluate("el => el.open"):
        details.locator("summary").click()
    page.fill("#title", title)
    details.locator("form button[type=submit]").click()


@pytest.mark.parametrize("action", ["review", "leave-out"])
def test_save_details_after_a_turn_action_keeps_the_new_title(
    live_app, signed_in_page: Page, action: str
):
    page = signed_in_page
    post_id = import_draft(live_app, CONVERSATION, "conversations.md")
    page.goto(f"/studio/posts/{post_id}")
    first = ai_turns(page).first
    if action == "review":
        turn_control(first, "button.review-turn").first.click()
        expect(ai_turns(page).first.locator(".badge--ok")).to_have_text("reviewed")
    else:
        turn_control(first, "button.exclude-turn").click()
        expect(ai_turns(page).first).to_have_class(re.compile("is-excluded"))

    # The details form was loaded before the turn action; htmx changed only the turn.
    save_title(page, "What HTMX is for")
    expect(page.locator(".flash--success")).to_contain_text("Details saved.")
    expect(page.locator("#title")).to_have_value("What HTMX is for")
    assert stored_title(live_app, post_id) == "What HTMX is for"


def test_unpublish_asks_first_and_is_undone_in_one_click(live_app, signed_in_page: Page, context):
    page = signed_in_page
    post_id = import_draft(live_app, CONVERSATION, "conversations.md")
    slug = publish_post(live_app, post_id)
    reader = context.browser.new_context(base_url=page.url.split("/studio")[0])
    try:
        page.goto(f"/studio/posts/{post_id}")
        panel = page.locator("details.unpublish")
        panel.locator("summary").click()
        button = panel.locator("button[type=submit]")
        button.click()  # the box is not ticked: the browser stops the form
        expect(page.locator(".flash--success")).to_have_count(0)
        assert reader.request.get(f"/posts/{slug}").status == 200

        panel.locator("input[name=confirm]").check()
        button.click()
        expect(page.locator(".flash--success")).to_contain_text("Unpublished")
        assert reader.request.get(f"/posts/{slug}").status == 404

        page.locator("form.restore-on-site button[type=submit]").click()
        expect(page.locator(".flash--success")).to_contain_text("Back on the site")
        assert reader.request.get(f"/posts/{slug}").status == 200
    finally:
        reader.close()
