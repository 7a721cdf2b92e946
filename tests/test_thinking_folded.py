"""Every assistant's thinking comes in as a hidden reasoning turn, shown folded, never as a reply."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blog.extensions import db
from blog.formats.detect import read_conversations
from blog.imports.files import import_file
from blog.models import Post, User

FIXTURES = Path(__file__).parent / "fixtures"

# A file from each source whose thinking the export keeps, and the title of a conversation
# in it that thought. (Gemini's Takeout activity and Perplexity's Markdown export hold only
# the prompts and answers, so they have no thinking to fold.)
THOUGHTFUL = [
    ("grok_export.json", "Feeding a sourdough starter"),
    ("ai_studio_autumn_leaves", "Why do leaves change colour in autumn?"),
    ("deepseek_conversations.json", "Tallest mountain in Africa"),
    ("qwen_chat_export.json", "Boiling point at altitude"),
    ("perplexity_thread.json", "Why is the sky blue?"),
]
FOLDED = re.compile(r'<details class="turn__fold turn__fold--reasoning">.*?</details>', re.S)


def phrase(text: str) -> str:
    """A run of plain words from the text, which reads the same in its rendered HTML."""
    return max(re.findall(r"[A-Za-z][A-Za-z ]+[A-Za-z]", text), key=len)


@pytest.mark.parametrize(("name", "title"), THOUGHTFUL)
def test_thinking_is_a_hidden_reasoning_turn_and_in_no_reply(name, title):
    (conversation,) = [c for c in read_conversations(FIXTURES / name) if c.title == title]
    thinking = [turn for turn in conversation.turns if turn.role == "reasoning"]
    shown = [turn.text for turn in conversation.turns if not turn.hidden]

    assert thinking
    for turn in thinking:
        assert turn.hidden
        assert "thinking" in turn.speaker or "steps" in turn.speaker
        assert not any(turn.text in text for text in shown)


@pytest.mark.parametrize(("name", "title"), THOUGHTFUL)
def test_imported_thinking_is_left_out_and_when_shown_is_folded(app, owner, author, name, title):
    with app.app_context():
        import_file(FIXTURES / name, name, db.session.get(User, owner))
        post = db.session.query(Post).filter_by(title=title).one()
        post_id = post.id
        thinking = [(turn.id, phrase(turn.text)) for turn in post.turns if turn.role == "reasoning"]
        assert thinking and all(turn.excluded for turn in post.turns if turn.role == "reasoning")

    preview = f"/studio/posts/{post_id}/preview"
    page = author.get(preview).get_data(as_text=True)
    assert not any(words in page for _, words in thinking)

    for turn_id, _ in thinking:
        shown = author.post(f"/studio/posts/{post_id}/turns/{turn_id}/exclude", {"excluded": "0"})
        assert shown.status_code == 303
    page = author.get(preview).get_data(as_text=True)
    folded = "".join(FOLDED.findall(page))
    for _, words in thinking:
        assert words in folded
        assert words not in FOLDED.sub("", page)
