"""What authors expect, in a real browser: a private preview link, a scheduled post going out at
its time, and an open turn editor that survives a reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from blog import posts as content
from blog.extensions import db
from blog.models import Post
from tests.browser import import_draft
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

CONVERSATION = b"""---
title: Why the sea is salty
model: GPT-4o
---
Why is the sea salty?

> Rivers carry **dissolved minerals** from rocks into the sea, and evaporation leaves them behind.
"""


@pytest.fixture
def draft(live_app) -> int:
    return import_draft(live_app, CONVERSATION, "salty-sea.md")


def review_all(app, post_id: int) -> None:
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.set_reviewed([turn for turn in post.turns if turn.is_ai])


def reply_id(app, post_id: int) -> int:
    with app.app_context():
        return db.session.get(Post, post_id).turns[1].id


def open_turn_editor(turn) -> None:
    """Click the turn's Edit, opening its More menu first when Edit is kept there."""
    if turn.locator("a.edit-turn:visible").count() == 0:
        turn.locator("details.turn-menu > summary").click()
    turn.locator("a.edit-turn:visible").first.click()


def test_a_preview_link_works_signed_out_until_revoked(
    signed_in_page: Page, browser, live_server, draft
):
    page = signed_in_page
    page.goto(f"/studio/posts/{draft}")
    page.locator("button.create-preview-link").click()
    link = page.locator("input.preview-link__url")
    expect(link).to_have_count(1)
    url = link.input_value()
    assert "/preview/" in url and len(url.rsplit("/", 1)[1]) >= 43

    # Someone with no cookies at all: a fresh browser profile.
    stranger = browser.new_context()
    try:
        reader = stranger.new_page()
        answer = reader.goto(url)
        assert answer.status == 200
        assert answer.headers["cache-control"] == "private, no-store"
        assert "noindex" in answer.headers["x-robots-tag"]
        expect(reader.locator(".preview-banner")).to_contain_text("Preview — not published")
        expect(reader.locator("#turn-2")).to_contain_text("dissolved minerals")
        expect(reader.locator("aside.ai-disclosure").first).to_be_visible()
        expect(reader.locator("meta[name=robots]")).to_have_attribute(
            "content", "noindex, nofollow"
        )
        reader.screenshot(path="/tmp/preview-link-reader.png", full_page=True)

        page.locator("button.revoke-preview-link").click()
        expect(page.locator("#preview-links")).to_contain_text("revoked")
        expect(page.locator("input.preview-link__url")).to_have_count(0)
        assert reader.goto(url).status == 404
    finally:
        stranger.close()


def test_a_scheduled_post_goes_out_at_its_time(
    signed_in_page: Page, browser, live_server, live_app, draft
):
    review_all(live_app, draft)
    at = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    page = signed_in_page
    page.goto(f"/studio/posts/{draft}")
    page.locator("details.schedule__later summary").click()
    form = page.locator("form.schedule-form")
    form.locator("input[name=confirm_policies]").check()
    form.locator("input[name=confirm_privacy]").check()
    form.locator("input[name=publish_at]").fill(at.strftime("%Y-%m-%dT%H:%M"))
    form.locator("button.schedule-publish").click()
    expect(page.locator(".schedule__state")).to_contain_text("Scheduled:")
    expect(page.locator(".schedule-banner")).to_contain_text(f"{at:%-d %B %Y, %H:%M} UTC")
    page.screenshot(path="/tmp/schedule-editor.png", full_page=True)
    page.goto("/studio/")
    expect(page.locator(".schedule-flag")).to_contain_text("scheduled for")

    stranger = browser.new_context()
    try:
        reader = stranger.new_page()
        reader.goto(live_server.url("/"))
        expect(reader.locator("main")).not_to_contain_text("Why the sea is salty")
        # The worker's minute check, run here at a given time instead of waiting for it.
        with live_app.app_context():
            assert content.publish_due(at - timedelta(minutes=1)).published == []
            assert content.publish_due(at).published == [draft]
        reader.goto(live_server.url("/"))
        expect(reader.locator("main")).to_contain_text("Why the sea is salty")
        feed = reader.request.get(live_server.url("/feed.xml"))
        assert feed.status == 200 and "Why the sea is salty" in feed.text()
    finally:
        stranger.close()


