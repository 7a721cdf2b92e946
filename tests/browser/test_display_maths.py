"""Displayed maths in a real browser: each formula a block of its own, scrolling in its box."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import import_draft, publish_post

pytestmark = pytest.mark.browser

LONG = " + ".join(
    f"\\frac{{a_{{{n}}}^{{2}} + b_{{{n}}}}}{{c_{{{n}}} - d_{{{n}}}}}" for n in range(40)
)
# Two formulas on consecutive lines of one paragraph, as models write them, then one alone.
REPLY = (
    "Summing the terms gives\n"
    f"\\[\nS = {LONG}\n\\]\n"
    f"\\[\nT = {LONG} + 1\n\\]\n"
    "and so on.\n\n"
    f"\\[\nU = {LONG}\n\\]\n\n"
    "Two short ones, one a line:\n\\[ x^2 + y^2 = z^2 \\]\n\\[ \\frac{a}{b} = c \\]\n"
)
CONVERSATION = "---\ntitle: Long sums\n---\n\nWhat is the sum?\n\n" + "\n".join(
    f"> {line}" if line else ">" for line in REPLY.splitlines()
)


@pytest.fixture
def slug(live_app) -> str:
    return publish_post(live_app, import_draft(live_app, CONVERSATION.encode(), "sums.md"))


@pytest.mark.parametrize("width", [390, 1280])
def test_long_display_equations_neither_overlap_nor_widen_the_page(page: Page, slug, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/posts/{slug}")

    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.math-display')].map((element) => {
            const box = element.getBoundingClientRect();
            return {top: box.top, bottom: box.bottom, left: box.left, right: box.right,
                    scrolls: element.scrollWidth > element.clientWidth,
                    overflow: getComputedStyle(element).overflowX};
        })"""
    )
    page.screenshot(path=f"/tmp/display-maths-{width}.png", full_page=True)

    assert len(boxes) == 5
    for upper, lower in zip(boxes, boxes[1:], strict=False):
        assert upper["bottom"] <= lower["top"], (upper, lower)
    for box in boxes:
        assert box["right"] <= width and box["left"] >= 0, box
        assert box["overflow"] == "auto", box
    assert all(box["scrolls"] for box in boxes[:3])
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width
