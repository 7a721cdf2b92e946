"""A prompt shown as typed in a real browser: a pasted multi-line prompt keeps its lines and
spaces, on a phone and at a desk, and the page never scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from bench.chatgpt_export import chatgpt_conversation, chatgpt_export
from tests.browser import import_draft, publish_post

pytestmark = pytest.mark.browser

STEPS = [f"step {n}: check the {word} value" for n, word in enumerate("abcdefgh", 1)]
PROMPT = (
    "Why does this print nothing?\n\n"
    "    for item in items:\n"
    "        if item.ready:\n"
    "            print(item)\n\n"
    + "\n".join(STEPS)
    + "\n*not emphasis*  two spaces kept\n"
    + "https://example.org/"
    + "a" * 120
)
REPLY = "`items` is empty, so the loop never runs."
EXPORT = chatgpt_export(chatgpt_conversation(1, texts=[PROMPT, REPLY], title="Loop"))


@pytest.fixture
def slug(live_app) -> str:
    return publish_post(live_app, import_draft(live_app, EXPORT, "conversations.json"))


@pytest.mark.parametrize("width", [390, 1280])
def test_a_pasted_multi_line_prompt_keeps_its_lines(page: Page, slug, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/posts/{slug}")
    prompt = page.locator("[data-role=user] .turn__body .typed").first
    shown = prompt.inner_text()
    lines = shown.split("\n")
    # Every line as typed, the code's indentation included.
    for expected in ["    for item in items:", "        if item.ready:", *STEPS]:
        assert expected in lines, (expected, lines)
    assert "*not emphasis*  two spaces kept" in shown
    assert prompt.locator("em").count() == 0
    # Each address on a line of its own, drawn so: as many line boxes as lines, at least.
    height = prompt.evaluate("el => el.getBoundingClientRect().height")
    line_height = prompt.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert height >= line_height * (len(STEPS) + 5)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
