"""DeepSeek's conversation as chat.deepseek.com loads it (`fixtures/deepseek_page_session.json`,
invented text in the shape a browser exporter saves: `data.biz_data` with the session and its
messages, Unix times, edited first prompts with no parent, a regenerated reply, an older message
without fragments)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.formats.base import ImportFormatError
from blog.formats.detect import detect_format, read_conversations

FIXTURE = Path(__file__).parent / "fixtures" / "deepseek_page_session.json"


def read(page: dict):
    (conversation,) = read_conversations(json.dumps(page).encode(), FIXTURE.name)
    return conversation


def page() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_the_page_shape_is_read_as_deepseek():
    assert detect_format(FIXTURE.read_bytes(), FIXTURE.name) == "deepseek"


def test_the_branch_shown_is_the_one_the_page_showed_not_the_newest():
    conversation = read(page())
    shown = [(t.role, t.text) for t in conversation.turns if not t.hidden]

    assert conversation.title == "Tagus river length"
    assert conversation.source_id == "5d1e9c7a-3b2f-4a60-9e18-2c4b7d0f6a31"
    assert conversation.created_at == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    assert shown == [
        ("user", "How long is the Tagus river, and where does it end?"),
        ("assistant", "Roughly 1,007 km; it reaches the sea at Lisbon."),
    ]
    prompt, reply = [t for t in conversation.turns if not t.hidden]
    # The first prompt was edited (both versions have no parent), the reply regenerated.
    assert prompt.alternatives == ["How long is the Tagus?"]
    assert reply.alternatives[0].startswith(
        "The Tagus runs about **1,007 km** [1](https://rivers.example/tagus)"
    )
    assert [a.name for a in prompt.attachments] == ["tagus-map.png"]
    # The reply under the first prompt and the exchange after the other reply are not shown.
    assert conversation.warnings == [
        "3 messages deeper on other branches left out (the other versions of each prompt "
        "and reply are kept as alternatives)"
    ]


def test_thinking_search_and_an_older_message_without_fragments():
    session = page()
    session["data"]["biz_data"]["chat_session"]["current_message_id"] = 7
    conversation = read(session)

    assert [(t.role, t.hidden) for t in conversation.turns] == [
        ("user", False),
        ("attachment", True),
        ("reasoning", True),
        ("assistant", False),
        ("user", False),
        ("reasoning", True),
        ("assistant", False),
    ]
    search_reply = conversation.turns[3]
    assert "[2](https://atlas.example/lisbon-estuary)" in search_reply.text
    assert search_reply.text.endswith("- [The Tagus estuary](https://atlas.example/lisbon-estuary)")
    assert conversation.turns[4].text == "  And its source?"
    assert conversation.turns[5].text == "Source: the Montes Universales."
    assert conversation.turns[6].text == "In the Sierra de Albarracín, in Spain."
    assert conversation.turns[6].created_at == datetime(2025, 11, 24, 16, 3, 0, 300000, tzinfo=UTC)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["type", "content", "results", "url", "cite_index", "file_name"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    ["message_id", "parent_id", "role", "fragments", "inserted_at", "files", "content", "model"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.integers(0, 6), FIELDS, VALUES), max_size=4))
def test_damaged_messages_are_refused_with_import_errors(changes):
    session = page()
    messages = session["data"]["biz_data"]["chat_messages"]
    for index, name, value in changes:
        messages[index][name] = value
    with contextlib.suppress(ImportFormatError):
        read(session)
