"""Exporter Markdown the reader used to misread: bold and emoji speakers, speakers by name,
session logs with separators, and code fences the exporter left open."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from blog.extensions import db
from blog.formats.base import ImportFormatError
from blog.formats.text.markdown import parse_markdown
from blog.imports.files import import_file
from blog.models import Post, User

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str):
    path = FIXTURES / name
    return parse_markdown(path.read_text(encoding="utf-8"), path.name)


def turns(conversation) -> list[tuple[str, str, str]]:
    return [(t.role, t.text, t.speaker) for t in conversation.turns]


def test_bold_emoji_speaker_lines_split_the_turns():
    conversation = load("md_bold_emoji.md")

    assert conversation.title == "Sorting a list in place"
    assert turns(conversation) == [
        ("user", "How do I sort a list of tuples by the second item?", ""),
        (
            "assistant",
            "Use `sort` with a key:\n\n```python\npairs.sort(key=lambda pair: pair[1])\n```",
            "ChatGPT",
        ),
        ("user", "And in reverse?", ""),
        ("assistant", "Add `reverse=True`.", "ChatGPT"),
    ]


def test_the_users_own_name_as_heading_is_learned_from_the_alternation():
    conversation = load("md_learned_names.md")

    assert [(t.role, t.speaker) for t in conversation.turns] == [
        ("user", "kekyo"),
        ("assistant", "chatgpt"),
        ("user", "kekyo"),
        ("assistant", "chatgpt"),
    ]
    assert conversation.turns[2].text == "Can I undo it?"
    assert conversation.turns[1].text.endswith(
        "```sh\ngit rebase --onto main feature~3 feature\n```"
    )


def test_two_unknown_names_alternating_twice_are_speakers_the_first_being_the_person():
    text = "## kekyo\n\nHi?\n\n## Sage\n\nHello.\n\n## kekyo\n\nBye?\n\n## Sage\n\nBye.\n"

    conversation = parse_markdown(text)

    # The person keeps the name the log gives them, not the author's.
    assert turns(conversation) == [
        ("user", "Hi?", "kekyo"),
        ("assistant", "Hello.", "Sage"),
        ("user", "Bye?", "kekyo"),
        ("assistant", "Bye.", "Sage"),
    ]


def test_sections_are_not_mistaken_for_speakers_and_the_refusal_names_them():
    with pytest.raises(ImportFormatError) as refused:
        parse_markdown("## Introduction\n\nSome text.\n\n## Conclusion\n\nMore text.\n")

    assert "its headings ('## Introduction', '## Conclusion') do not name two speakers" in str(
        refused.value
    )


def test_title_session_line_and_separators_are_metadata_not_turns():
    conversation = load("md_session_log.md")

    assert conversation.title == "Debugging the cache"
    assert conversation.summary == "Session: 2025-03-14 09:12 (claude-sonnet-4)"
    assert turns(conversation) == [
        ("user", "Why does the cache miss on every request?", ""),
        (
            "assistant",
            "The key includes the request time, so no two requests share a key.",
            "Assistant",
        ),
        ("user", "How do I fix it?", ""),
        ("assistant", "Build the key from the path and the query string only.", "Assistant"),
    ]


def test_an_unclosed_fence_is_closed_at_the_next_speaker_line_with_a_warning():
    conversation = load("md_unclosed_fence.md")

    assert turns(conversation) == [
        ("user", "Give me a script that prints the date.", ""),
        ("assistant", "Here it is:\n\n```bash\ndate +%F\n```", "Assistant"),
        ("user", "And the time?", ""),
        ("assistant", "```bash\ndate +%T\n```", "Assistant"),
    ]
    assert conversation.warnings == [
        "the code fence opened at line 9 was never closed; "
        "closed it at line 12, before the next speaker line"
    ]


def test_a_fence_that_only_shows_speaker_lines_as_code_is_left_alone():
    text = (
        "## User\n\nHow do I write a chat log?\n\n## Assistant\n\nLike this:\n\n"
        "```markdown\n## Me\n\nhello\n```\n\n## User\n\nThanks\n\n## Assistant\n\nWelcome.\n"
    )

    conversation = parse_markdown(text)

    assert [t.role for t in conversation.turns] == ["user", "assistant", "user", "assistant"]
    assert "## Me" in conversation.turns[1].text
    assert conversation.warnings == []


def test_many_exchanges_after_an_unclosed_fence_are_not_swallowed():
    exchanges = []
    for n in range(73):
        exchanges.append(f"## User\n\nQuestion {n}?\n\n## Assistant\n\n```python\nprint({n})\n")
    conversation = parse_markdown("\n".join(exchanges))

    assert len(conversation.turns) == 146
    assert conversation.turns[-1].text == "```python\nprint(72)\n```"
    assert max(len(t.text) for t in conversation.turns) < 100
    assert len(conversation.warnings) == 73
    assert conversation.warnings[-1].endswith("closed it at the end of the file")


def test_the_import_report_carries_the_repair_warning(runner, owner):
    result = runner.invoke(args=["import", str(FIXTURES / "md_unclosed_fence.md")])

    assert result.exit_code == 0, result.output
    assert "note     md_unclosed_fence (md-unclosed-fence): the code fence opened at line 9" in (
        result.output
    )


def test_a_time_beside_the_speaker_is_the_turns_time_not_part_of_its_name():
    conversation = load("md_timestamped_headings.md")

    assert [(t.role, t.speaker) for t in conversation.turns] == [
        ("user", ""),
        ("assistant", "ChatGPT"),
        ("user", ""),
        ("assistant", "ChatGPT (gpt-4o)"),
    ]
    assert [t.created_at for t in conversation.turns[:3]] == [
        datetime(2025, 3, 14, 9, 12, 5, 120000, tzinfo=UTC),
        datetime(2025, 3, 14, 9, 12, 9, 884120, tzinfo=UTC),
        datetime(2025, 3, 14, 9, 15, 40, 2000, tzinfo=UTC),
    ]
    # A heading inside the reply is the reply's, not a new speaker.
    assert "## Why not a chain?" in conversation.turns[1].text


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T10:30:00", datetime(2024, 5, 1, 10, 30, tzinfo=UTC)),
        ('"2024-05-01T10:30:00+02:00"', datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_front_matter_dates_without_a_zone_are_utc(written, expected):
    text = f"---\ntitle: Dates\ndate: {written}\n---\n\n**User:** hi\n\n**Assistant:** hello\n"

    created = parse_markdown(text, "dates.md").created_at

    assert created == expected and created.utcoffset() is not None


def test_a_fence_left_open_in_the_first_prompt_is_closed_at_the_next_speaker():
    text = (
        "**User:** why does this hang?\n\n```python\nwhile True:\n    pass\n\n"
        "**Assistant:** The loop never ends.\n\n**User:** thanks\n\n**Assistant:** You're welcome.\n"
    )

    conversation = parse_markdown(text, "open.md")

    assert [(t.role, t.text) for t in conversation.turns] == [
        ("user", "why does this hang?\n\n```python\nwhile True:\n    pass\n```"),
        ("assistant", "The loop never ends."),
        ("user", "thanks"),
        ("assistant", "You're welcome."),
    ]
    assert any("never closed" in warning for warning in conversation.warnings)


def test_chatgpt_content_written_out_raw_is_read_as_chatgpt_content():
    conversation = load("md_chatgpt_raw_content.md")

    assert [(t.role, t.hidden, t.speaker) for t in conversation.turns] == [
        ("user", False, ""),
        ("reasoning", True, "ChatGPT (reasoning)"),
        ("reasoning", True, "ChatGPT (reasoning)"),
        ("assistant", False, "ChatGPT"),
        ("user", False, ""),
    ]
    prompt, thought, recap, reply, _ = conversation.turns
    # The pointer line is the image the export left out, as the JSON import would have it.
    assert prompt.text == "![Uploaded image](attachment:0)\n\nIs this fern ready for a bigger pot?"
    assert [(a.name, a.data) for a in prompt.attachments] == [("file-Fern01", None)]
    assert thought.text == "**Looking at the roots**\n\nRoots circle the bottom of the pot."
    assert recap.text == "Thought for 17s"
    assert reply.text.startswith("Yes: the roots circle the pot.") and "## Steps" in reply.text
    assert "content_type" not in "".join(t.text for t in conversation.turns)
    # The empty reasoning record shows nothing; the report says it was left out.
    assert conversation.warnings == [
        "1 'thoughts' message written out as raw content left out, as the ChatGPT import "
        "leaves it: nothing in it was shown in the chat"
    ]


@pytest.mark.parametrize(
    "text",
    [
        '{"content_type": "text", "note": "a user pasting JSON"',  # not one object
        "{'content_type': " + "[" * 300 + "]" * 300 + "}",  # nested past the parser's depth
        '{"kind": "thoughts"}',
    ],
)
def test_text_that_only_looks_like_raw_content_stays_as_written(text):
    conversation = parse_markdown(f"**User:** {text}\n\n**Assistant:** Noted.\n", "pasted.md")

    assert conversation.turns[0].text == text and conversation.turns[0].role == "user"


def test_an_imported_raw_content_export_shows_the_missing_image_and_folds_the_reasoning(app, owner):
    with app.app_context():
        report = import_file(
            FIXTURES / "md_chatgpt_raw_content.md", "fern.md", db.session.get(User, owner)
        )
        post = db.session.get(Post, report.created[0].id)
        shown = [t for t in post.turns if not t.excluded]

    assert [t.role for t in shown] == ["user", "assistant", "user"]
    assert "[Image not included in the export: Uploaded image]" in shown[0].html
    assert "reasoning" in " ".join(report.hidden)
    assert any("'thoughts' message" in note for note in report.notes)
    assert not any("'thoughts' message" in warning for warning in report.warnings)


def test_raw_content_in_a_system_turn_stays_as_written():
    dump = '{"content_type": "text", "parts": ["Be brief."]}'
    text = f"## System\n\n{dump}\n\n## You\n\nHi\n\n## ChatGPT\n\nHello.\n"

    conversation = parse_markdown(text, "system.md")

    assert [(t.role, t.text) for t in conversation.turns][0] == ("system", dump)
    assert conversation.warnings == []


def test_private_context_written_out_raw_is_left_out_and_said_to_be():
    dump = "{'content_type': 'user_editable_context', 'user_profile': 'I live in Lyon.'}"
    text = f"## You\n\n{dump}\n\n## You\n\nHi\n\n## ChatGPT\n\nHello.\n"

    conversation = parse_markdown(text, "context.md")

    assert "Lyon" not in "".join(t.text for t in conversation.turns)
    assert conversation.warnings == [
        "1 'user_editable_context' message written out as raw content left out, as the "
        "ChatGPT import leaves it: nothing in it was shown in the chat"
    ]


def test_raw_content_of_an_unknown_kind_is_left_out_saying_so():
    dump = '{"content_type": "super_widget", "widget": {"kind": "weather"}}'
    text = f"## You\n\nWeather?\n\n## ChatGPT\n\n{dump}\n\n## ChatGPT\n\nSunny.\n"

    conversation = parse_markdown(text, "widget.md")

    assert [t.text for t in conversation.turns] == ["Weather?", "Sunny."]
    assert conversation.warnings == [
        "1 'super_widget' message written out as raw content left out: a kind this importer "
        "does not show"
    ]


def test_own_names_with_notes_first_and_a_section_heading_inside_a_reply():
    conversation = load("md_own_names_with_notes.md")

    assert conversation.title == "Naming the release branches"
    assert [(t.role, t.speaker) for t in conversation.turns] == [
        ("note", ""),
        ("user", "alice"),
        ("assistant", "chatgpt"),
        ("user", "alice"),
        ("assistant", "chatgpt"),
    ]
    assert conversation.turns[0].text.startswith("## Notes\n\nI asked this")
    reply = conversation.turns[2].text
    assert reply.startswith("A common scheme") and "## Hotfixes" in reply
    assert reply.endswith("`hotfix/YYYY.MM.N`.")


def test_a_heading_named_once_beside_the_model_is_still_a_section():
    text = (
        "## Introduction\n\nSome text.\n\n## ChatGPT\n\nA reply.\n\n## Conclusion\n\nMore text.\n"
    )

    with pytest.raises(ImportFormatError):
        parse_markdown(text)


def test_claude_conversation_extractor_header_is_facts_not_a_turn():
    path = FIXTURES / "md_claude_extractor.md"
    conversation = parse_markdown(
        path.read_text(encoding="utf-8"), "claude-conversation-2025-09-14-3f9d2c1a.md"
    )

    assert conversation.title.startswith("The test suite takes four minutes.")
    assert conversation.created_at == datetime(2025, 9, 14, 8, 21, 37, tzinfo=UTC)
    assert conversation.source_id == "3f9d2c1a-7b44-4e0a-9c55-2d8e61f0a7b3"
    assert [(t.role, t.speaker, t.hidden) for t in conversation.turns] == [
        ("user", "", False),
        ("assistant", "Claude", False),
        ("tool", "Tool call", True),
        ("assistant", "Claude", False),
        ("user", "", False),
        ("assistant", "Claude", False),
    ]
    assert not any("Claude Conversation Log" in t.text for t in conversation.turns)
    assert not any("Session ID" in t.text for t in conversation.turns)
    call = conversation.turns[2].text
    assert call.startswith("`Bash`\n\n```json\n{")
    assert '"command": "pytest --durations=5 -q"' in call
    assert conversation.turns[3].text.startswith("The five slowest tests")


def test_tool_calls_never_closed_in_an_extractor_log_are_read_in_linear_time():
    header = "# Claude Conversation Log\n\nSession ID: x\nDate: 2025-01-01 00:00:00\n\n---\n\n"
    calls = "🔧 Using tool: Bash\nInput: {\n" * 20_000
    text = header + "## 👤 User\n\nhi\n\n## 🤖 Claude\n\n" + calls

    started = time.process_time()
    conversation = parse_markdown(text)

    assert time.process_time() - started < 3.0  # quadratic scanning took minutes
    assert len(conversation.turns) == 20_001
