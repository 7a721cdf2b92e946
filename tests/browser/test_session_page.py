"""A long coding-agent session on the reader's page, in a real browser without scripts, on a
phone and a desk: each tool call one line that opens to its detail, diffs and plans readable,
and nothing wider than the screen."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from blog import posts as content
from blog.extensions import db
from blog.models import Post
from blog.vocabulary import Role
from tests.browser import FIXTURES, import_draft

pytestmark = pytest.mark.browser

ROUNDS = 32  # 11 calls and their results a round: 704 tool turns


def long_session() -> bytes:
    """The fixture session's work done again, round after round, as one Claude Code log."""
    text = (FIXTURES / "claude_code_tool_session.jsonl").read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines()]
    out: list[dict] = []
    last = None
    for round_ in range(ROUNDS):
        for original in entries:
            if "uuid" not in original:
                if round_ == 0:
                    out.append(original)
                continue
            entry = copy.deepcopy(original)
            entry["uuid"] = f"{entry['uuid']}-{round_}"
            parent = entry.get("parentUuid")
            entry["parentUuid"] = f"{parent}-{round_}" if parent else last
            when = datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))
            entry["timestamp"] = (when + timedelta(minutes=4 * round_)).isoformat()
            message = entry.get("message") or {}
            if "id" in message:
                message["id"] = f"{message['id']}-{round_}"
            if isinstance(message.get("content"), str):
                message["content"] = f"Round {round_ + 1}: {message['content']}"
            for block in message.get("content") if isinstance(message.get("content"), list) else []:
                for key in ("id", "tool_use_id"):
                    if key in block:
                        block[key] = f"{block[key]}-{round_}"
            last = entry["uuid"]
            out.append(entry)
    return "\n".join(json.dumps(entry) for entry in out).encode()


@pytest.fixture
def slug(live_app) -> str:
    post_id = import_draft(live_app, long_session(), "long-session.jsonl")
    with live_app.app_context():
        post = db.session.get(Post, post_id)
        assert content.set_role_excluded(post, Role.TOOL, False) == ROUNDS * 22
        content.publish(post, confirmed=True, mark_reviewed=True)
        return post.slug


@pytest.mark.parametrize("width", [390, 1280])
def test_a_long_session_reads_one_line_a_call(browser, live_server, slug, width):
    context = browser.new_context(
        base_url=live_server.base_url,
        viewport={"width": width, "height": 844 if width == 390 else 900},
        java_script_enabled=False,
    )
    page = context.new_page()
    page.goto(f"/posts/{slug}")
    expect(page.locator(".session-summary")).to_contain_text(f"Tool calls{ROUNDS * 11}")
    assert page.locator("details.tool").count() >= ROUNDS * 11
    page.screenshot(path=f"/tmp/session-{width}-top.png")

    # The second round: a plan, three reads grouped, a failing command, edits.
    block = page.locator(".tools").nth(2)
    block.scroll_into_view_if_needed()
    plan = block.locator("details.tool").first
    expect(plan.locator(".tool__line")).to_have_text(
        "Plan: 0 of 3 done · now: Reproduce the missing last row"
    )
    expect(plan.locator(".plan")).to_be_hidden()
    plan.locator(".tool__line").click()
    expect(plan.locator(".plan__item")).to_have_count(3)
    expect(plan.locator(".plan__item").first).to_be_visible()

    reads = block.locator("details.tool--group")
    expect(reads.locator("> .tool__line")).to_have_text("Read 3 files")
    reads.locator("> .tool__line").click()
    expect(reads.locator(".tool__group > details.tool")).to_have_count(3)

    failing = block.locator("details.tool--failed")
    expect(failing.locator(".tool__line")).to_have_text(
        "Bash: pytest -q tests/test_export.py → exit 1"
    )
    failing.locator(".tool__line").click()
    expect(failing.locator(".tool__part--result .turn__body")).to_contain_text("AssertionError")
    page.screenshot(path=f"/tmp/session-{width}-plan.png")

    edits = page.locator(".tools").nth(3)
    edits.scroll_into_view_if_needed()
    edit = edits.locator("details.tool", has_text="Edit src/csvkit/export.py")
    expect(edit.locator(".diff__line--add").first).to_be_hidden()
    edit.locator(".tool__line").click()
    expect(edit.locator(".diff__line--add").first).to_be_visible()
    expect(edit.locator(".diff__line--del").first).to_have_text(
        "-    for i in range(len(rows) - 1):"
    )
    added = edit.locator(".diff__line--add").first.evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    removed = edit.locator(".diff__line--del").first.evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert added != removed and "rgba(0, 0, 0, 0)" not in (added, removed)
    long_run = edits.locator("details.tool", has_text="Bash: pytest -v")
    long_run.locator(".tool__line").click()
    expect(long_run.locator(".tool__more > summary")).to_have_text("Show 27 more lines")
    long_run.locator(".tool__more > summary").click()
    edit.scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/session-{width}-diff.png")

    # Nothing opened is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width
    # A link to a result inside a closed line opens the line to show it.
    target = failing.locator(".tool__part--result").get_attribute("id")
    page.goto(f"/posts/{slug}#{target}")
    expect(page.locator(f"details:has(#{target})").first).to_have_attribute("open", "")
    expect(page.locator(f"#{target} .turn__body")).to_be_in_viewport()
    context.close()
