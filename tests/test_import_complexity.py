"""Reading an import takes time linear in its size, whatever the file holds."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.formats.base import ImportFormatError
from blog.formats.chatgpt.chat_html import extract_chat_html
from blog.formats.detect import read_conversations
from blog.formats.open_webui import _split_details
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
    """Read every conversation of a file, a refusal being as good an end as any."""
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


def open_webui_export(content: str) -> bytes:
    chat = {
        "id": "c1",
        "title": "Reasoning",
        "chat": {
            "messages": [
                {"role": "user", "content": "Why?"},
                {"role": "assistant", "content": content},
            ]
        },
    }
    return json.dumps([chat]).encode()


OPEN_WEBUI_ADVERSARIAL = {
    # An opening tag never closed by `>`: each retried from the next one rescanned the rest.
    "unclosed tags": lambda n: '<details type="reasoning"' * (n // 25),
    # A tag closed, its block never: the search for `</details>` must not restart either.
    "unclosed blocks": lambda n: '<details type="reasoning">' * (n // 26),
    # A long run of letters where an attribute name could start, with no `="` after it.
    "attribute run": lambda n: '<details type="tool_calls" ' + "a" * n + "></details>",
}


@pytest.mark.parametrize("shape", sorted(OPEN_WEBUI_ADVERSARIAL))
def test_open_webui_reasoning_blocks_read_in_linear_time(shape: str) -> None:
    make = lambda n: open_webui_export(OPEN_WEBUI_ADVERSARIAL[shape](n))  # noqa: E731
    assert growth(lambda data: read_all(data, "export.json"), make, 4000) < BOUND


def test_a_megabyte_of_unclosed_reasoning_tags_reads_in_well_under_a_second() -> None:
    # The file of the report: 975 kB of unclosed tags took 55 s to read.
    data = open_webui_export('<details type="reasoning"' * 39_000)
    started = time.process_time()
    (conversation,) = read_conversations(data, "export.json")
    assert time.process_time() - started < 2.0
    assert conversation.turns[-1].text.startswith('<details type="reasoning"')


FRAGMENTS = st.sampled_from(
    ["<details", " ", "\n", 'type="', "reasoning", "tool_calls", '"', ">", "</details>", "a"]
    + ['="', "<summary>", "</summary>", "&quot;", "name", "=", "<", "/"]
)


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(FRAGMENTS, min_size=1, max_size=12).map("".join))
def test_any_repeated_fragment_splits_a_megabyte_reply_quickly(fragment: str) -> None:
    # Quadratic matching shows on a repeated fragment; a megabyte of it takes minutes then.
    reply = fragment * (1_000_000 // len(fragment) + 1)
    started = time.process_time()
    _split_details(reply)
    assert time.process_time() - started < 2.0
