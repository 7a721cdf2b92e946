"""Text out of content blocks, in every shape the chat tools write them.

Seen in exports: a plain string; a list of strings or blocks; `{"type": "text", "text": str}`;
`{"type": "text", "value": str}`; `{"type": "text", "content": str | list}`;
`{"type": "text", "text": {"value": str}}` (Assistants API); `input_text` / `output_text`.
"""

from __future__ import annotations

TEXT_TYPES = {"text", "input_text", "output_text", "markdown", "paragraph", None}
_TEXT_KEYS = ("text", "value", "content")


def block_text(value: object, depth: int = 0) -> str:
    """The text a content value holds, blocks joined by blank lines; "" when it has none."""
    if depth > 8:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = [block_text(item, depth + 1) for item in value]
        return "\n\n".join(text for text in texts if text)
    if isinstance(value, dict) and value.get("type") in TEXT_TYPES:
        for key in _TEXT_KEYS:
            if key in value:
                text = block_text(value[key], depth + 1)
                if text:
                    return text
    return ""


def is_text_block(block: object) -> bool:
    return isinstance(block, dict) and block.get("type") in TEXT_TYPES - {None}
