"""Finding your way: tag index, cards with tags and excerpts, the About page, disclosure lines."""

from __future__ import annotations

import re

import pytest

LINE = 'class="ai-disclosure" data-size="line"'
FULL_SITE_BANNER = '<aside class="ai-disclosure" aria-label="AI disclosure">'


def publish(make_post, title, tags, **fields):
    return make_post(
        title=title, turns=[("user", f"Ask about {title}.")], tags=tags, publish=True, **fields
    )


def test_tag_index_lists_public_tags_with_counts(client, make_post):
    publish(make_post, "Hexagons", "Geometry, Bees")
    publish(make_post, "Squares", "Geometry")
    make_post(title="Hidden", turns=[("user", "x")], tags="Secret")
    publish(make_post, "Quiet", "Unlisted", status="unlisted")
    page = client.get("/tags").get_data(as_text=True)
    assert re.search(r'href="/tags/geometry">Geometry</a> <span class="count">\(2 posts\)', page)
    assert re.search(r'href="/tags/bees">Bees</a> <span class="count">\(1 post\)', page)
    assert "Secret" not in page and "Unlisted" not in page
    assert client.get("/tags/secret").status_code == 404
    assert client.get("/tags/unlisted").status_code == 404
    assert client.get("/tags/geometry").status_code == 200


def test_cards_show_tags_and_an_excerpt_of_the_first_prompt(client, make_post):
    make_post(
        title="Hexagons",
        turns=[("user", "Why do **bees** build in $n$ cells?"), ("assistant", "Wax.")],
        tags="Geometry",
        publish=True,
    )
    publish(make_post, "Summed", "", summary="A summary instead.")
    page = client.get("/").get_data(as_text=True)
    cards = re.findall(r'<article class="card">(.*?)</article>', page, re.S)
    hexagons = next(c for c in cards if "Hexagons" in c)
    assert "Why do bees build in" in hexagons and "**" not in hexagons
    assert 'href="/tags/geometry"' in hexagons
    assert any("A summary instead." in c for c in cards)


@pytest.mark.parametrize(
    "path", ["/login", "/nowhere", "/search?q=nothingmatches", "/tags", "/about"]
)
def test_pages_without_conversation_carry_the_disclosure_as_one_line(client, make_post, path):
    publish(make_post, "Hexagons", "Geometry")
    page = client.get(path).get_data(as_text=True)
    assert page.count('class="ai-disclosure"') == 1
    assert LINE in page


def test_pages_with_ai_text_keep_the_full_disclosure(client, make_post):
    publish(make_post, "Hexagons", "Geometry")
    assert FULL_SITE_BANNER in client.get("/").get_data(as_text=True)
    assert FULL_SITE_BANNER in client.get("/search?q=hexagons").get_data(as_text=True)
    post = client.get("/posts/hexagons").get_data(as_text=True)
    assert 'class="ai-disclosure" data-size="compact"' in post
    assert '<details class="ai-disclosure__details">' in post


def test_about_page_is_rendered_when_saved_and_sanitized(app, client, author):
    source = "# Hello\n\nI write **here**. <script>alert(1)</script> $x^2$"
    response = author.post("/studio/settings", data={"about": source, "site_title": "Mine"})
    assert response.status_code in (302, 303)
    page = client.get("/about").get_data(as_text=True)
    assert "<strong>here</strong>" in page
    assert "<script>alert" not in page
    assert "<math" in page
    from blog.extensions import db
    from blog.models import Setting

    with app.app_context():
        stored = db.session.get(Setting, "about_html").value
    assert "<strong>here</strong>" in stored
