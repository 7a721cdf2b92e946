"""ShareGPT JSON: items of `{"id", "conversations": [{"from", "value"}, ...]}`.

Multimodal datasets name their images beside the messages: `"image": path` (LLaVA) or
`"images": [paths]` (LLaMA-Factory), each standing for the next `<image>` token in the
text. The files are not in the JSON: they are kept as named attachments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from blog.formats.base import (
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import files_of, place_image_paths
from blog.formats.blocks import as_written, block_text, folded_part, left_out_warnings
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

# a message's "from" -> (our role, speaker when the item names no model, hidden by default)
_SENDERS = {
    "human": (Role.USER, "", False),
    "user": (Role.USER, "", False),
    "gpt": (Role.ASSISTANT, "Assistant", False),
    "assistant": (Role.ASSISTANT, "Assistant", False),
    "chatgpt": (Role.ASSISTANT, "ChatGPT", False),
    "bard": (Role.ASSISTANT, "Bard", False),
    "bing": (Role.ASSISTANT, "Bing", False),
    "system": (Role.SYSTEM, "", True),
    "function_call": (Role.TOOL, "Function call", True),
    "observation": (Role.TOOL, "Observation", True),
    "tool": (Role.TOOL, "Tool", True),
}


def parse_sharegpt(
    items: Iterable[dict], skipped: list[str] | None = None
) -> Iterator[ImportedConversation]:
    """Each ShareGPT item with at least one non-empty message, as a conversation.

    An item with no prompt or reply to show is named in `skipped`, so the report says so.
    """
    for index, item in enumerate(items):
        where = f"ShareGPT item {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("conversations"), list):
            raise ImportFormatError("expected an object with a 'conversations' list", where)
        model = item.get("model") if isinstance(item.get("model"), str) else None
        turns = []
        unshown: Counter[str] = Counter()
        if isinstance(item.get("system"), str) and item["system"].strip():
            turns.append(ImportedTurn(Role.SYSTEM, as_written(item["system"]), hidden=True))
        for number, message in enumerate(item["conversations"], 1):
            turns.extend(_turns(message, model, unshown, f"{where}, message {number}"))
        place_image_paths(turns, _image_paths(item))
        if not any(turn.role in (Role.USER, Role.ASSISTANT) for turn in turns):
            if skipped is not None:
                skipped.append(f"{where}: no prompt or reply with text; not imported")
            continue
        source_id = item.get("id") or item.get("conversation_id")
        yield ImportedConversation(
            title=title_from_turns(turns),
            turns=turns,
            source_kind="sharegpt",
            source_id=str(source_id) if source_id is not None else None,
            model=model,
            warnings=left_out_warnings(unshown),
        )


def _image_paths(item: dict) -> list[str]:
    listed = item.get("images") if isinstance(item.get("images"), list) else [item.get("image")]
    return [path for path in listed if isinstance(path, str) and path.strip()]


def _turns(
    message: object, model: str | None, unshown: Counter[str], where: str
) -> list[ImportedTurn]:
    """The message's turn, with hidden turns for any reasoning (before) or tool blocks
    (after) in it."""
    if not isinstance(message, dict) or not isinstance(message.get("from"), str):
        raise ImportFormatError("expected an object with 'from' and 'value'", where)
    value = message.get("value")
    if value is None:
        value = ""
    files = []
    folded: list[tuple[str, str]] = []
    if isinstance(value, list | dict):
        # Some writers store content blocks instead of text: images among them are kept,
        # and the model's reasoning and tool calls become hidden turns of their own.
        blocks = value if isinstance(value, list) else [value]
        rest = []
        for block in blocks:
            piece = folded_part(block) if isinstance(block, dict) else None
            if piece is None:
                rest.append(block)
            else:
                folded.append(piece)
        files = files_of(rest, unshown)
        value = block_text(rest)
    if not isinstance(value, str):
        raise ImportFormatError(f"'value' must be text, not {type(value).__name__}", where)
    sender = message["from"]
    # An unknown sender is kept as a note under its own name for the author to sort out.
    role, speaker, hidden = _SENDERS.get(sender.lower(), (Role.NOTE, sender, False))
    if role == Role.ASSISTANT and model:
        speaker = model
    turns = [
        ImportedTurn(Role.REASONING, text, speaker="Reasoning", hidden=True)
        for kind, text in folded
        if kind == Role.REASONING
    ]
    if value.strip() or files:
        turns.append(
            ImportedTurn(
                role=role,
                text=as_written(value),
                speaker=speaker,
                model=model if role == Role.ASSISTANT else None,
                hidden=hidden,
                attachments=files,
            )
        )
    # Tool calls and results follow the text that introduced them.
    turns += [
        ImportedTurn(
            Role.TOOL, text, speaker="Tool call" if kind == "call" else "Tool result", hidden=True
        )
        for kind, text in folded
        if kind != Role.REASONING
    ]
    return turns
