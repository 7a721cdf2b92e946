"""Reading an import takes time linear in its size, whatever the file holds."""

from __future__ import annotations

import json

from blog.formats.base import ImportFormatError
from blog.formats.chatgpt_html import extract_chat_html
from blog.formats.detect import read_conversations
from tests.complexity import growth

BOUND = 30  # 8 times the input: a linear reader about 8, a quadratic one 64


def chat_html(assets: str) -> str:
    return f"<html><script>var jsonData = [];\nvar assetsJson = {{{assets}</script></html>"


def test_chat_html_asset_names_read_in_linear_time() -> None:
    # A JS object literal rather than JSON, with a long unquoted run where a key may start.
    assert growth(lambda html: extract_chat_html(html), lambda n: chat_html("a" * n), 4000) < BOUND


def test_chat_html_loose_asset_names_still_read() -> None:
    html = chat_html('file_abc: \'photo.png\', "file-def": "doc.pdf"}')
    assert extract_chat_html(html)[1] == {"file_abc": "photo.png", "file-def": "doc.pdf"}


def claude_export(text: str) -> bytes:
    conversation = {
        "uuid": "c1",
        "name": "Tags",
        "chat_messages": [
            {"sender": "human", "text": "Hello?"},
            {"sender": "assistant", "text": text},
        ],
    }
    return json.dumps([conversation]).encode()


def read_all(data: bytes, name: str) -> None:
    try:
        for _ in read_conversations(data, name):
            pass
    except ImportFormatError:
        pass


def test_unclosed_claude_tags_read_in_linear_time() -> None:
    for tag in ("<antThinking>", '<antArtifact title="x">'):
        make = lambda n, tag=tag: claude_export(tag * (n // len(tag)))  # noqa: E731
        assert growth(lambda data: read_all(data, "conversations.json"), make, 4000) < BOUND


def test_blank_lines_before_a_pasted_marker_read_in_linear_time() -> None:
    make = lambda n: ("Hello\n" + "\n" * n + "x").encode()  # noqa: E731
    assert growth(lambda data: read_all(data, "chat.txt"), make, 4000) < BOUND


def test_a_long_heading_line_reads_in_linear_time() -> None:
    make = lambda n: ("# " * (n // 2) + "x\n\nHello").encode()  # noqa: E731
    assert growth(lambda data: read_all(data, "notes.md"), make, 4000) < BOUND
