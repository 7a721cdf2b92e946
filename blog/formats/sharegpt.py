"""ShareGPT JSON: items of `{"id", "conversations": [{"from", "value"}, ...]}`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from blog.formats.base import ImportedConversation, ImportedTurn, ImportFormatError
from blog.formats.blocks import block_text
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
        if isinstance(item.get("system"), str) and item["system"].strip():
            turns.append(ImportedTurn(Role.SYSTEM, item["system"].strip(), hidden=True))
        for number, message in enumerate(item["conversations"], 1):
            turn = _turn(message, model, f"{where}, message {number}")
            if turn is not None:
                turns.append(turn)
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
        )


def _turn(message: object, model: str | None, where: str) -> ImportedTurn | None:
    if not isinstance(message, dict) or not isinstance(message.get("from"), str):
        raise ImportFormatError("expected an object with 'from' and 'value'", where)
    value = message.get("value")
    if value is None:
        value = ""
    if isinstance(value, list | dict):
        value = block_text(value)  # some writers store content blocks instead of text
    if not isinstance(value, str):
        raise ImportFormatError(f"'value' must be text, not {type(value).__name__}", where)
    if not value.strip():
        return None
    sender = message["from"]
    # An unknown sender is kept as a note under its own name for the author to sort out.
    role, speaker, hidden = _SENDERS.get(sender.lower(), (Role.NOTE, sender, False))
    if role == Role.ASSISTANT and model:
        speaker = model
    return ImportedTurn(
        role=role,
        text=value.strip(),
        speaker=speaker,
        model=model if role == Role.ASSISTANT else None,
        hidden=hidden,
    )
