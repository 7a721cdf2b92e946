"""Every text pass of an import stays cheap on hostile text: each reader, the renderer and the
plain text, on a quarter megabyte of any repeated fragment of the syntax they look for.

A matcher that backtracks shows on a repeated fragment (an unclosed tag, a run of spaces or
letters where a name may start): its time grows with the square of the text, and a quarter
megabyte takes it many seconds. The bound is on CPU time and generous, not a benchmark.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.formats.detect import read_conversations
from blog.markdown import plain_text, render_markdown
from tests.complexity import growth
from tests.test_import_complexity import read_all

SIZE = 256 * 1024
BOUND = 3.0  # seconds of CPU time; quadratic matching at this size takes far longer
# The syntax the readers and the renderer match on: speaker lines, tags, fences, escapes.
FRAGMENTS = st.sampled_from(
    [
        " ",
        "\n",
        "\t",
        "a",
        "1",
        ":",
        '"',
        "'",
        "<",
        ">",
        "/",
        "=",
        "*",
        "_",
        "#",
        "[",
        "]",
        "(",
        ")",
    ]
    + ["`", "```", "$", "\\", "-", "|", "!", "{", "}", ",", "."]
    + ['<details type="reasoning"', "</details>", "<summary>", "<antThinking>", "<think>"]
    + ["You said:", "ChatGPT said:", "**User:**", "Human:", "Assistant:", "> ", "---", "http://"]
    + ["[P1]", "@", "&quot;", "\\n", "```python\n", "<image>", "sk-"]
)
FRAGMENT = st.lists(FRAGMENTS, min_size=1, max_size=8).map("".join)
SCREEN = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def repeated(fragment: str, size: int = SIZE) -> str:
    return fragment * (size // len(fragment) + 1)


def dumps(value: object) -> bytes:
    return json.dumps(value).encode()


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def longest_string(value: object, path: tuple = ()) -> tuple[int, tuple]:
    """The length and place of the longest string in a JSON value (a message's words)."""
    if isinstance(value, str):
        return len(value), path
    pairs = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    return max((longest_string(item, (*path, key)) for key, item in pairs), default=(-1, path))


def in_fixture(name: str) -> tuple[str, Callable[[str], bytes]]:
    """A fixture of ours with the text in place of its longest string."""

    def container(text: str) -> bytes:
        value = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        *parents, last = longest_string(value)[1]
        holder = value
        for key in parents:
            holder = holder[key]
        holder[last] = text
        return dumps(value)

    return name, container


# Each reader, with the text where its format puts a message's words.
CONTAINERS: dict[str, tuple[str, Callable[[str], bytes]]] = {
    "gemini": in_fixture("gemini_my_activity.json"),
    "perplexity": in_fixture("perplexity_thread.json"),
    "ai-studio": in_fixture("ai_studio_autumn_leaves"),
    "deepseek": in_fixture("deepseek_conversations.json"),
    "grok": in_fixture("grok_export.json"),
    "qwen": in_fixture("qwen_chat_export.json"),
    "copilot": (
        "copilot-activity-history.csv",
        lambda text: (
            "Conversation,Time,Author,Message\r\n"
            f't,2026-07-26T23:20:56,AI,"{text.replace(chr(34), chr(34) * 2)}"\r\n'
        ).encode(),
    ),
    "markdown": ("notes.md", lambda text: f"## You\n\nhi\n\n## ChatGPT\n\n{text}".encode()),
    "pasted": ("chat.txt", lambda text: f"You said:\nhi\nChatGPT said:\n{text}".encode()),
    "chatgpt": (
        "conversations.json",
        lambda text: dumps(
            [
                {
                    "title": "t",
                    "current_node": "a",
                    "mapping": {
                        "a": {
                            "id": "a",
                            "parent": None,
                            "children": [],
                            "message": {
                                "id": "a",
                                "author": {"role": "assistant"},
                                "content": {"content_type": "text", "parts": [text]},
                            },
                        }
                    },
                }
            ]
        ),
    ),
    "claude": (
        "conversations.json",
        lambda text: dumps(
            [{"uuid": "c", "name": "t", "chat_messages": [{"sender": "assistant", "text": text}]}]
        ),
    ),
    "open-webui": (
        "export.json",
        lambda text: dumps(
            [
                {
                    "id": "c",
                    "title": "t",
                    "chat": {"messages": [{"role": "assistant", "content": text}]},
                }
            ]
        ),
    ),
    "librechat": (
        "export.json",
        lambda text: dumps(
            {
                "conversationId": "c",
                "title": "t",
                "messages": [{"messageId": "m", "isCreatedByUser": False, "text": text}],
            }
        ),
    ),
    "sharegpt": (
        "data.json",
        lambda text: dumps([{"conversations": [{"from": "gpt", "value": text}]}]),
    ),
    "openai": (
        "messages.jsonl",
        lambda text: dumps(
            {
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": text},
                ]
            }
        ),
    ),
    "claude-code": (
        "session.jsonl",
        lambda text: dumps(
            {
                "type": "assistant",
                "sessionId": "s",
                "uuid": "u",
                "parentUuid": None,
                "message": {"role": "assistant", "content": [{"type": "text", "text": text}]},
            }
        ),
    ),
    "codex": (
        "rollout.jsonl",
        lambda text: dumps(
            {
                "type": "response_item",
                "payload": {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text}],
                },
            }
        ),
    ),
}


def cpu_seconds(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


@pytest.mark.parametrize("reader", sorted(CONTAINERS))
@SCREEN
@given(fragment=FRAGMENT)
def test_every_reader_reads_a_repeated_fragment_quickly(reader: str, fragment: str) -> None:
    name, container = CONTAINERS[reader]
    data = container(repeated(fragment))
    assert cpu_seconds(lambda: read_all(data, name)) < BOUND


@settings(SCREEN, max_examples=6)
@given(fragment=FRAGMENT)
def test_a_turn_of_a_repeated_fragment_renders_within_its_bound(fragment: str) -> None:
    # The largest turn an import keeps; its rendering and plain text have a deadline each.
    turn = repeated(fragment, 199_000)[:199_000]
    assert cpu_seconds(lambda: render_markdown(turn)) < BOUND
    assert cpu_seconds(lambda: plain_text(turn)) < BOUND


def test_the_containers_hold_what_their_readers_read() -> None:
    # A container its reader refused would screen nothing.
    for reader, (name, container) in CONTAINERS.items():
        conversations = list(read_conversations(container("Hello there"), name))
        texts = [turn.text for conversation in conversations for turn in conversation.turns]
        assert any("Hello there" in text for text in texts), reader


# The two readers this screen once found quadratic, checked by growth as well.
@pytest.mark.parametrize(
    "reader, fragment", [("gemini", "<a "), ("perplexity", "a["), ("gemini", "<a href=x <b")]
)
def test_once_slow_readers_grow_linearly(reader: str, fragment: str) -> None:
    name, container = CONTAINERS[reader]
    make = lambda n: container(repeated(fragment, n))  # noqa: E731
    assert growth(lambda data: read_all(data, name), make, 2000) < 30
