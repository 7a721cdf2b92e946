"""The person's turns carry the author's name, or the name the source gives them, never "You"."""

from __future__ import annotations

import json
import re

import pytest

from blog import posts as content
from blog.extensions import db
from blog.formats.text.speakers import person_name
from blog.imports.files import import_file
from blog.models import Post, User
from tests.conftest import FIXTURES

HTTPS = "https://blog.test"


def import_and_publish(app, owner, source: str | bytes, filename: str) -> str:
    data = source.encode() if isinstance(source, str) else source
    with app.app_context():
        report = import_file(data, filename, db.session.get(User, owner))
        post = db.session.get(Post, report.created[0].id)
        content.publish(post, confirmed=True, mark_reviewed=True)
        return post.slug


def everything_a_reader_gets(client, slug: str) -> dict[str, str]:
    def get(path: str) -> str:
        response = client.get(path, base_url=HTTPS)
        assert response.status_code == 200, path
        return response.get_data(as_text=True)

    return {
        "page": get(f"/posts/{slug}"),
        "home": get("/"),
        "rss": get("/feed.xml"),
        "atom": get("/atom.xml"),
        "json": get(f"/posts/{slug}.json"),
        "markdown": get(f"/posts/{slug}.md"),
    }


def colloquy_json(user_speaker: str) -> str:
    return json.dumps(
        {
            "format": "colloquy",
            "version": 1,
            "title": "Naming a grey cat",
            "turns": [
                {"role": "user", "speaker": user_speaker, "text": "What should I call my cat?"},
                {"role": "assistant", "speaker": "ChatGPT", "text": "Ash, Smoke or Pebble."},
            ],
        }
    )


@pytest.mark.parametrize("word", ["You", "you", "User", "Human", " Me "])
def test_a_word_for_the_person_is_no_name(word):
    assert person_name(word) == ""


def test_a_name_is_kept_as_written():
    assert person_name(" Bob Smith ") == "Bob Smith"


def test_a_chatgpt_import_shows_the_authors_name_and_never_you(app, owner, client):
    source = (FIXTURES / "chatgpt_conversations.json").read_bytes()
    slug = import_and_publish(app, owner, source, "conversations.json")

    shown = everything_a_reader_gets(client, slug)

    page = shown["page"]
    speakers = re.findall(r'<span class="turn__speaker"[^>]*>([^<]*)</span>', page)
    assert speakers and "Alice Author" in speakers
    assert "You" not in speakers
    for place in ("rss", "atom"):
        assert "You</strong>" not in shown[place]
        assert "Alice Author&lt;/strong&gt; (Human)" in shown[place] or (
            "Alice Author</strong> (Human)" in shown[place]
        )
    document = json.loads(shown["json"])
    assert all(t["speaker"] != "You" for t in document["turns"])
    assert '"speaker": "You"' not in shown["markdown"]


def test_a_stored_you_is_shown_as_the_author_everywhere(app, owner, client):
    # Posts imported before the readers stopped storing "You" still hold it.
    slug = import_and_publish(app, owner, colloquy_json("You"), "cat.json")

    shown = everything_a_reader_gets(client, slug)

    speakers = re.findall(r'<span class="turn__speaker"[^>]*>([^<]*)</span>', shown["page"])
    assert speakers == ["Alice Author", "ChatGPT"]
    assert re.search(r"You(</strong>|&lt;/strong&gt;) \(Human\)", shown["rss"]) is None
    assert re.search(r"You(</strong>|&lt;/strong&gt;) \(Human\)", shown["atom"]) is None
    assert json.loads(shown["json"])["turns"][0]["speaker"] == ""
    assert '"You"' not in shown["markdown"]
    with app.app_context():
        results = content_search("cat")
    assert results and "You" not in results


def content_search(query: str) -> str:
    from blog.search import search_posts

    found = search_posts(query)
    return " ".join(match.snippet_html for result in found for match in result.turns)


def test_a_name_the_source_gives_the_person_is_kept(app, owner, client):
    slug = import_and_publish(app, owner, colloquy_json("Bob"), "cat.json")

    shown = everything_a_reader_gets(client, slug)

    speakers = re.findall(r'<span class="turn__speaker"[^>]*>([^<]*)</span>', shown["page"])
    assert speakers == ["Bob", "ChatGPT"]
    assert json.loads(shown["json"])["turns"][0]["speaker"] == "Bob"


def test_a_markdown_log_naming_the_person_keeps_their_name(app, owner, client):
    text = "## kekyo\n\nHi?\n\n## Sage\n\nHello.\n\n## kekyo\n\nBye?\n\n## Sage\n\nBye.\n"
    slug = import_and_publish(app, owner, text, "chat.md")

    page = everything_a_reader_gets(client, slug)["page"]

    speakers = re.findall(r'<span class="turn__speaker"[^>]*>([^<]*)</span>', page)
    assert speakers == ["kekyo", "Sage", "kekyo", "Sage"]
