"""The editor in a real browser: click-to-edit turns over HTMX, then publish and read the result."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.models import Post
from tests.browser import import_draft, turn_control
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

CAT_CONVERSATION = b"""---
title: Naming a grey cat
date: 2024-03-01T10:00:00Z
model: GPT-4o
---
What should I call my grey cat?

> Grey cats suit names like Ash, Smoke or Pebble.

Which one is the most unusual?

> Pebble is the least common of the three.

Never mind, thanks!

> You're welcome. Enjoy the new companion, whatever the name.
"""


@pytest.fixture
def draft(live_app) -> int:
    return import_draft(live_app, CAT_CONVERSATION, "naming-a-grey-cat.md")


def turn_ids(app, post_id: int) -> list[int]:
    with app.app_context():
        return [turn.id for turn in db.session.get(Post, post_id).turns]


def turn_sources(app, post_id: int) -> list[str]:
    with app.app_context():
        return [turn.source for turn in db.session.get(Post, post_id).turns]


def open_editor(page: Page, post_id: int) -> None:
    """Open the editor and mark the document, so a full page load would be noticed."""
    page.goto(f"/studio/posts/{post_id}")
    expect(page.locator("#turns")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")


def assert_no_page_load(page: Page) -> None:
    assert page.evaluate("window.stillTheSamePage === true"), "the page was reloaded"


def studio_turns(page: Page):
    return page.locator("#turns > article.studio-turn")


def test_editing_a_turn_in_place_with_live_preview(signed_in_page: Page, live_app, draft):
    page = signed_in_page
    reply_id = turn_ids(live_app, draft)[1]
    open_editor(page, draft)
    turn = page.locator(f"#t{reply_id}")

    turn_control(turn, "a.edit-turn").click()
    textarea = turn.locator("textarea.turn-source")
    expect(textarea).to_be_visible()
    expect(textarea).to_have_value("Grey cats suit names like Ash, Smoke or Pebble.")
    textarea.fill("Grey cats suit names like Ash, Smoke, Pebble or **Nimbus**.")
    expect(page.locator(f"#preview-{reply_id} strong")).to_have_text("Nimbus")

    turn.locator("button.save-turn").click()
    expect(turn.locator("textarea")).to_have_count(0)
    expect(turn.locator(".turn__body strong")).to_have_text("Nimbus")
    expect(turn.locator(".badge--edited")).to_be_visible()
    assert_no_page_load(page)
    assert "**Nimbus**" in turn_sources(live_app, draft)[1]


def test_cancel_restores_the_turn_unchanged(signed_in_page: Page, live_app, draft):
    page = signed_in_page
    prompt_id = turn_ids(live_app, draft)[0]
    open_editor(page, draft)
    turn = page.locator(f"#t{prompt_id}")

    turn_control(turn, "a.edit-turn").click()
    turn.locator("textarea.turn-source").fill("A text that must not be kept.")
    turn.locator("a.cancel-turn").click()

    expect(turn.locator("textarea")).to_have_count(0)
    expect(turn.locator(".turn__body")).to_have_text("What should I call my grey cat?")
    assert_no_page_load(page)
    assert turn_sources(live_app, draft)[0] == "What should I call my grey cat?"


def test_keyboard_ctrl_enter_saves_and_escape_cancels(signed_in_page: Page, live_app, draft):
    page = signed_in_page
    prompt_id = turn_ids(live_app, draft)[2]
    open_editor(page, draft)
    turn = page.locator(f"#t{prompt_id}")

    turn_control(turn, "a.edit-turn").click()
    textarea = turn.locator("textarea.turn-source")
    expect(textarea).to_be_focused()
    textarea.press("End")
    textarea.press_sequentially(" And why?")
    textarea.press("Control+Enter")
    expect(turn.locator("textarea")).to_have_count(0)
    expect(turn.locator(".turn__body")).to_have_text("Which one is the most unusual? And why?")

    turn_control(turn, "a.edit-turn").click()
    expect(textarea).to_be_focused()
    textarea.press_sequentially(" Not this.")
    textarea.press("Escape")
    expect(turn.locator("textarea")).to_have_count(0)
    expect(turn.locator(".turn__body")).to_have_text("Which one is the most unusual? And why?")
    assert_no_page_load(page)
    assert turn_sources(live_app, draft)[2] == "Which one is the most unusual? And why?"


def test_restructure_review_publish_and_read(signed_in_page: Page, browser, live_server, draft):
    page = signed_in_page
    live_app = live_server.app
    prompt, reply, second_prompt, second_reply, thanks, welcome = turn_ids(live_app, draft)
    open_editor(page, draft)
    expect(studio_turns(page)).to_have_count(6)

    # Edit the first reply.
    turn_control(page.locator(f"#t{reply}"), "a.edit-turn").click()
    page.locator(f"#t{reply} textarea.turn-source").fill(
        "Grey cats suit names like Ash, Smoke, Pebble or Nimbus."
    )
    page.locator(f"#t{reply} button.save-turn").click()
    expect(page.locator(f"#t{reply} .turn__body")).to_contain_text("Nimbus")

    # Add a turn after the second reply, choosing its role: it opens ready to write in.
    add_form = turn_control(page.locator(f"#t{second_reply}"), "form.add-turn")
    add_form.locator("select[name=role]").select_option("assistant")
    add_form.locator("button.add-after").click()
    expect(studio_turns(page)).to_have_count(7)
    added = studio_turns(page).nth(4)
    expect(added).to_have_attribute("data-role", "assistant")
    expect(added.locator("textarea.turn-source")).to_be_focused()
    added_id = added.get_attribute("data-turn-id")
    added = page.locator(f"#t{added_id}")
    added.locator("textarea.turn-source").fill("We chose Pebble in the end.")
    added.locator("button.save-turn").click()
    expect(added.locator(".turn__body")).to_have_text("We chose Pebble in the end.")

    # It was meant to be the author's note: change its role.
    role_form = turn_control(added, "form[action$='/role']")
    role_form.locator("select[name=role]").select_option("note")
    role_form.locator("button[type=submit]").click()
    expect(added).to_have_attribute("data-role", "note")
    expect(added.locator(".turn__body")).to_have_text("We chose Pebble in the end.")

    # Delete the closing pleasantry, accepting the confirmation.
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    turn_control(page.locator(f"#t{welcome}"), "button.delete-turn").click()
    expect(page.locator(f"#t{welcome}")).to_have_count(0)
    expect(studio_turns(page)).to_have_count(6)
    assert dialogs == ["Delete this turn?"]

    # The thanks belongs before the note: move it up.
    turn_control(page.locator(f"#t{thanks}"), "button[name=direction][value=up]").click()
    expect(studio_turns(page).nth(4)).to_have_id(f"t{thanks}")
    expect(studio_turns(page).nth(5)).to_have_id(f"t{added_id}")

    # Review both AI turns in place; then nothing blocks publishing.
    for ai_turn in (reply, second_reply):
        page.locator(f"#t{ai_turn} button.review-turn").click()
        expect(page.locator(f"#t{ai_turn} .badge--ok")).to_have_text("reviewed")
    assert_no_page_load(page)

    page.reload()
    expect(page.locator(".blockers")).to_have_count(0)
    publish_form = page.locator("form.publish-form")
    publish_form.locator("input[name=confirm_policies]").check()
    publish_form.locator("input[name=confirm_privacy]").check()
    publish_form.locator("button[type=submit]").click()
    expect(page.locator(".flash--success")).to_contain_text("Published")
    expect(page.locator(".status strong")).to_have_text("Published")

    public_url = page.locator(".status a").get_attribute("href")
    reader = browser.new_context(base_url=live_server.base_url)
    try:
        read_public_post(reader.new_page(), public_url)
    finally:
        reader.close()


def read_public_post(page: Page, url: str) -> None:
    """What a signed-out reader sees after the editing session."""
    page.goto(url)
    turns = page.locator("section.conversation > article.turn")
    expect(turns).to_have_count(6)
    roles = [turns.nth(i).get_attribute("data-role") for i in range(6)]
    assert roles == ["user", "assistant", "user", "assistant", "user", "note"]
    for number in range(1, 7):
        expect(turns.nth(number - 1)).to_have_id(f"turn-{number}")
    expect(page.locator("#turn-2 .turn__body")).to_have_text(
        "Grey cats suit names like Ash, Smoke, Pebble or Nimbus."
    )
    expect(page.locator("#turn-2 .turn__edited")).to_be_visible()
    expect(page.locator("#turn-5 .turn__body")).to_have_text("Never mind, thanks!")
    expect(page.locator("#turn-6 .turn__body")).to_have_text("We chose Pebble in the end.")
    expect(page.locator("section.conversation")).not_to_contain_text("You're welcome")
    expect(page.locator("aside.ai-disclosure")).to_be_visible()
    expect(page.locator("aside.ai-disclosure")).to_contain_text("GPT-4o")
    expect(page.locator("a[rel=license]").first).to_be_visible()


def test_editing_without_javascript(browser, live_server, draft):
    context = browser.new_context(base_url=live_server.base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page)
        reply_id = turn_ids(live_server.app, draft)[1]
        page.goto(f"/studio/posts/{draft}")

        turn_control(page.locator(f"#t{reply_id}"), "a.edit-turn").click()
        page.wait_for_url(f"**/studio/posts/{draft}/turns/{reply_id}/edit")
        expect(page.locator("h1.page-title")).to_have_text("Edit turn")
        page.locator("textarea.turn-source").fill("Ash, Smoke or Pebble; Pebble is my favourite.")
        page.locator("button.save-turn").click()

        page.wait_for_url(f"**/studio/posts/{draft}#t{reply_id}")
        expect(page.locator(".flash--success")).to_have_text("Turn saved.")
        expect(page.locator(f"#t{reply_id} .turn__body")).to_have_text(
            "Ash, Smoke or Pebble; Pebble is my favourite."
        )

        page.locator(f"#t{reply_id} button.review-turn").click()
        expect(page.locator(".flash--success")).to_have_text("Review recorded.")
        expect(page.locator(f"#t{reply_id} .badge--ok")).to_have_text("reviewed")
    finally:
        context.close()
    assert (
        turn_sources(live_server.app, draft)[1] == "Ash, Smoke or Pebble; Pebble is my favourite."
    )


def test_clicking_a_turns_text_opens_it_for_editing(signed_in_page: Page, live_app, draft):
    page = signed_in_page
    first_id = turn_ids(live_app, draft)[0]
    open_editor(page, draft)
    page.locator(f"#t{first_id} .turn__body").click()
    expect(page.locator(f"#t{first_id} textarea.turn-source")).to_be_visible()
    assert_no_page_load(page)
