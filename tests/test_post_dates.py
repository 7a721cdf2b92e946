"""Readers are told when a conversation happened as well as when it was published."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from blog import posts as content
from blog.extensions import db
from blog.models import Post, User

HTTPS = "https://blog.test"
HELD = datetime(2023, 5, 3, 14, 0, tzinfo=UTC)


def publish(
    app, owner, title: str, held: datetime | None, published: datetime, **details: str
) -> str:
    with app.app_context():
        post = content.create_post(db.session.get(User, owner), title)
        content.add_turn(post, "user", source=f"A question about {title}?")
        content.add_turn(post, "assistant", source="An answer.")
        if details:
            content.update_post(post, details, None)
        post.conversation_at = held
        content.publish(post, confirmed=True, mark_reviewed=True)
        post.published_at = published
        db.session.commit()
        return post.slug


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def get(client, path: str) -> str:
    response = client.get(path, base_url=HTTPS)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_cards_and_the_post_header_say_when_the_conversation_was_held(app, owner, client):
    slug = publish(app, owner, "Old talk", HELD, datetime(2026, 12, 6, 9, 0, tzinfo=UTC))

    card = re.search(r'<p class="card__meta">(.*?)</p>', get(client, "/"), re.S)[1]
    byline = re.search(r'<p class="post__byline">(.*?)</p>', get(client, f"/posts/{slug}"), re.S)[1]

    for shown in (card, byline):
        assert "Conversation of 3 May 2023 · published 6 December 2026" in text_of(shown)
        assert 'datetime="2023-05-03T14:00:00+00:00"' in shown


def test_the_published_revision_holds_the_conversation_date(app, owner, client):
    slug = publish(app, owner, "Old talk", HELD, datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    with app.app_context():
        post = db.session.scalar(db.select(Post).where(Post.slug == slug))
        # A staged change of the working copy does not reach readers before Update.
        post.conversation_at = datetime(2020, 1, 1, tzinfo=UTC)
        db.session.commit()
        assert content.published_view(post).conversation_at == HELD

    assert "Conversation of 3 May 2023" in text_of(get(client, f"/posts/{slug}"))


def test_a_post_with_no_conversation_date_says_published(app, owner, client):
    publish(app, owner, "Written here", None, datetime(2026, 12, 6, 9, 0, tzinfo=UTC))

    card = text_of(re.search(r'<p class="card__meta">(.*?)</p>', get(client, "/"), re.S)[1])

    assert "Published 6 December 2026" in card
    assert "Conversation of" not in card


def test_a_conversation_published_the_same_day_says_so(app, owner, client):
    publish(
        app,
        owner,
        "Fresh",
        datetime(2026, 12, 6, 8, 0, tzinfo=UTC),
        datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
    )

    card = text_of(re.search(r'<p class="card__meta">(.*?)</p>', get(client, "/"), re.S)[1])

    assert "Conversation of 6 December 2026 · published the same day" in card


def test_feed_items_carry_both_dates(app, owner, client):
    publish(app, owner, "Old talk", HELD, datetime(2026, 12, 6, 9, 0, tzinfo=UTC))

    rss = ET.fromstring(client.get("/feed.xml", base_url=HTTPS).data)
    atom = ET.fromstring(client.get("/atom.xml", base_url=HTTPS).data)
    bodies = [
        rss.find("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded").text,
        atom.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content").text,
    ]

    for body in bodies:
        assert "Conversation of 3 May 2023 · published 6 December 2026" in text_of(body)


def test_the_archive_reads_by_publication_or_by_conversation(app, owner, client):
    publish(app, owner, "Held in 2023", HELD, datetime(2026, 12, 6, tzinfo=UTC))
    publish(
        app,
        owner,
        "Held in 2025",
        datetime(2025, 2, 1, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    publish(app, owner, "Written here", None, datetime(2024, 6, 1, tzinfo=UTC))

    def years(page: str) -> dict[str, list[str]]:
        sections = re.findall(r'<h2 id="year-(\d+)">.*?</h2>(.*?)</section>', page, re.S)
        return {
            year: re.findall(r'<a href="/posts/[^"]+">([^<]+)</a>', body) for year, body in sections
        }

    by_published = years(get(client, "/archive"))
    by_held = years(get(client, "/archive?by=conversation"))

    assert by_published == {"2026": ["Held in 2023", "Held in 2025"], "2024": ["Written here"]}
    assert by_held == {
        "2025": ["Held in 2025"],
        "2024": ["Written here"],
        "2023": ["Held in 2023"],
    }
    assert "Conversation of 3 May 2023 · published 6 December 2026" in text_of(
        get(client, "/archive")
    )


def test_a_series_lists_its_posts_with_both_dates(app, owner, client):
    published = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    publish(app, owner, "Part one", HELD, published, series="Old talks", series_position="1")

    page = text_of(get(client, "/series/old-talks"))

    assert "Part one Conversation of 3 May 2023 · published 6 December 2026" in page
