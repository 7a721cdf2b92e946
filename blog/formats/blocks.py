"""Text out of content blocks, in every shape the chat tools write them.

Seen in exports: a plain string; a list of strings or blocks; `{"type": "text", "text": str}`;
`{"type": "text", "value": str}`; `{"type": "text", "content": str | list}`;
`{"type": "text", "text": {"value": str}}` (Assistants API); `input_text` / `output_text`.
Also the other small pieces the readers share: times, tool calls, the chain of a branch.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from blog.formats.base import ImportedAttachment, ImportedTurn
from blog.vocabulary import Role

TEXT_TYPES = {
    "text",
    "input_text",
    "output_text",
    "summary_text",
    "reasoning_text",
    "markdown",
    "paragraph",
    None,
}
_TEXT_KEYS = ("text", "value", "content")
_Node = TypeVar("_Node")
_BACKTICK_RUNS = re.compile(r"`{3,}")
# Where a turn shows its N-th attachment; the posts service points it at the stored file.
ATTACHMENT_REF = re.compile(r"\]\(attachment:(\d+)\)")


def as_written(text: str) -> str:
    """A message's text as its author wrote it: line endings as `\n`, blank lines at either end gone."""
    # Only whole blank lines go: the first line's indentation (a code block) and the spaces
    # ending a line (a hard break) are what was written.
    text = text.replace("\r\n", "\n")
    content = text.lstrip()
    if not content:
        return ""
    first = text.rfind("\n", 0, len(text) - len(content)) + 1
    last = text.find("\n", len(text.rstrip()))
    return text[first : last if last >= 0 else len(text)]


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


def fence(body: str, language: str = "") -> str:
    """A code block whose fence is longer than any backtick run inside it."""
    body = body.replace("\r\n", "\n").strip("\n")
    longest = max((len(run) for run in _BACKTICK_RUNS.findall(body)), default=2)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{language}\n{body}\n{marks}"


def tool_call_text(name: str, arguments: object) -> str:
    """A tool call as readable Markdown: its name, then its arguments as JSON."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return f"`{name}`\n\n{fence(arguments)}"
    body = json.dumps(arguments, ensure_ascii=False, indent=2)
    return f"`{name}`\n\n{fence(body, 'json')}"


def tool_result_text(output: object) -> str:
    """A tool's result as text: its own text when it has some, else its JSON.

    An image in the result (a screenshot, a file read) is named, not written out as base64."""
    if isinstance(output, list):
        output = [_IMAGE_PLACEHOLDER if _is_image(block) else block for block in output]
    text = block_text(output)
    if text or output is None:
        return text
    if isinstance(output, dict) and isinstance(output.get("output"), str):
        return output["output"]
    return fence(json.dumps(output, ensure_ascii=False, indent=2), "json")


# Content parts that are the model's own work rather than its reply, in the shapes
# writers use: `{"type": "reasoning", "value": "..."}`, `{"type": "tool_call", "value":
# {"name", "arguments"}}`, Anthropic's `thinking` / `tool_use` / `tool_result`.
_REASONING_PARTS = {"reasoning", "thinking"}
_CALL_PARTS = {"tool_call", "tool_use", "tool-call", "function_call"}
_RESULT_PARTS = {"tool_result", "tool-result", "function_call_output"}


def folded_part(part: dict) -> tuple[str, str] | None:
    """A reasoning, tool-call or tool-result part as (Role.REASONING | "call" | "result",
    its text), to be kept as a hidden turn; None for any other part."""
    kind = part.get("type")
    if kind in _REASONING_PARTS:
        for key in ("value", "text", "content", "summary", "thinking"):
            text = block_text(part.get(key)) if key in part else ""
            if text.strip():
                return Role.REASONING, as_written(text)
        return None
    if kind in _CALL_PARTS:
        call = part.get("value") if isinstance(part.get("value"), dict) else part
        names = ("name", "toolName", "tool_name")
        name = next((call[k] for k in names if isinstance(call.get(k), str)), "tool")
        arguments = next((call[k] for k in ("arguments", "input", "args") if k in call), {})
        return "call", tool_call_text(name, arguments)
    if kind in _RESULT_PARTS:
        value = next((part[k] for k in ("value", "content", "output") if k in part), None)
        return "result", tool_result_text(value)
    return None


_IMAGE_TYPES = {"image", "image_url", "input_image"}
_IMAGE_PLACEHOLDER = {"type": "text", "text": "[image]"}


def _is_image(block: object) -> bool:
    return isinstance(block, dict) and block.get("type") in _IMAGE_TYPES


def timestamp(value: object) -> datetime | None:
    """An ISO 8601 string, or Unix seconds (or milliseconds), as an aware datetime."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC) if seconds < 32_503_680_000 else None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def safe_url(url: object) -> str:
    """The URL if it is http(s), made safe to sit inside Markdown parentheses."""
    if not isinstance(url, str) or not re.match(r"https?://[^/\s]", url):
        return ""
    return url.strip().replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def link_label(text: str) -> str:
    """Text safe inside Markdown square brackets, on one line."""
    # Brackets become parentheses rather than escapes, which math delimiters would misread.
    flat = " ".join(text.split()).replace("\\", "/")
    return flat.replace("[", "(").replace("]", ")")


