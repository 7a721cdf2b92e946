"""The CommonMark spec examples as replies in an import render as the renderer renders them.

Each example's Markdown is the reply of a conversation of its own, in an OpenAI messages JSONL
file and in a ChatGPT `conversations.json`; the file goes through `read_conversations` and each
reply through `rendered_fields`, and is compared with the spec as `test_commonmark_spec` does.
A reader that strips a reply's first-line indentation (an indented code block) or its trailing
spaces (a hard break) shows here as examples that pass when rendered directly but not imported.
"""

from __future__ import annotations

import json

import pytest

from blog.formats.detect import read_conversations
from blog.posts.rerender import rendered_fields
from tests.conftest import shared_path
from tests.test_commonmark_spec import RAW_HTML, RAW_HTML_SECTIONS, structure

# Examples a reader may render differently from the renderer's own rate, in percentage points.
ALLOWED_LOSS = 0.5


@pytest.fixture(scope="module")
def spec_examples() -> list[dict]:
    path = shared_path("markdown-spec", "commonmark-spec-0.31.2.json")
    return [
        example
        for example in json.loads(path.read_text(encoding="utf-8"))
        if example["section"] not in RAW_HTML_SECTIONS and not RAW_HTML.search(example["markdown"])
    ]


def openai_jsonl(examples: list[dict]) -> bytes:
    """One conversation per example: a prompt, then the example's Markdown as the reply."""
    lines = [
        json.dumps(
            {
                "id": f"example-{example['example']}",
                "messages": [
                    {"role": "user", "content": f"Example {example['example']}"},
                    {"role": "assistant", "content": example["markdown"]},
                ],
            }
        )
        for example in examples
    ]
    return "\n".join(lines).encode()


def _node(node_id: str, role: str, text: str, parent: str, child: str | None) -> dict:
    message = {
        "id": node_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": 1717200000.0,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "end_turn": role == "assistant",
        "weight": 1.0,
        "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
        "recipient": "all",
    }
    return {
        "id": node_id,
        "message": message,
        "parent": parent,
        "children": [child] if child else [],
    }


def chatgpt_json(examples: list[dict]) -> bytes:
    """A ChatGPT `conversations.json` of one conversation per example, as its export writes it."""
    conversations = []
    for example in examples:
        number = example["example"]
        mapping = {
            "client-created-root": {
                "id": "client-created-root",
                "message": None,
                "parent": None,
                "children": ["prompt"],
            },
            "prompt": _node("prompt", "user", f"Example {number}", "client-created-root", "reply"),
            "reply": _node("reply", "assistant", example["markdown"], "prompt", None),
        }
        conversations.append(
            {
                "title": f"Example {number}",
                "create_time": 1717200000.0,
                "update_time": 1717200000.0,
                "mapping": mapping,
                "current_node": "reply",
                "conversation_id": f"example-{number}",
                "id": f"example-{number}",
                "default_model_slug": "gpt-4o",
            }
        )
    return json.dumps(conversations).encode()


def _matches(source: str, example: dict) -> bool:
    html = rendered_fields(source)["html"] if source.strip() else ""
    return structure(str(html), expected=False) == structure(example["html"], expected=True)


def _imported_replies(data: bytes, filename: str) -> dict[str, str]:
    replies = {}
    for conversation in read_conversations(data, filename):
        shown = [turn.text for turn in conversation.turns if turn.role == "assistant"]
        replies[str(conversation.source_id)] = "\n\n".join(shown)
    return replies


@pytest.mark.parametrize(
    ("build", "filename"),
    [(openai_jsonl, "messages.jsonl"), (chatgpt_json, "conversations.json")],
    ids=["openai-messages", "chatgpt"],
)
def test_spec_examples_render_through_an_import_as_the_renderer_renders_them(
    spec_examples, build, filename
):
    replies = _imported_replies(build(spec_examples), filename)
    direct = [e["example"] for e in spec_examples if not _matches(e["markdown"], e)]
    imported = [
        e["example"]
        for e in spec_examples
        if not _matches(replies.get(f"example-{e['example']}", ""), e)
    ]
    total = len(spec_examples)
    direct_rate = 100 * (1 - len(direct) / total)
    imported_rate = 100 * (1 - len(imported) / total)
    message = (
        f"{filename}: {imported_rate:.1f}% of {total} examples match through the import, "
        f"{direct_rate:.1f}% rendered directly; lost on import: "
        f"{sorted(set(imported) - set(direct))}"
    )
    print(message)
    assert total > 550
    assert imported_rate >= 97, message
    assert imported_rate >= direct_rate - ALLOWED_LOSS, message
