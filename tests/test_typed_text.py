"""Turns shown as typed: prompts keep every line and space, as the chat app showed them."""

from __future__ import annotations

import json

import pytest

from bench.chatgpt_export import chatgpt_conversation, chatgpt_export
from blog.extensions import db
from blog.formats.base import display_form
from blog.models import Post
from blog.typed_text import as_typed, render_typed

HTMX = {"HX-Request": "true"}
PROMPT = "Why does this fail?\n\n    for i in range(3):\n        print(i)\n\n1 Main St\n2 High St\n*not emphasis* <b>x</b>"


def test_typed_text_keeps_lines_spaces_and_stars_and_escapes_html():
    html = render_typed(PROMPT)
    assert html.startswith('<div class="typed">')
    assert "Why does this fail?<br><br>    for i in range(3):<br>        print(i)" in html
    assert "1 Main St<br>2 High St" in html
    assert "*not emphasis* &lt;b&gt;x&lt;/b&gt;" in html
    assert "<em>" not in html and "<b>" not in html


@pytest.mark.parametrize(
    "text, link",
    [
        ("see https://example.org/a.", "https://example.org/a"),
        ("(https://example.org/b)", "https://example.org/b"),
        (
            "https://en.wikipedia.org/wiki/Tide_(disambiguation)",
            "https://en.wikipedia.org/wiki/Tide_(disambiguation)",
        ),
    ],
)
def test_web_addresses_become_links_without_the_sentence_around_them(text, link):
    assert f'<a href="{link}"' in render_typed(text)


def test_only_surrounding_blank_lines_go():
    assert (
        as_typed("\n\n  \n    indented first line\nsecond\n\n\n")
        == "    indented first line\nsecond"
    )
    assert as_typed("a\r\nb") == "a\nb"


def test_a_hostile_address_is_linear():
    html = render_typed("http://" + ")" * 200_000)
    assert html.count("<a ") == 1


@pytest.mark.parametrize(
    "source, role, expected",
    [
        ("chatgpt", "user", "plain"),
        ("claude", "user", "plain"),
        ("claude-code", "user", "plain"),
        ("codex", "user", "plain"),
        ("chatgpt", "assistant", "markdown"),
        ("markdown", "user", "markdown"),
        ("sharegpt", "user", "markdown"),
    ],
)
def test_each_source_shows_prompts_as_its_app_did(source, role, expected):
    assert display_form(source, role) == expected


REPLY = "Use **range**:\n\n- one\n- two"
EXPORT = chatgpt_export(chatgpt_conversation(1, texts=[PROMPT, REPLY], title="Loops"))


def test_a_chatgpt_prompt_is_stored_as_typed_and_the_reply_as_markdown(app, runner, tmp_path):
    export = tmp_path / "conversations.json"
    export.write_bytes(EXPORT)
    result = runner.invoke(args=["import", str(export)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        post = db.session.scalar(db.select(Post))
        prompt, reply = post.turns
        assert (prompt.text_format, reply.text_format) == ("plain", "markdown")
        assert prompt.source == PROMPT
        assert "    for i in range(3):<br>        print(i)" in prompt.html
        assert "<strong>range</strong>" in reply.html and "<li>one</li>" in reply.html
        assert prompt.text.startswith("Why does this fail?")


def test_the_author_switches_a_turn_between_markdown_and_as_typed(app, author, make_post):
    post_id = make_post(turns=[("user", "**bold** and\nnext line"), ("assistant", "Hi.")])
    with app.app_context():
        turn = db.session.get(Post, post_id).turns[0]
        turn_id, version = turn.id, turn.version
        assert "<strong>bold</strong>" in turn.html
    form = author.get(f"/studio/posts/{post_id}/turns/{turn_id}/edit").get_data(as_text=True)
    assert 'name="text_format"' in form
    preview = author.post(
        "/studio/preview", {"source": "**bold**", "text_format": "plain"}
    ).get_data(as_text=True)
    assert "**bold**" in preview and "<strong>" not in preview
    saved = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "**bold** and\nnext line", "version": version, "text_format": "plain"},
    )
    assert saved.status_code == 303
    with app.app_context():
        turn = db.session.get(Post, post_id).turns[0]
        assert turn.text_format == "plain"
        assert turn.html == '<div class="typed">**bold** and<br>next line</div>'
    refused = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "x", "version": version + 1, "text_format": "html"},
    )
    assert refused.status_code == 422


def test_a_published_typed_prompt_reaches_the_page_and_the_feed(app, author, make_post, client):
    post_id = make_post(turns=[("user", "line one\nline two"), ("assistant", "Hi.")])
    with app.app_context():
        turn = db.session.get(Post, post_id).turns[0]
        turn_id, version = turn.id, turn.version
    author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "line one\nline two", "version": version, "text_format": "plain"},
    )
    with app.app_context():
        from blog import posts as content

        post = db.session.get(Post, post_id)
        content.publish(post, confirmed=True, mark_reviewed=True)
        slug = post.slug
    page = client.get(f"/posts/{slug}", base_url="https://blog.test").get_data(as_text=True)
    assert '<div class="typed">line one<br>line two</div>' in page
    feed = client.get("/feed.xml", base_url="https://blog.test").get_data(as_text=True)
    assert "line one&lt;br&gt;line two" in feed or "line one<br>line two" in feed


def test_the_json_export_keeps_the_display_form_and_reads_it_back(app, runner, tmp_path):
    from blog.formats.detect import read_conversations

    export = tmp_path / "conversations.json"
    export.write_bytes(EXPORT)
    assert runner.invoke(args=["import", str(export)]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    written = next(out.rglob("*.json"))
    document = json.loads(written.read_text())
    assert [t["text_format"] for t in document["turns"]] == ["plain", "markdown"]
    with written.open("rb") as stream:
        (conversation,) = list(read_conversations(stream, written.name))
    assert [t.text_format for t in conversation.turns] == ["plain", "markdown"]
    assert conversation.turns[0].text == PROMPT
