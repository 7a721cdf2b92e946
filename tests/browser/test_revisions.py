"""Staged changes in a real browser: a reader in another profile sees them only after Update."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.models import Post
from tests.browser import import_draft, publish_post, turn_control

pytestmark = pytest.mark.browser

CONVERSATION = b"""---
title: Naming a grey cat
model: GPT-4o
---
What should I call my grey cat?

> Grey cats suit names like Ash, Smoke or Pebble.
"""


def reply_id(app, post_id: int) -> int:
    with app.app_context():
        return db.session.get(Post, post_id).turns[1].id


def press_update(page: Page, post_id: int) -> None:
    page.goto(f"/studio/posts/{post_id}")
    expect(page.locator("#staged")).to_have_attribute("data-staged", "yes")
    form = page.locator("form.update-form")
    form.locator("input[name=confirm_policies]").check()
    form.locator("input[name=confirm_privacy]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Updated")


def test_staged_edit_is_invisible_to_a_reader_until_update_and_restore(
    signed_in_page: Page, browser, live_server, live_app
):
    post_id = import_draft(live_app, CONVERSATION, "grey-cat.md")
    slug = publish_post(live_app, post_id)
    reader_context = browser.new_context(base_url=live_server.base_url)
    reader = reader_context.new_page()
    try:
        reader.goto(f"/posts/{slug}")
        expect(reader.locator("#turn-2")).to_contain_text("Ash, Smoke or Pebble")

        page = signed_in_page
        turn = reply_id(live_app, post_id)
        page.goto(f"/studio/posts/{post_id}")
        turn_control(page.locator(f"#t{turn}"), "a.edit-turn").click()
        page.locator(f"#t{turn} textarea.turn-source").fill("Maybe Nimbus (WORK IN PROGRESS)")
        page.locator(f"#t{turn} button.save-turn").click()
        expect(page.locator(f"#t{turn} .turn__body")).to_contain_text("WORK IN PROGRESS")
        # The panel tells of the staged edit and offers Update without a reload.
        expect(page.locator("#staged")).to_have_attribute("data-staged", "yes")
        expect(page.locator("form.update-form button[type=submit]")).to_be_visible()

        reader.reload()
        expect(reader.locator("#turn-2")).to_contain_text("Ash, Smoke or Pebble")
        expect(reader.locator("body")).not_to_contain_text("WORK IN PROGRESS")

        press_update(page, post_id)
        reader.reload()
        expect(reader.locator("#turn-2")).to_contain_text("Maybe Nimbus (WORK IN PROGRESS)")

        page.goto(f"/studio/posts/{post_id}/revisions")
        page.locator("button", has_text="Restore revision 1").click()
        expect(page.locator("body")).to_contain_text("Revision 1 is now your working copy")
        reader.reload()
        expect(reader.locator("#turn-2")).to_contain_text("WORK IN PROGRESS")

        press_update(page, post_id)
        reader.reload()
        expect(reader.locator("#turn-2")).to_contain_text("Ash, Smoke or Pebble")
        expect(reader.locator("body")).not_to_contain_text("WORK IN PROGRESS")
    finally:
        reader_context.close()
