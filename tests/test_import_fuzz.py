"""Property-based fuzzing of every importer: hostile or damaged files only ever give
ImportFormatError, and each is read within a generous time budget."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.formats.base import ImportFormatError
from blog.formats.chatgpt.conversations import parse_chatgpt
from blog.formats.claude.export import parse_claude
from blog.formats.colloquy_json import parse_colloquy_json
from blog.formats.detect import read_conversations
from blog.formats.openai_messages import parse_openai_messages
from blog.formats.sharegpt import parse_sharegpt
from blog.formats.text.markdown import parse_markdown
from blog.formats.text.pasted import parse_pasted

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLES = {
    path.name: path.read_bytes()
    for path in sorted(FIXTURES.iterdir())
    if path.is_file() and path.suffix != ".py"
}
NAMES = ["", "conversations.json", "chat.html", "export.zip", "notes.md", "chat.txt", "a.jsonl"]
# Loaded 2-core CI machines are slow: the budget catches runaway reads, not slow ones.
FUZZ = settings(
    max_examples=60,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
SLOWEST: dict[str, float] = {}
TRIED = [0]


def read_all(data: bytes, name: str) -> None:
    TRIED[0] += 1
    started = time.process_time()
    try:
        for _ in read_conversations(data, name):
            pass
    except ImportFormatError:
        pass
    SLOWEST["read_conversations"] = max(
        SLOWEST.get("read_conversations", 0.0), time.process_time() - started
    )


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """A fixture with a few random edits: flipped, dropped, repeated or inserted bytes."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        edit = draw(st.sampled_from(["flip", "cut", "drop", "repeat", "insert"]))
        if edit == "flip":
            data[at] = draw(st.integers(0, 255))
        elif edit == "cut":
            del data[at:]
        elif edit == "drop":
            del data[at : at + draw(st.integers(1, 64))]
        elif edit == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))] * draw(st.integers(2, 20))
        else:
            data[at:at] = draw(st.binary(max_size=32))
    return bytes(data)


@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(NAMES))
def test_random_bytes_give_only_import_errors(data, name):
    read_all(data, name)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@FUZZ
@given(data=st.data())
def test_damaged_fixtures_give_only_import_errors(sample, data):
    damaged = data.draw(mutated(SAMPLES[sample]))
    read_all(damaged, data.draw(st.sampled_from([sample, *NAMES])))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(
        st.sampled_from(
            ["mapping", "message", "content", "parts", "author", "role", "children", "parent",
             "messages", "chat_messages", "sender", "text", "conversations", "from", "value",
             "turns", "title", "id", "create_time", "current_node", "metadata", "source"]
        ) | st.text(max_size=8),
        children,
        max_size=6,
    ),
    max_leaves=40,
)  # fmt: skip
READERS = {
    "chatgpt": parse_chatgpt,
    "claude": parse_claude,
    "colloquy_json": parse_colloquy_json,
    "openai_messages": parse_openai_messages,
    "sharegpt": parse_sharegpt,
}


@pytest.mark.parametrize("reader", sorted(READERS))
@FUZZ
@given(items=st.lists(JSON_VALUES, max_size=3))
def test_json_readers_give_only_import_errors(reader, items):
    TRIED[0] += 1
    try:
        for _ in READERS[reader](items):
            pass
    except ImportFormatError:
        pass


@pytest.mark.parametrize("reader", [parse_markdown, parse_pasted], ids=["markdown", "pasted"])
@FUZZ
@given(text=st.text(max_size=2000) | st.sampled_from(sorted(SAMPLES)).map(
    lambda name: SAMPLES[name].decode("utf-8", "replace")
))  # fmt: skip
def test_text_readers_give_only_import_errors(reader, text):
    TRIED[0] += 1
    with contextlib.suppress(ImportFormatError):
        reader(text)


def test_report_the_slowest_read(capsys):
    with capsys.disabled():
        slowest = SLOWEST.get("read_conversations", 0.0)
        print(f"\n{TRIED[0]} fuzzed inputs; slowest whole-file read {slowest:.3f}s CPU")
