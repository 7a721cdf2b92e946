"""The Claude.ai data export importer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from blog.formats.base import ImportFormatError
from blog.formats.claude.export import parse_claude
from blog.markdown import render_markdown

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path("/work/shared/samples/claude")


def load(name: str):
    return list(parse_claude(json.loads((FIXTURES / name).read_text(encoding="utf-8"))))


def visible(conversation):
    return [turn for turn in conversation.turns if not turn.hidden]


def test_content_blocks_give_the_reply_and_hide_thinking_and_tools():
    bread, _ = load("claude_conversations.json")
    assert bread.source_kind == "claude"
    assert bread.source_id == "11111111-aaaa-4bbb-8ccc-000000000001"
    assert bread.title == "Bread rising"
    assert bread.model is None
    assert bread.created_at == datetime(2025, 2, 10, 8, 0, tzinfo=UTC)
    assert [turn.role for turn in visible(bread)] == ["user", "assistant", "user", "assistant"]
    assert {turn.speaker for turn in visible(bread) if turn.role == "assistant"} == {"Claude"}
    # Sorted by time, the prompt comes first although the file lists the reply first.
    assert visible(bread)[0].text == "Why is my dough not rising?"
    # Maths is kept as the provider wrote it; the renderer reads every delimiter form. The
    # space the export opens the block with is kept too: text is stored as written.
    assert visible(bread)[1].text == " Yeast needs warmth: about 25 \\(^\\circ\\)C is ideal."
    assert render_markdown(visible(bread)[1].text).count("<math") == 1
    hidden = [(turn.role, turn.text) for turn in bread.turns if turn.hidden]
    assert ("reasoning", "The user asks about dough.") in hidden
    assert ("tool", "Yeast is most active at 26-29 C.") in hidden
    assert all("The user asks about dough." not in turn.text for turn in visible(bread))


def test_artifacts_become_titled_blocks_and_empty_messages_are_dropped():
    bread, _ = load("claude_conversations.json")
    reply = visible(bread)[3].text
    assert reply == "Here it is.\n\n**Rising checklist**\n\n- [ ] Warm spot\n- [ ] Fresh yeast"
    assert "Viewing artifacts" not in reply
    # The empty December message is gone; dough.jpg, named without its file, is listed.
    assert len(bread.turns) == 8
    assert bread.turns[1].role == "attachment" and bread.turns[1].hidden
    assert bread.turns[1].text == "- dough.jpg (image/jpeg), not included in the export"


def test_attachments_and_files_are_kept_with_the_prompt():
    bread, _ = load("claude_conversations.json")
    recipe, photo = visible(bread)[0].attachments
    assert (recipe.name, recipe.mime_type, recipe.data) == (
        "recipe.txt",
        "text/plain",
        b"500 g flour, 7 g yeast",
    )
    assert (photo.name, photo.mime_type, photo.data) == ("dough.jpg", "image/jpeg", None)


def test_legacy_text_tags_and_replaced_messages_become_alternatives():
    _, square = load("claude_conversations.json")
    assert square.title == "Draw a red square in HTML"  # empty name
    assert [turn.role for turn in square.turns] == ["user", "assistant", "user", "assistant"]
    regenerated = square.turns[1]
    assert regenerated.text == " Here is a red square."  # as the export wrote it
    (older,) = regenerated.alternatives
    assert (
        '**Red square**\n\n```html\n<div style="width:50px;height:50px;background:red"></div>\n```'
        in older
    )
    assert "antThinking" not in older and "antArtifact" not in older
    assert square.turns[2].text == "Make it blue, please"
    assert square.turns[2].alternatives == ["Make it blue"]


def test_parent_ids_follow_the_latest_branch():
    (conversation,) = load("claude_branches.json")
    assert [turn.text for turn in conversation.turns] == [
        "Pick a colour.",
        "Blue.",
        "Why?",
        "It is calm.",
        # A file on a reply is named too, not only on a prompt.
        "- swatch.png (image/png), not included in the export",
    ]
    assert conversation.turns[3].attachments[0].name == "swatch.png"
    assert conversation.turns[4].speaker == "Files" and conversation.turns[4].hidden


def test_a_wrapped_array_is_accepted():
    items = json.loads((FIXTURES / "claude_branches.json").read_text(encoding="utf-8"))
    assert [c.title for c in parse_claude([{"conversations": items}])] == ["Pick a colour"]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"uuid": "x"}], "Claude conversation 1: expected an object with a 'chat_messages' list"),
        (["text"], "expected an object with a 'chat_messages' list"),
        ([{"chat_messages": [{"sender": "robot", "text": "hi"}]}], "message 1 has sender 'robot'"),
    ],
)
def test_malformed_exports_are_refused_with_a_clear_message(items, message):
    with pytest.raises(ImportFormatError, match=message):
        list(parse_claude(items))


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared samples are not available here")
@pytest.mark.parametrize(
    ("name", "conversations", "visible_turns", "title"),
    [
        ("yaleman-conversations.json", 1, 2, "Bleep bloop"),
        ("simonw-artifacts.json", 1, 20, "LLM Pricing Calculator"),
        ("simonw-example.json", 1, 2, "Bash Command for OpenAI API"),
    ],
)
def test_real_exports_import_with_their_structure(name, conversations, visible_turns, title):
    parsed = list(parse_claude(json.loads((SAMPLES / name).read_text(encoding="utf-8"))))
    assert len(parsed) == conversations
    turns = visible(parsed[0])
    assert len(turns) == visible_turns
    assert [turn.role for turn in turns] == ["user", "assistant"] * (visible_turns // 2)
    assert parsed[0].title == title
    assert all(turn.text.strip() for turn in turns)
    assert all(
        "<antArtifact" not in turn.text and "<antThinking" not in turn.text for turn in turns
    )
    assert parsed[0].warnings == []  # every block of the real exports has a rule


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared samples are not available here")
def test_real_2025_export_keeps_the_thinking_out_of_the_reply():
    (conversation,) = parse_claude(
        json.loads((SAMPLES / "yaleman-conversations.json").read_text("utf-8"))
    )
    reply = visible(conversation)[1].text
    assert reply.startswith("Dog saliva does contain some antibacterial compounds")
    assert any(
        turn.hidden and turn.text.startswith("The user is asking") for turn in conversation.turns
    )


def test_a_time_without_a_zone_is_read_as_utc_like_every_other_format():
    item = {
        "uuid": "c",
        "name": "Zones",
        "created_at": "2025-02-10T08:00:00",
        "chat_messages": [
            {"sender": "human", "text": "Hi", "created_at": "2025-02-10T08:00:00.5"},
            {"sender": "assistant", "text": "Hello", "created_at": "2025-02-10T08:00:01Z"},
        ],
    }

    (conversation,) = parse_claude([item])

    assert conversation.created_at == datetime(2025, 2, 10, 8, 0, tzinfo=UTC)
    # Aware times throughout, so they compare with each other.
    assert conversation.turns[0].created_at < conversation.turns[1].created_at


def test_blocks_of_an_unknown_kind_are_left_out_with_a_word():
    def message(uuid: str, sender: str, created: str, blocks: list[dict]) -> dict:
        return {"uuid": uuid, "sender": sender, "created_at": created, "content": blocks}

    item = {
        "uuid": "c-1",
        "name": "Voice",
        "chat_messages": [
            message(
                "m1",
                "human",
                "2026-01-02T10:00:00Z",
                [{"type": "voice_note", "title": "Memo"}, {"type": "text", "text": "Hi"}],
            ),
            message(
                "m2",
                "assistant",
                "2026-01-02T10:00:01Z",
                [
                    {"type": "token_budget"},
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "text", "text": "Hello."},
                ],
            ),
            # Nothing but a block of a new kind: the message is not shown, and it is said.
            message("m3", "human", "2026-01-02T10:00:02Z", [{"type": "voice_note"}]),
        ],
    }

    (conversation,) = parse_claude([item])

    assert [turn.text for turn in visible(conversation)] == ["Hi", "Hello."]
    assert conversation.warnings == [
        '1 content block of a kind this importer does not show ("redacted_thinking") left out',
        '2 content blocks of a kind this importer does not show ("voice_note") left out',
    ]
