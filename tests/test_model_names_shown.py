"""An imported post names its model as readers know it on every page and feed, with the id
it was recorded under kept in "How this was made" and the JSON-LD."""

from __future__ import annotations

import html
import json
import re

import feedparser
import pytest

from blog import posts as content
from blog.extensions import db
from blog.imports.files import import_file
from blog.models import Post, User
from tests.conftest import FIXTURES

SLUG_ID = "text-davinci-002-render-sha"


@pytest.fixture
def imported(app, owner):
    """The 2023 ChatGPT conversation (model `text-davinci-002-render-sha`), imported and published."""
    with app.app_context():
        data = (FIXTURES / "chatgpt_gpt35.json").read_bytes()
        report = import_file(data, "conversations.json", db.session.get(User, owner))
        post = db.session.get(Post, report.created[0].id)
        content.publish(post, confirmed=True, mark_reviewed=True)
        return post.slug


def element(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found, pattern
    return html.unescape(found.group(1))


def test_the_import_keeps_the_id_and_the_published_revision_holds_it(app, imported):
    with app.app_context():
        post = db.session.scalar(db.select(Post).filter_by(slug=imported))
        view = content.published_view(post)
        # Naming happens when the page is composed: the stored revision keeps the id.
        assert view.model_name == SLUG_ID
        assert post.source_kind == "chatgpt"


def test_the_post_page_says_gpt_35_and_keeps_the_id_in_how_it_was_made(client, imported):
    page = client.get(f"/posts/{imported}").get_data(as_text=True)
    headline = element(page, r'<aside class="ai-disclosure" data-size="compact".*?<p>(.*?)</p>')
    assert "AI conversation with GPT-3.5" in headline and SLUG_ID not in headline
    for meta in ("description", "og:description", "twitter:description"):
        text = element(page, rf'<meta (?:name|property)="{meta}" content="([^"]*)"')
        assert "GPT-3.5" in text and SLUG_ID not in text, meta
    details = element(page, r'<details class="ai-disclosure__details">(.*?)</details>')
    sentence = element(details, r"<p>(.*?)</p>")
    assert "with GPT-3.5, an AI" in sentence and SLUG_ID not in sentence
    assert f"Model: GPT-3.5 ({SLUG_ID})" in details
    assert re.search(rf"<dt>Made with</dt><dd>GPT-3.5 \({SLUG_ID}\)", details)
    speakers = re.findall(r'<span class="turn__speaker"[^>]*>(.*?)</span>', page)
    assert "ChatGPT (GPT-3.5)" in speakers and not any(SLUG_ID in s for s in speakers)
    ld = json.loads(element(page, r'<script type="application/ld\+json">(.*?)</script>'))
    assert ld["contributor"]["name"] == "GPT-3.5"
    assert ld["contributor"]["identifier"] == SLUG_ID
    assert SLUG_ID not in ld["description"]


def test_the_home_page_badge_says_gpt_35(client, imported):
    index = client.get("/").get_data(as_text=True)
    badge = element(index, r'<span class="ai-mark"[^>]*>(.*?)</span>')
    assert badge == "AI conversation with GPT-3.5"
    assert SLUG_ID not in index


@pytest.mark.parametrize("url", ["/feed.xml", "/atom.xml"])
def test_the_feeds_say_gpt_35_in_the_summary_and_the_sentence(client, imported, url):
    feed = feedparser.parse(client.get(url).data)
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = feed.entries
    assert "AI conversation with GPT-3.5" in entry.summary and SLUG_ID not in entry.summary
    body = entry.content[0].value
    sentence = element(body, r'<aside class="ai-disclosure".*?<p>(.*?)</p>')
    assert "GPT-3.5, an AI" in sentence and SLUG_ID not in sentence
    assert f"Model: GPT-3.5 ({SLUG_ID})" in body
    assert "<strong>ChatGPT (GPT-3.5)</strong>" in body
    if url == "/atom.xml":
        assert entry.contributors[0].name == "GPT-3.5 (AI model, not an author)"


def test_a_model_the_author_typed_is_shown_as_typed(app, client, owner, imported):
    with app.app_context():
        post = db.session.scalar(db.select(Post).filter_by(slug=imported))
        content.update_post(post, {"model_name": "ChatGPT, free tier (April 2023)"}, None)
        content.publish(post, confirmed=True, mark_reviewed=True)
    page = client.get(f"/posts/{imported}").get_data(as_text=True)
    assert "AI conversation with ChatGPT, free tier (April 2023)" in page
