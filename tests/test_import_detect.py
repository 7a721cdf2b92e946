"""Format detection from content, and dispatch of every format through read_conversations."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from blog.formats.base import ImportFormatError, NotAConversationFile
from blog.formats.detect import FORMATS, detect_format, read_conversations
from blog.formats.naming import title_from_turns

FIXTURE = Path(__file__).parent / "fixtures" / "chatgpt_conversations.json"
SAMPLES = Path("/work/shared/samples")

CLAUDE = {
    "uuid": "7f0c1d2e-0000-4000-8000-000000000001",
    "name": "Greeting",
    "created_at": "2025-07-06T03:10:13.076141Z",
    "updated_at": "2025-07-06T03:10:20.000000Z",
    "account": {"uuid": "a"},
    "chat_messages": [
        {
            "uuid": "m1",
            "sender": "human",
            "text": "Hi Claude",
            "created_at": "2025-07-06T03:10:13.076141Z",
            "updated_at": "2025-07-06T03:10:13.076141Z",
            "attachments": [],
            "files": [],
        },
        {
            "uuid": "m2",
            "sender": "assistant",
            "text": "Hello!",
            "created_at": "2025-07-06T03:10:14.000000Z",
            "updated_at": "2025-07-06T03:10:14.000000Z",
            "attachments": [],
            "files": [],
        },
    ],
}
SHAREGPT = {
    "id": "aLzORDR_0",
    "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}],
}
OPENAI = {
    "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
}
PASTED = "Skip to content\nYou said:\nHi there\nChatGPT said:\nHello! How can I help?\n"
MARKDOWN = "# Greeting\n\n#### You:\nHi there\n\n#### ChatGPT:\nHello! How can I help?\n"


def chatgpt_bytes() -> bytes:
    return FIXTURE.read_bytes()


def zip_of(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def dumps(value: object) -> bytes:
    return json.dumps(value).encode()


CASES = {
    "chatgpt array": (chatgpt_bytes(), "chatgpt"),
    "chatgpt object": (dumps(json.loads(chatgpt_bytes())[0]), "chatgpt"),
    "chatgpt wrapper": (dumps({"conversations": json.loads(chatgpt_bytes())}), "chatgpt"),
    "claude array": (dumps([CLAUDE]), "claude"),
    "claude wrapper": (dumps({"conversations": [CLAUDE]}), "claude"),
    "claude jsonl": ((json.dumps(CLAUDE) + "\n") * 2, "claude"),
    "sharegpt array": (dumps([SHAREGPT, SHAREGPT]), "sharegpt"),
    "sharegpt object": (dumps(SHAREGPT), "sharegpt"),
    "sharegpt jsonl": ((json.dumps(SHAREGPT) + "\n") * 3, "sharegpt"),
    "openai jsonl": ((json.dumps(OPENAI) + "\n") * 2, "openai"),
    "openai object": (dumps(OPENAI), "openai"),
    "openai bare messages": (dumps(OPENAI["messages"]), "openai"),
    "chat.html": (
        "<html><head><title>ChatGPT Data Export</title></head><body>"
        f"<script>var jsonData = {chatgpt_bytes().decode()};</script></body></html>",
        "chatgpt-html",
    ),
    "pasted": (PASTED, "pasted"),
    "markdown": (MARKDOWN, "markdown"),
    "zip": (zip_of({"conversations.json": chatgpt_bytes()}), "zip"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_detect_format_from_content(case):
    data, expected = CASES[case]
    head = data.encode() if isinstance(data, str) else data

    assert detect_format(head[:4096]) == expected
    assert expected in FORMATS


def test_file_name_alone_does_not_decide():
    assert detect_format(MARKDOWN.encode(), "conversation.txt") == "markdown"
    assert detect_format(dumps([SHAREGPT]), "notes.md") == "sharegpt"


def test_byte_order_mark_is_tolerated():
    assert detect_format(b"\xef\xbb\xbf" + dumps([SHAREGPT])) == "sharegpt"


EXPECTED_KIND = {
    "chatgpt array": ("chatgpt", 5),
    "chatgpt wrapper": ("chatgpt", 5),
    "claude array": ("claude", 1),
    "claude wrapper": ("claude", 1),
    "claude jsonl": ("claude", 2),
    "sharegpt array": ("sharegpt", 2),
    "sharegpt object": ("sharegpt", 1),
    "sharegpt jsonl": ("sharegpt", 3),
    "openai jsonl": ("openai", 2),
    "openai object": ("openai", 1),
    "openai bare messages": ("openai", 1),
    "chat.html": ("chatgpt", 5),
    "pasted": ("pasted", 1),
    "markdown": ("markdown", 1),
    "zip": ("chatgpt", 5),
}


@pytest.mark.parametrize("case", sorted(EXPECTED_KIND))
def test_read_conversations_dispatches_each_format(case):
    data, _ = CASES[case]
    kind, count = EXPECTED_KIND[case]
    payload = data.encode() if isinstance(data, str) else data

    imported = list(read_conversations(payload, f"upload-{case}"))

    assert len(imported) == count
    assert {c.source_kind for c in imported} == {kind}
    assert all(c.turns for c in imported)


def test_sources_may_be_bytes_a_path_or_a_binary_stream(tmp_path):
    path = tmp_path / "conversations.json"
    path.write_bytes(chatgpt_bytes())

    from_path = list(read_conversations(path))
    from_str = list(read_conversations(str(path)))
    from_stream = list(read_conversations(io.BytesIO(chatgpt_bytes()), "conversations.json"))

    titles = [c.title for c in from_path]
    assert titles == [c.title for c in from_str] == [c.title for c in from_stream]
    assert len(titles) == 5


def test_claude_export_zip_is_read_from_its_conversations_json():
    data = zip_of(
        {
            "conversations.json": dumps([CLAUDE]),
            "users.json": dumps([{"uuid": "u", "email_address": "me@example.com"}]),
            "projects.json": "[]",
        }
    )

    (imported,) = read_conversations(data, "data-2025-10-06-batch-0000.zip")

    assert imported.source_kind == "claude"
    assert imported.title == "Greeting"


def test_split_chatgpt_export_reads_every_numbered_file_at_any_depth():
    items = json.loads(chatgpt_bytes())
    data = zip_of(
        {
            "export/conversations-000.json": dumps(items[:2]),
            "export/conversations-001.json": dumps(items[2:]),
            "__MACOSX/export/._conversations-000.json": b"\x00\x05\x16\x07junk",
        }
    )

    imported = list(read_conversations(data, "export.zip"))

    assert len(imported) == len(items)
    for item, conversation in zip(items, imported, strict=True):
        assert conversation.title == (item["title"] or title_from_turns(conversation.turns))


def test_zip_of_markdown_and_json_files_imports_them_all():
    inner = zip_of({"more.md": MARKDOWN})
    data = zip_of(
        {
            "posts/first.md": MARKDOWN,
            "posts/second.json": dumps(SHAREGPT),
            "posts/picture.png": b"\x89PNG\r\n\x1a\n",
            "posts/.DS_Store": b"\x00\x00\x00\x01Bud1",
            "nested.zip": inner,
        }
    )

    imported = list(read_conversations(data, "folder.zip"))

    assert sorted(c.source_kind for c in imported) == ["markdown", "markdown", "sharegpt"]


def test_zip_without_conversations_says_so():
    data = zip_of({"readme.pdf": b"%PDF-1.7", "photo.jpg": b"\xff\xd8\xff\xe0"})

    with pytest.raises(ImportFormatError, match="no conversations found"):
        list(read_conversations(data, "photos.zip"))


def test_errors_name_the_zip_entry_and_conversation():
    items = json.loads(chatgpt_bytes())
    items[1]["current_node"] = "no-such-node"
    data = zip_of({"conversations.json": dumps(items)})

    with pytest.raises(ImportFormatError) as caught:
        list(read_conversations(data, "export.zip"))

    message = str(caught.value)
    assert "export.zip" in message
    assert "conversations.json" in message
    assert 'conversation 2 ("Sine wave")' in message
    assert "no-such-node" in message


SAMPLE_FORMATS = {
    "chatgpt": "chatgpt",
    "claude/simonw-artifacts.json": "claude",
    "claude/simonw-example.json": "claude",
    "claude/yaleman-conversations.json": "claude",
    "sharegpt": "sharegpt",
    "openai-messages": "openai",
    "pasted-text": "pasted",
    "markdown": "markdown",
}


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples are not available here")
@pytest.mark.parametrize("relative", sorted(SAMPLE_FORMATS))
def test_detect_format_on_the_real_samples(relative):
    target = SAMPLES / relative
    paths = sorted(target.iterdir()) if target.is_dir() else [target]

    for path in paths:
        head = path.read_bytes()[:65536]
        assert detect_format(head, path.name) == SAMPLE_FORMATS[relative], path.name


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples are not available here")
def test_claude_account_files_are_not_taken_for_conversations():
    for name in ("users", "projects", "memories"):
        with pytest.raises(NotAConversationFile, match="account data, not a conversation"):
            detect_format((SAMPLES / f"claude/yaleman-{name}.json").read_bytes())
