"""The import page in a real browser: upload, watch it read, choose, import, open the draft."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from blog.extensions import db
from blog.formats.detect import read_conversations
from blog.models import Post
from tests.conftest import FIXTURES

pytestmark = pytest.mark.browser

EXPORT = FIXTURES / "sharegpt_conversations.json"


def test_upload_choose_and_import_one_conversation(signed_in_page: Page, live_app, import_worker):
    page = signed_in_page
    titles = [c.title for c in read_conversations(EXPORT.read_bytes(), EXPORT.name)]
    page.goto("/studio/")
    page.get_by_role("link", name="Import conversations").click()
    page.locator("#file").set_input_files(str(EXPORT))
    page.get_by_role("button", name="Upload and read").click()

    # The worker process reads it; the page refreshes itself once the list is ready.
    rows = page.locator(".import-row")
    expect(rows).to_have_count(len(titles))
    first_title = rows.first.locator("label").inner_text()
    page.locator(".select-all").uncheck()
    expect(page.locator("input[name=chosen]:checked")).to_have_count(0)
    page.locator(".import-filter").fill(first_title[:12].lower())
    expect(rows.first).to_be_visible()
    rows.first.locator("input[name=chosen]").check()
    page.get_by_role("button", name="Import the chosen conversations").click()

    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    page.get_by_role("link", name=first_title).click()
    expect(page.locator("#turns article.studio-turn").first).to_be_visible()
    with live_app.app_context():
        posts = list(db.session.scalars(db.select(Post)))
        assert [p.title for p in posts] == [first_title] and posts[0].status == "draft"


def test_a_refused_file_says_why(signed_in_page: Page, live_app, import_worker, tmp_path):
    page = signed_in_page
    broken = tmp_path / "broken.json"
    broken.write_text('[{"mapping": {"a": ')
    page.goto("/studio/import/")
    page.locator("#file").set_input_files(str(broken))
    page.get_by_role("button", name="Upload and read").click()
    expect(page.get_by_text("Nothing from this file was saved")).to_be_visible()
    with live_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_what_the_reader_left_out_is_reported_as_a_note(
    signed_in_page: Page, live_app, import_worker, tmp_path
):
    import json

    page = signed_in_page
    export = tmp_path / "sharegpt.json"
    item = {
        "conversations": [
            {"from": "human", "value": "What is in the recording?"},
            {
                "from": "gpt",
                "value": [
                    {"type": "text", "text": "A bird."},
                    {"type": "audio"},
                    {"type": "a-block-kind-whose-name-runs-on-without-a-single-space-" * 3},
                ],
            },
        ]
    }
    export.write_text(json.dumps([item]))
    page.goto("/studio/import/")
    page.locator("#file").set_input_files(str(export))
    page.get_by_role("button", name="Upload and read").click()
    expect(page.locator(".import-row")).to_have_count(1)
    page.get_by_role("button", name="Import the chosen conversations").click()

    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(page.get_by_role("heading", name="Read with notes")).to_be_visible()
    expect(
        page.get_by_text('of a kind this importer does not show ("audio") left out')
    ).to_be_visible()
    expect(page.get_by_text("Private data or secrets found")).to_have_count(0)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_markdown_export_with_raw_chatgpt_content_imports_through_the_page(
    signed_in_page: Page, live_app, import_worker
):
    page = signed_in_page
    page.goto("/studio/import/")
    page.locator("#file").set_input_files(str(FIXTURES / "md_chatgpt_raw_content.md"))
    page.get_by_role("button", name="Upload and read").click()
    expect(page.locator(".import-row")).to_have_count(1)
    page.get_by_role("button", name="Import the chosen conversations").click()

    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    expect(
        page.get_by_text("'thoughts' message written out as raw content left out")
    ).to_be_visible()
    page.get_by_role("link", name="Repotting a fern").click()
    turns = page.locator("#turns article.studio-turn")
    expect(turns.first).to_contain_text("Image not included in the export")
    expect(page.locator("#turns")).not_to_contain_text("content_type")
    with live_app.app_context():
        post = db.session.scalar(db.select(Post))
        kinds = [(t.role, t.excluded) for t in post.turns]
    assert kinds == [
        ("user", False),
        ("reasoning", True),
        ("reasoning", True),
        ("assistant", False),
        ("user", False),
    ]