def test_an_open_turn_editor_survives_a_reload(signed_in_page: Page, live_app, draft):
    page = signed_in_page
    turn_id = reply_id(live_app, draft)
    page.goto(f"/studio/posts/{draft}")
    turn = page.locator(f"#t{turn_id}")
    open_turn_editor(turn)
    textarea = turn.locator("textarea.turn-source")
    expect(textarea).to_be_visible()
    version = turn.locator("input[name=version]").input_value()
    textarea.fill("Half a thought about salt, not saved yet")

    page.reload()
    turn = page.locator(f"#t{turn_id}")
    expect(turn.locator("textarea.turn-source")).to_have_value(
        "Half a thought about salt, not saved yet"
    )
    expect(turn.locator(".autosave-note")).to_contain_text("Restored your unsaved text from")
    expect(turn.locator(".preview__body")).to_contain_text("Half a thought about salt")
    # The stale-edit guard still holds the version the text was typed against.
    assert turn.locator("input[name=version]").input_value() == version
    page.screenshot(path="/tmp/autosave-restored.png", full_page=True)

    # Discard puts the saved text back and forgets the draft: the next reload opens nothing.
    turn.locator("button.autosave-discard").click()
    expect(turn.locator("textarea.turn-source")).to_have_value(
        "Rivers carry **dissolved minerals** from rocks into the sea, and evaporation leaves "
        "them behind."
    )
    page.reload()
    expect(page.locator(f"#t{turn_id} .turn__body")).to_contain_text("dissolved minerals")
    expect(page.locator(".autosave-note")).to_have_count(0)
    expect(page.locator(f"#t{turn_id} textarea")).to_have_count(0)

    # Typed again, restored, then saved: the draft is gone once the server has the text.
    turn = page.locator(f"#t{turn_id}")
    open_turn_editor(turn)
    turn.locator("textarea.turn-source").fill("Salt, finally saved")
    page.reload()
    turn = page.locator(f"#t{turn_id}")
    expect(turn.locator(".autosave-note")).to_be_visible()
    turn.locator("button.save-turn").click()
    expect(turn.locator(".turn__body")).to_contain_text("Salt, finally saved")
    page.reload()
    expect(page.locator(f"#t{turn_id} .turn__body")).to_contain_text("Salt, finally saved")
    expect(page.locator(".autosave-note")).to_have_count(0)
    with live_app.app_context():
        assert db.session.get(Post, draft).turns[1].source == "Salt, finally saved"


def test_text_kept_for_an_older_version_is_refused_as_stale_with_both_texts(
    signed_in_page: Page, live_app, draft
):
    page = signed_in_page
    turn_id = reply_id(live_app, draft)
    page.goto(f"/studio/posts/{draft}")
    turn = page.locator(f"#t{turn_id}")
    open_turn_editor(turn)
    turn.locator("textarea.turn-source").fill("My version, typed in this tab")
    # Meanwhile the turn is saved elsewhere (another tab), which bumps its version.
    with live_app.app_context():
        content.save_turn(db.session.get(Post, draft).turns[1], "Saved from another tab", None)

    page.reload()
    turn = page.locator(f"#t{turn_id}")
    expect(turn.locator("textarea.turn-source")).to_have_value("My version, typed in this tab")
    expect(turn.locator(".autosave-note")).to_contain_text("saved again since")
    turn.locator("button.save-turn").click()
    # The server refuses the stale text and shows both, as for any stale save.
    expect(turn.locator(".stale-current")).to_contain_text("Saved from another tab")
    expect(turn.locator(".stale-yours")).to_contain_text("My version, typed in this tab")
    with live_app.app_context():
        assert db.session.get(Post, draft).turns[1].source == "Saved from another tab"


def test_signing_out_forgets_unsaved_text(signed_in_page: Page, live_app, draft):
    page = signed_in_page
    turn_id = reply_id(live_app, draft)
    page.goto(f"/studio/posts/{draft}")
    turn = page.locator(f"#t{turn_id}")
    open_turn_editor(turn)
    turn.locator("textarea.turn-source").fill("Private musings about salt")
    assert "Private musings" in page.evaluate("JSON.stringify(window.localStorage)")
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_url("**/")
    assert "Private musings" not in page.evaluate("JSON.stringify(window.localStorage)")
    sign_in(page)
    page.goto(f"/studio/posts/{draft}")
    expect(page.locator(f"#t{turn_id} .turn__body")).to_contain_text("dissolved minerals")
    expect(page.locator(".autosave-note")).to_have_count(0)
