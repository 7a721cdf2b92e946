"""Files that are nearly right import, with a note of what was repaired; a refusal says what is true."""

from __future__ import annotations

import io
import json
import random
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.formats.base import ImportFormatError
from blog.formats.detect import read_conversations
from blog.formats.limits import GuardedReader
from blog.imports.files import import_file
from tests.test_depth_guard import Trickle


def chatgpt(title: str, question: str) -> str:
    """A ChatGPT conversations.json of one question and its answer, as JSON text."""

    def node(key: str, parent: str | None, children: list[str], role: str, text: str) -> dict:
        message = {
            "id": key,
            "author": {"role": role},
            "content": {"content_type": "text", "parts": [text]},
            "create_time": 1717000000,
            "recipient": "all",
        }
        return {"id": key, "parent": parent, "children": children, "message": message}

    conversation = {
        "title": title,
        "create_time": 1717000000,
        "update_time": 1717000100,
        "mapping": {
            "root": {"id": "root", "parent": None, "children": ["q1"], "message": None},
            "q1": node("q1", "root", ["a1"], "user", question),
            "a1": node("a1", "q1", [], "assistant", "An answer."),
        },
        "current_node": "a1",
        "id": "conv-1",
    }
    return json.dumps([conversation])


def with_escape(escape: str) -> bytes:
    """The export with `escape` written raw (as a JSON escape) into the question."""
    return chatgpt("Emoji", "Before PLACE after").replace("PLACE", escape).encode()


def question_of(data: bytes, notes: list[str] | None = None):
    (conversation,) = read_conversations(data, "conversations.json", notes=notes)
    return conversation.turns[0].text, conversation.warnings


def test_a_lone_surrogate_escape_is_read_as_the_replacement_character_and_said() -> None:
    # It refused the whole export as "not UTF-8 (invalid byte at position 2)".
    text, warnings = question_of(with_escape("\\ude00"))
    assert text == "Before \ufffd after"
    assert warnings == [
        "1 lone surrogate escape in the JSON (half of a UTF-16 pair, such as \\ude00, "
        "which encodes no character) read as U+FFFD (\ufffd)"
    ]


def test_a_surrogate_pair_and_an_escaped_backslash_are_read_as_written() -> None:
    text, warnings = question_of(with_escape("\\ud83d\\ude00 and \\\\ude00 and \\ud83d"))
    assert text == "Before \U0001f600 and \\ude00 and \ufffd after"
    assert warnings[0].startswith("1 lone surrogate escape")


def test_a_lone_surrogate_outside_the_text_is_noted_for_the_file() -> None:
    data = with_escape("x").replace(b'"recipient"', b'"note": "\\udc00", "recipient"')
    notes: list[str] = []
    text, warnings = question_of(data, notes)
    assert warnings == [] and notes[0].startswith(
        "conversations.json: 2 lone surrogate escapes"
    )  # one per message


PIECES = st.sampled_from(
    ["a", "\\\\", "\\ud83d", "\\ude00", "\\uD83D", "\\uDE00", "\\u00e9", '\\"', "\\n", "ud83d"]
)


def plainly(escaped: str) -> str:
    """What the repair should give: json's own reading, each lone surrogate made U+FFFD."""
    text = json.loads(f'"{escaped}"')
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(PIECES, max_size=30).map("".join), st.integers(0, 2**32))
def test_the_repair_matches_a_plain_reading_across_chunk_boundaries(escaped: str, seed: int):
    data = json.dumps({"k": "REPLACE"}).replace("REPLACE", escaped).encode()
    guard = GuardedReader(Trickle(data, random.Random(seed), longest=13), "t.json", 10**9, 64)
    read = io.BufferedReader(guard, 16).read()
    assert len(read) == len(data)  # same length: offsets in messages stay true
    assert json.loads(read)["k"] == plainly(escaped)


def test_a_chatgpt_export_whose_first_title_is_100k_characters_imports() -> None:
    # It was refused as "not a conversation format we know": the keys that tell came after
    # the first 64 KiB, which was all the sniffer read.
    title = "t" * 100_000
    (conversation,) = read_conversations(chatgpt(title, "Hi").encode(), "conversations.json")
    assert conversation.title == title


def test_the_long_title_is_cut_to_its_column_with_a_note(app) -> None:
    from blog.extensions import db
    from blog.models import Post

    with app.app_context():
        report = import_file(chatgpt("t" * 100_000, "Hi").encode(), "conversations.json", None)
        title = db.session.get(Post, report.created[0].id).title
    column = Post.title.property.columns[0].type.length
    assert title == "t" * column
    assert any(
        f"the title is 100,000 characters long; only its first {column} are kept" in note
        for note in report.notes
    )


def test_json_placed_by_no_key_in_its_first_megabytes_says_how_far_it_was_read() -> None:
    data = json.dumps([{"note": "n" * 5_000_000, "mapping": {}}]).encode()
    with pytest.raises(ImportFormatError, match="judging by its first 4,194,304 bytes"):
        list(read_conversations(data, "conversations.json"))


def test_a_lone_surrogate_in_an_export_zip_is_repaired_and_said_too() -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("conversations.json", with_escape("\\ud83d"))
    (conversation,) = read_conversations(packed.getvalue(), "export.zip")
    assert conversation.turns[0].text == "Before \ufffd after"
    assert conversation.warnings[0].startswith("1 lone surrogate escape in the JSON")
