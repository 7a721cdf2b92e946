"""Material a chat app folds (code cells, their output) in a real browser: hidden at import,
shown by the author, then folded on the page and in the feed, with a true "how it was made"."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from playwright.sync_api import Page, expect

from tests.browser import import_draft, publish_post, turn_control
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
# Kept as the import stores a ChatGPT code cell and its output: turns of their own role,
# left out until the author shows them.
CONVERSATION = {
    "format": "colloquy",
    "version": 1,
    "title": "Squares in Python",
    "source_kind": "chatgpt",
    "model": "GPT-4o",
    "turns": [
        {"role": "user", "text": "What are the squares of 0 to 3?"},
        {
            "role": "code",
            "text": "```python\nprint([n * n for n in range(4)])\n```",
            "hidden": True,
        },
        {"role": "output", "text": "```\n[0, 1, 4, 9]\n```", "hidden": True},
        {"role": "assistant", "text": "They are 0, 1, 4 and 9."},
    ],
}


def how_made(page: Page):
    return page.locator("dd.how-made")


def show_and_review(page: Page, role: str) -> None:
    turn = page.locator(f"#turns article[data-role={role}]")
    expect(turn.locator(".badge", has_text="left out")).to_be_visible()
    turn_control(turn, "button.exclude-turn").click()
    turn = page.locator(f"#turns article[data-role={role}]")
    expect(turn.locator(".badge", has_text="not reviewed")).to_be_visible()
    turn.locator("button.review-turn").click()
    expect(
        page.locator(f"#turns article[data-role={role}] .badge", has_text="reviewed")
    ).to_have_text("reviewed")


def feed_item_body(page: Page) -> str:
    feed = ET.fromstring(page.request.get("/feed.xml").body())
    return feed.find("channel/item").findtext(CONTENT)


def test_code_and_output_hidden_then_shown_folded(live_app, page: Page):
    post_id = import_draft(live_app, json.dumps(CONVERSATION).encode(), "squares.json")
    slug = publish_post(live_app, post_id)

    page.goto(f"/posts/{slug}")
    # Counted in "How this was made"; named by kind on the headline line.
    expect(how_made(page)).to_have_text("Transcript; code cell and its output not shown")
    expect(page.locator(".ai-disclosure__kind")).to_have_text(
        "Transcript; code cells and code output not shown."
    )
    expect(page.locator("details.turn__fold")).to_have_count(0)
    expect(page.locator(".omitted")).to_have_count(0)
    # Told in place as material not shown, never as the author's omission.
    expect(page.locator(".hidden-material")).to_have_text(["Code cell and its output not shown"])
    assert "Transcript; code cell and its output not shown" in feed_item_body(page)

    sign_in(page)
    page.goto(f"/studio/posts/{post_id}")
    role_choices = page.locator("#turns article[data-role=user] select[aria-label=Role] option")
    expect(role_choices.filter(has_text="Code")).to_have_count(1)
    show_and_review(page, "code")
    show_and_review(page, "output")
    # Staged until the author presses Update.
    page.goto(f"/studio/posts/{post_id}")
    update = page.locator("form.update-form")
    update.locator("input[name=confirm_policies]").check()
    update.locator("input[name=confirm_privacy]").check()
    update.locator("button[type=submit]").click()
    expect(page.locator(".flash").first).to_contain_text("Updated")

    page.goto(f"/posts/{slug}")
    expect(how_made(page)).to_have_text("Verbatim transcript")
    code = page.locator('#turn-2[data-role="code"] details.turn__fold')
    expect(code.locator("summary")).to_have_text("Code")
    expect(code.locator(".turn__body")).to_be_hidden()
    code.locator("summary").click()
    expect(code.locator(".turn__body")).to_contain_text("print([n * n for n in range(4)])")
    output = page.locator('#turn-3[data-role="output"] details.turn__fold')
    expect(output.locator("summary")).to_have_text("Output")
    expect(page.locator(".conversation article.turn")).to_have_count(4)
    expect(page.locator(".hidden-material")).to_have_count(0)

    body = feed_item_body(page)
    assert "<summary>Code</summary>" in body and "<summary>Output</summary>" in body
    assert "[0, 1, 4, 9]" in body and "Verbatim transcript" in body
    assert "not shown" not in body
