"""Every reader keeps a message's text as written: a first line indented as code keeps its
indentation and a line ending in two spaces (a hard break) keeps them. Only line endings
(`\\r\\n` → `\\n`) and whole blank lines at either end may change.

For each JSON fixture, every message text the reader shows as a prompt or a reply is replaced by
an indented one, and the file is read again: each must come back whole, at the start of its turn
(a reply may have its sources after it). The text formats are written here in their layouts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blog.formats.base import ImportedConversation, ImportedTurn
from blog.formats.blocks import as_written
from blog.formats.detect import read_conversations
from blog.formats.writing import to_json, to_markdown
from blog.vocabulary import Role

FIXTURES = Path(__file__).parent / "fixtures"
JSON_FIXTURES = [
    "ai_studio_autumn_leaves",
    "chatgpt_conversations.json",
    "chatgpt_gpt35.json",
    "claude_branches.json",
    "claude_code_newer_session.jsonl",
    "claude_code_session.jsonl",
    "claude_code_tool_session.jsonl",
    "claude_conversations.json",
    "codex_review_session.jsonl",
    "codex_rollout.jsonl",
    "codex_rollout_legacy.jsonl",
    "codex_tool_session.jsonl",
    "deepseek_conversations.json",
    "grok_export.json",
    "librechat_export.json",
    "open_webui_export.json",
    "openai_messages.jsonl",
    "openai_value_blocks.jsonl",
    "perplexity_thread.json",
    "qwen_chat_export.json",
    "sharegpt_conversations.json",
]
# Two spaces ending the middle line and the last: a hard break, and spaces the author left.
INDENTED = "    code {n}\nmore {n}  \nend {n}  "
# The same text with Windows line endings and blank lines around it, which may go.
PADDED = "\r\n  \n    code {n}\r\nmore {n}  \r\nend {n}  \r\n\r\n"


def test_as_written_keeps_indentation_and_trailing_spaces_and_drops_blank_edges():
    assert as_written("    code\nmore  ") == "    code\nmore  "
    assert as_written("\n \t\n    code\r\nmore  \r\n  \n\n") == "    code\nmore  "
    assert as_written("  \n\n") == ""
    assert as_written("a\n\n\n\nb") == "a\n\n\n\nb"  # blank lines inside stay


def _shown(data: bytes, name: str) -> list[ImportedTurn]:
    return [
        turn
        for conversation in read_conversations(data, name)
        for turn in conversation.turns
        if turn.role in (Role.USER, Role.ASSISTANT) and not turn.hidden
    ]


def _texts(turns: list[ImportedTurn]) -> list[str]:
    return [text for turn in turns for text in (turn.text, *turn.alternatives)]


def _opens(text: str, message: str) -> bool:
    return text == message or text.startswith(message + "\n\n")


def _replace(value: object, texts: dict[str, str]) -> object:
    if isinstance(value, str):
        return texts.get(value, value)
    if isinstance(value, list):
        return [_replace(item, texts) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, texts) for key, item in value.items()}
    return value


def _strings(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return set().union(*(_strings(item) for item in items)) if items else set()


def _lines_file(name: str) -> bool:
    return name.endswith(".jsonl")


def _load(name: str) -> list[object]:
    raw = (FIXTURES / name).read_text(encoding="utf-8")
    if _lines_file(name):
        return [json.loads(line) for line in raw.splitlines() if line.strip()]
    return [json.loads(raw)]


def _dump(name: str, documents: list[object]) -> bytes:
    if _lines_file(name):
        return "\n".join(json.dumps(document) for document in documents).encode()
    return json.dumps(documents[0]).encode()


@pytest.mark.parametrize("template", [INDENTED, PADDED], ids=["indented", "padded-crlf"])
@pytest.mark.parametrize("name", JSON_FIXTURES)
def test_each_reader_keeps_a_message_as_written(name, template):
    documents = _load(name)
    shown = _texts(_shown((FIXTURES / name).read_bytes(), name))
    # The strings of the file that a shown turn (or another version of it) is, or opens
    # with, a blank line after it: sources may follow a reply.
    messages = {
        value
        for value in set().union(*(_strings(document) for document in documents))
        if value.strip() and any(_opens(text, value.strip()) for text in shown)
    }
    texts = {value: template.format(n=number) for number, value in enumerate(sorted(messages))}
    assert texts, "the fixture shows no message to check"
    read = _texts(_shown(_dump(name, [_replace(d, texts) for d in documents]), name))
    for number in range(len(texts)):
        expected = INDENTED.format(n=number)
        kept = [text for text in read if _opens(text, expected)]
        assert kept, f"{expected!r} not kept; read: {[text[:60] for text in read]}"


def test_the_markdown_blockquote_layout_removes_only_its_own_prefix():
    reply = INDENTED.format(n=1)
    quoted = "\n".join(f"> {line}" for line in reply.split("\n"))
    text = f"# Code\n\nShow me indented code.\n\n{quoted}\n"
    (conversation,) = read_conversations(text.encode(), "chat.md")
    assert [t.text for t in conversation.turns] == ["Show me indented code.", reply]


def test_a_speaker_layout_keeps_the_turn_as_written():
    reply = INDENTED.format(n=1)
    text = f"**User:**\n\nShow me indented code.\n\n**Assistant:**\n\n{reply}\n"
    (conversation,) = read_conversations(text.encode(), "chat.md")
    assert conversation.turns[-1].role == Role.ASSISTANT
    assert conversation.turns[-1].text == reply


def test_pasted_text_keeps_the_turn_as_written():
    reply = INDENTED.format(n=1)
    text = f"You said:\nShow me indented code.\nChatGPT said:\n{reply}\n"
    (conversation,) = read_conversations(text.encode(), "pasted.txt")
    assert [t.text for t in conversation.turns] == ["Show me indented code.", reply]


@pytest.mark.parametrize(("write", "filename"), [(to_markdown, "a.md"), (to_json, "a.json")])
def test_what_colloquy_writes_reads_back_as_written(write, filename):
    prompt, reply = INDENTED.format(n=1), INDENTED.format(n=2)
    conversation = ImportedConversation(
        title="Indented",
        turns=[ImportedTurn(Role.USER, prompt), ImportedTurn(Role.ASSISTANT, reply)],
        source_kind="colloquy",
    )
    (again,) = read_conversations(write(conversation).encode(), filename)
    assert [t.text for t in again.turns] == [prompt, reply]


@pytest.mark.parametrize("template", [INDENTED, PADDED], ids=["indented", "padded-crlf"])
def test_a_gemini_prompt_keeps_its_text_as_written(template):
    # Takeout writes the prompt into the record's title, after "Prompted ".
    records = json.loads((FIXTURES / "gemini_my_activity.json").read_text(encoding="utf-8"))
    prompted = [r for r in records if r["title"].startswith("Prompted ")]
    for number, record in enumerate(prompted):
        record["title"] = "Prompted " + template.format(n=number)
    turns = _shown(json.dumps(records).encode(), "MyActivity.json")
    prompts = [turn.text for turn in turns if turn.role == Role.USER]
    # The reader orders records by time, not as the file lists them.
    assert sorted(prompts) == [INDENTED.format(n=number) for number in range(len(prompted))]


def test_text_on_a_speaker_marker_line_keeps_its_trailing_spaces():
    text = "**User:** Show me  \nindented code.\n\n**Assistant:** Here  \nit is.\n"
    (conversation,) = read_conversations(text.encode(), "chat.md")
    assert [t.text for t in conversation.turns] == ["Show me  \nindented code.", "Here  \nit is."]
