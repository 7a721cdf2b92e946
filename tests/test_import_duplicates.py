"""A re-import is recognised by its text whatever whitespace the file or the reader kept,
while the stored text keeps every space."""

from __future__ import annotations

import hashlib
import json

from blog.extensions import db
from blog.imports.files import import_file
from blog.models import Post, User

PROMPT = "Why does this fail?\n\n    for i in range(3):\n        print(i)  \nThanks."
REPLY = "Because the loop is fine;\nthe *indentation* is not.\n\n- first\n- second"


def colloquy_file(prompt: str, reply: str) -> bytes:
    document = {
        "format": "colloquy",
        "version": 1,
        "title": "A loop",
        "source_kind": "markdown",
        "turns": [
            {"role": "user", "text": prompt},
            {"role": "assistant", "text": reply, "speaker": "ChatGPT"},
        ],
    }
    return json.dumps(document).encode()


def run_import(app, owner, data: bytes):
    with app.app_context():
        return import_file(data, "conversation.json", db.session.get(User, owner))


def test_the_same_conversation_with_other_whitespace_is_a_duplicate(app, owner):
    first = run_import(app, owner, colloquy_file(PROMPT, REPLY))
    assert len(first.created) == 1
    reflowed = colloquy_file(
        "\n  Why does this fail?\r\n\r\n\r\n\tfor i in range(3):\n print(i)\nThanks.  \n",
        "Because the loop is fine; the *indentation*\nis not.\n\n\n- first\n-   second\n",
    )
    again = run_import(app, owner, reflowed)
    assert again.created == [] and again.updated == []
    assert len(again.skipped) == 1 and "already imported as" in again.skipped[0]
    with app.app_context():
        (post,) = db.session.query(Post).all()
        # Only the fingerprint is blind to whitespace: the text is kept as it came.
        assert [turn.source for turn in post.turns] == [PROMPT, REPLY]


def test_other_words_are_another_conversation(app, owner):
    run_import(app, owner, colloquy_file(PROMPT, REPLY))
    again = run_import(app, owner, colloquy_file(PROMPT, REPLY.replace("second", "third")))
    assert len(again.created) == 1


def fingerprint_before_whitespace_was_kept(turns: list[tuple[str, str]]) -> str:
    """The fingerprint imports stored while readers trimmed each turn's text."""
    payload = [(role, text.strip()) for role, text in turns]
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def test_a_post_fingerprinted_before_is_still_recognised(app, owner):
    kept_as_written = colloquy_file("  " + PROMPT + "\n", REPLY)
    first = run_import(app, owner, kept_as_written)
    with app.app_context():
        post = db.session.get(Post, first.created[0].id)
        post.content_hash = fingerprint_before_whitespace_was_kept(
            [("user", PROMPT), ("assistant", REPLY)]
        )
        db.session.commit()
    again = run_import(app, owner, kept_as_written)
    assert again.created == [] and len(again.skipped) == 1
