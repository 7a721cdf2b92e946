"""ChatGPT exports made up for tests and benchmarks, in the shape of `conversations.json`.

The standard library only, and nothing from `bench/` or `tests/`: the tests import it as
`bench.chatgpt_export`, the benchmarks as `chatgpt_export`, and `bench/` never imports `tests/`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

START = 1717200000.0


def chatgpt_conversation(
    number: int,
    turns: int = 6,
    words: int = 20,
    *,
    texts: Sequence[str] = (),
    title: str = "",
) -> dict:
    """Conversation `number`, its messages taking turns from the user's first.

    The messages are `texts` when given, else `turns` made-up ones (`words` times "lorem ipsum").
    """
    texts = texts or [
        f"Conversation {number}, turn {position}. " + "lorem ipsum " * words
        for position in range(turns)
    ]
    mapping: dict[str, dict] = {
        "root": {"id": "root", "message": None, "children": ["m0"], "parent": None}
    }
    for position, text in enumerate(texts):
        node = f"m{position}"
        mapping[node] = {
            "id": node,
            "parent": "root" if position == 0 else f"m{position - 1}",
            "children": [f"m{position + 1}"] if position + 1 < len(texts) else [],
            "message": {
                "id": node,
                "author": {"role": "user" if position % 2 == 0 else "assistant"},
                "create_time": START + position,
                "content": {"content_type": "text", "parts": [text]},
                "metadata": {},
                "recipient": "all",
            },
        }
    return {
        "title": title or f"Conversation {number}",
        "create_time": START,
        "update_time": START,
        "conversation_id": f"conversation-{number}",
        "current_node": f"m{len(texts) - 1}",
        "mapping": mapping,
    }


def chatgpt_export(*conversations: dict) -> bytes:
    """The bytes of a `conversations.json` holding these conversations."""
    return json.dumps(list(conversations)).encode()
