"""Review and redaction in a real browser: secrets are shown, refused, redacted, never published."""

from __future__ import annotations

import secrets
import string

import pytest
from playwright.sync_api import Page, expect

from blog.scan import redaction_mark
from tests.browser import import_draft

pytestmark = pytest.mark.browser

# No vowels and no "x": a random key then cannot spell the placeholder words
# ("fake", "here", "xxx", ...) that the scanner rightly ignores.
KEY_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "aeiouxAEIOUX")
EMAIL = "jordan.whitfield@protonmail.com"
CARD = "4111 1111 1111 1111"


def fake_openai_key() -> str:
    return "sk-proj-" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(48))


def conversation_with_secrets(key: str) -> bytes:
    return f"""---
title: Why does my script get a 401?
date: 2024-06-02T08:30:00Z
model: GPT-4o
---
My script says 401 Unauthorized when it calls the API. What is wrong?

> A 401 means the key was refused. Your script sends `{key}` in the
> `Authorization` header; check that it is still active, and never paste it anywhere public.
>
> The account belongs to {EMAIL}, and the card on file ends the number {CARD},
> so billing is not the problem.

Thanks, I will rotate the key.
""".encode()


@pytest.fixture
def key() -> str:
    return fake_openai_key()


@pytest.fixture
def draft(live_app, key) -> int:
    return import_draft(live_app, conversation_with_secrets(key), "why-401.md")


def publish_with_checklist(page: Page) -> None:
    form = page.locator("form.publish-form")
    form.locator("input[name=confirm_policies]").check()
    form.locator("input[name=confirm_privacy]").check()
    form.locator("button[type=submit]").click()


def test_findings_block_publishing_until_redacted_and_reviewed(
    signed_in_page: Page, browser, live_server, draft, key
):
    page = signed_in_page
    page.goto(f"/studio/posts/{draft}")
    reply = page.locator("#turns > article.studio-turn").nth(1)
    marks = reply.locator(".findings mark")
    expect(marks).to_have_count(3)
    shown = " ".join(marks.all_inner_texts())
    assert key[:20] in shown
    assert EMAIL in shown
    assert CARD in shown

    publish_with_checklist(page)
    refusal = page.locator(".flash--error")
    expect(refusal).to_contain_text("Not published yet")
    expect(refusal).to_contain_text("1 AI turn not yet reviewed (turn 2)")
    expect(refusal).to_contain_text("3 privacy findings still open")
    for label in ("OpenAI API key", "email address", "payment card number"):
        expect(refusal).to_contain_text(label)
    expect(page.locator(".status strong")).to_have_text("Draft")

    for remaining in (2, 1, 0):
        reply.locator(".finding button", has_text="Redact").first.click()
        expect(marks).to_have_count(remaining)
    body = reply.locator(".turn__body")
    for kind in ("openai_key", "email", "card"):
        expect(body).to_contain_text(redaction_mark(kind))
    for secret in (key, EMAIL, CARD):
        expect(body).not_to_contain_text(secret)

    reply.locator("button.review-turn").click()
    expect(reply.locator(".badge--ok")).to_have_text("reviewed")

    page.reload()
    expect(page.locator(".blockers")).to_have_count(0)
    publish_with_checklist(page)
    expect(page.locator(".flash--success")).to_contain_text("Published")
    slug_path = page.locator(".status a").get_attribute("href")

    reader = browser.new_context(base_url=live_server.base_url)
    try:
        assert_secrets_absent(reader.new_page(), slug_path, key)
    finally:
        reader.close()


def assert_secrets_absent(page: Page, post_path: str, key: str) -> None:
    """The post's page, its downloads and the feeds carry the marks and none of the secrets."""
    response = page.goto(post_path)
    assert response is not None and response.ok
    html = response.text()
    assert redaction_mark("openai_key") in html
    expect(page.locator("#turn-2")).to_contain_text(redaction_mark("email"))
    for path in (post_path, f"{post_path}.md", f"{post_path}.json", "/feed.xml", "/atom.xml"):
        body = page.request.get(path).text()
        for secret in (key, key.removeprefix("sk-proj-"), EMAIL, CARD, CARD.replace(" ", "")):
            assert secret not in body, f"{secret!r} published at {path}"