def sources_block(sources: list[tuple[str, str]]) -> str:
    """The pages a reply cited, (title, safe URL) each, as the list that ends the reply."""
    return "**Sources**\n\n" + "\n".join(f"- [{link_label(t)}]({u})" for t, u in sources)


def left_out_warnings(unshown: dict[str, int]) -> list[str]:
    """The warning for each kind of content block a reader had no rule for, by count."""
    return [
        f"{count} content block{'s' if count > 1 else ''} of a kind this importer does not "
        f'show ("{kind}") left out'
        for kind, count in sorted(unshown.items())
    ]


def append_turn(
    turns: list[ImportedTurn],
    role: str,
    text: str,
    speaker: str,
    created: datetime | None,
    *,
    hidden: bool = False,
    model: str | None = None,
    attachments: list[ImportedAttachment] | None = None,
) -> None:
    """Add a turn to `turns`, unless it has neither text nor files."""
    if text.strip() or attachments:
        turns.append(
            ImportedTurn(
                role,
                as_written(text),
                speaker=speaker,
                model=model,
                created_at=created,
                attachments=attachments or [],
                hidden=hidden,
            )
        )


def missing_files_turn(turn: ImportedTurn) -> ImportedTurn | None:
    """A folded turn naming the files a turn carried that the export does not include,
    so their names are not lost when only the files that exist are saved. A file the
    text points at (`](attachment:N)`) is shown there as "not included" already."""
    if not turn.attachments:
        return None
    shown = {int(number) for number in ATTACHMENT_REF.findall(turn.text)}
    missing = [
        attachment
        for index, attachment in enumerate(turn.attachments)
        if attachment.data is None and index not in shown
    ]
    if not missing:
        return None
    listed = "\n".join(f"- {a.name} ({a.mime_type}), not included in the export" for a in missing)
    return ImportedTurn(
        Role.ATTACHMENT,
        listed,
        speaker="Uploaded files" if turn.role == Role.USER else "Files",
        created_at=turn.created_at,
        hidden=True,
    )


def with_missing_files_listed(turns: list[ImportedTurn]) -> list[ImportedTurn]:
    """The turns, each that carries files the export does not hold followed by the turn
    naming them, unless its reader already put one there."""
    listed: list[ImportedTurn] = []
    for index, turn in enumerate(turns):
        listed.append(turn)
        missing = missing_files_turn(turn)
        after = turns[index + 1] if index + 1 < len(turns) else None
        if missing is None or turn.role == Role.ATTACHMENT:
            continue
        said_after = after is not None and after.role == Role.ATTACHMENT
        if not (said_after and _names(missing) <= _names(after)):
            listed.append(missing)
    return listed


def _names(listing: ImportedTurn) -> set[str]:
    return {line.split(" (", 1)[0] for line in listing.text.splitlines()}


def chain_to(
    leaf: _Node | None, key: Callable[[_Node], object], parent: Callable[[_Node], _Node | None]
) -> list[_Node]:
    """`leaf` and its ancestors, root first; a loop in the parent links ends the chain."""
    chain: list[_Node] = []
    seen: set[object] = set()
    current = leaf
    while current is not None and key(current) not in seen:
        seen.add(key(current))
        chain.append(current)
        current = parent(current)
    chain.reverse()
    return chain
