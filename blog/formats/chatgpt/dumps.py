"""ChatGPT message content that a Markdown exporter wrote out raw instead of rendering it.

Exporters that turn `conversations.json` into Markdown print what they cannot render as the
message's `content` object: JSON (`{"content_type": "thoughts", …}`) or a Python dict
(`{'content_type': 'image_asset_pointer', …}`). Taken as text, reasoning would read as a reply
made of JSON, and an uploaded image as a line of code in the prompt. They are read back here by
the ChatGPT reader's own rules: reasoning, code and tool output become hidden turns of their
kind, and an image pointer a missing image, as the same message imported from JSON would be.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace

from blog.formats.base import ImportedTurn
from blog.formats.chatgpt.parts import KNOWN_CONTENT, message_piece
from blog.formats.chatgpt.turns import TurnBuilder
from blog.vocabulary import Role

# A dump is one object; past this size it is somebody's data, shown as written.
MAX_DUMP_CHARS = 200_000
_DUMP_START = re.compile(r"""^\{\s*["']content_type["']\s*:""")
_IMAGE_POINTER = "image_asset_pointer"
# Our role of the Markdown turn → the `author.role` ChatGPT gave the message it printed.
_AUTHORS = {Role.USER: "user", Role.ASSISTANT: "assistant"}


def read_dumps(turns: list[ImportedTurn]) -> tuple[list[ImportedTurn], list[str]]:
    """The turns with dumped content read as ChatGPT content, and a warning for each kind left out."""
    read: list[ImportedTurn] = []
    empty: dict[str, int] = {}
    for turn in turns:
        if turn.role not in _AUTHORS:
            read.append(turn)  # a note or system turn the file wrote itself: kept as written
            continue
        content = content_object(turn.text)
        if content is None:
            read.append(_with_images(turn))
            continue
        kept = _content_turn(turn, content)
        if kept is None:
            kind = content["content_type"]
            empty[kind] = empty.get(kind, 0) + 1
        else:
            read.append(kept)
    warnings = [
        f"{count} {kind!r} message{'s' if count > 1 else ''} written out as raw content left "
        + (
            "out, as the ChatGPT import leaves it: nothing in it was shown in the chat"
            if kind in KNOWN_CONTENT
            else "out: a kind this importer does not show"
        )
        for kind, count in empty.items()
    ]
    return read, warnings


def content_object(text: str) -> dict | None:
    """The content object a text is, when it is nothing else: `{"content_type": …, …}`."""
    text = text.strip()
    if len(text) > MAX_DUMP_CHARS or not _DUMP_START.match(text):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    if isinstance(value, dict) and isinstance(value.get("content_type"), str):
        return value
    return None


def _content_turn(turn: ImportedTurn, content: dict) -> ImportedTurn | None:
    """A turn whose whole text is one content object, as the ChatGPT reader reads that content."""
    message = {"author": {"role": _AUTHORS[turn.role]}, "content": content, "metadata": {}}
    piece = message_piece(message, turn.model)
    if piece is None:
        return None
    hidden = piece.kind == "hidden"
    built = TurnBuilder(piece.role if hidden else piece.kind, piece, hidden=hidden)
    built.add(piece)
    result = built.build(None)
    if not result.text.strip() and not result.attachments:
        return None
    result = replace(result, created_at=turn.created_at, model=turn.model or result.model)
    return result if hidden else replace(result, speaker=turn.speaker)


def _with_images(turn: ImportedTurn) -> ImportedTurn:
    """A turn with lines that are image pointers: each becomes the image the export left out."""
    lines = turn.text.split("\n")
    objects = [content_object(line) if "content_type" in line else None for line in lines]
    if not any(obj and obj["content_type"] == _IMAGE_POINTER for obj in objects):
        return turn
    parts: list[str | dict] = []
    for line, obj in zip(lines, objects, strict=True):
        if obj and obj["content_type"] == _IMAGE_POINTER:
            parts.append(obj)
        elif parts and isinstance(parts[-1], str):
            parts[-1] += "\n" + line
        else:
            parts.append(line)
    content = {"content_type": "multimodal_text", "parts": parts}
    return _content_turn(turn, content) or turn
