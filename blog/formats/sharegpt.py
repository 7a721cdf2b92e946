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
from blog.formats.blocks import block_text, left_out_warnings
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
            turns.append(ImportedTurn(Role.SYSTEM, item["system"].strip(), hidden=True))
        for number, message in enumerate(item["conversations"], 1):
            turn = _turn(message, model, unshown, f"{where}, message {number}")
            if turn is not None:
                turns.append(turn)
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


def _turn(
    message: object, model: str | None, unshown: Counter[str], where: str
) -> ImportedTurn | None:
    if not isinstance(message, dict) or not isinstance(message.get("from"), str):
        raise ImportFormatError("expected an object with 'from' and 'value'", where)
    value = message.get("value")
    if value is None:
        value = ""
    files = []
    if isinstance(value, list | dict):
        # Some writers store content blocks instead of text: images among them are kept.
        files = files_of(value if isinstance(value, list) else [value], unshown)
        value = block_text(value)
    if not isinstance(value, str):
        raise ImportFormatError(f"'value' must be text, not {type(value).__name__}", where)
    if not value.strip() and not files:
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
        attachments=files,
    )
