"""Feeds: a distinct preview per item, a bounded size, and the disclosure and license in each."""

from __future__ import annotations

import html
import re

import feedparser
import pytest

from blog.public import FEED_ITEM_BUDGET

FEEDS = ["/feed.xml", "/atom.xml"]


@pytest.fixture
def posts(make_post):
    make_post(
        title="Kites",
        turns=[("user", "How do **kites** stay up in $v^2$ wind?"), ("assistant", "Lift.")],
        publish=True,
    )
    make_post(
        title="Bread",
        turns=[("user", "Why does dough rise?"), ("assistant", "Yeast.")],
        publish=True,
    )
    make_post(title="Summed", turns=[("user", "Something.")], summary="About sums.", publish=True)
    long_reply = "A long paragraph of careful explanation, repeated. " * 200
    turns = [("user", "Start the long one.")]
    turns += [("assistant" if i % 2 else "user", long_reply) for i in range(1, 60)]
    make_post(title="Marathon", turns=turns, publish=True)


def parsed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return response, {entry.title: entry for entry in feed.entries}


@pytest.mark.parametrize("url", FEEDS)
def test_each_item_previews_its_own_words(client, posts, url):
    _, entries = parsed(client, url)
    summaries = [entry.summary for entry in entries.values()]
    assert len(set(summaries)) == len(summaries) == 4
    assert entries["Kites"].summary.startswith("How do kites stay up in")
    assert "**" not in entries["Kites"].summary
    assert entries["Summed"].summary.startswith("About sums.")
    for summary in summaries:
        assert "AI conversation with" in summary
        assert len(summary) < 500


@pytest.mark.parametrize("url", FEEDS)
def test_every_item_carries_the_full_disclosure_and_license(client, posts, url):
    _, entries = parsed(client, url)
    for entry in entries.values():
        body = entry.content[0].value
        assert 'class="ai-disclosure"' in body
        assert 'rel="license"' in body


@pytest.mark.parametrize("url", FEEDS)
def test_a_long_conversation_is_cut_with_a_link_to_the_rest(client, posts, url):
    response, entries = parsed(client, url)
    body = entries["Marathon"].content[0].value
    assert len(body) < FEED_ITEM_BUDGET * 1.5
    assert "This conversation continues:" in body
    assert "more turns on the site" in body
    assert "/posts/marathon" in body
    assert "continues" not in entries["Bread"].content[0].value
    assert len(response.data) < 1_000_000


def test_maths_keeps_its_tex_source_in_the_feed(client, posts):
    _, entries = parsed(client, "/feed.xml")
    body = entries["Kites"].content[0].value
    assert '<annotation encoding="application/x-tex">v^2</annotation>' in body


def test_every_item_stays_within_its_share_of_a_megabyte_even_code_heavy(app, client, make_post):
    code = "```python\n" + "def f(x):\n    return {'a': [x, \"<b>\"]}\n" * 40 + "```\n"
    turns = [("user" if i % 2 == 0 else "assistant", code) for i in range(40)]
    make_post(title="Code", turns=turns, publish=True)
    body = client.get("/feed.xml").get_data(as_text=True)
    (item,) = re.findall(r"<content:encoded>(.*?)</content:encoded>", body, re.S)
    share = 1_000_000 // app.config["FEED_ITEMS"]
    assert len(item) * 2 > FEED_ITEM_BUDGET and len(item) < share
    assert "This conversation continues:" in html.unescape(item)
