"""OpenAI chat "messages" JSON: `{"messages": [{role, content}, ...]}` items or bare message lists."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import FILE_BLOCKS, block_file, place_image_paths
from blog.formats.blocks import (
    as_written,
    block_text,
    folded_part,
    is_text_block,
    left_out_warnings,
)
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

ONE_SIDED = "only one side of a conversation (no prompt, or no reply); not imported"
# a message's "role" as OpenAI spells it -> (our role, hidden by default)
_SOURCE_ROLES = {
    "user": (Role.USER, False),
    "assistant": (Role.ASSISTANT, False),
    "system": (Role.SYSTEM, True),
    "developer": (Role.SYSTEM, True),
    "tool": (Role.TOOL, True),
    "function": (Role.TOOL, True),
}


def parse_openai_messages(
    items: Iterable[dict | list], skipped: list[str] | None = None
) -> Iterator[ImportedConversation]:
    """Each item with both a user and an assistant message, as a conversation.

    Items with only one side (fine-tuning files hold such records on purpose) are not
    conversations; each is named in `skipped`, so the import report says what it left.
    """
    for index, item in enumerate(items):
        where = f"messages item {index + 1}"
        if isinstance(item, list):
            item = {"messages": item}
        if not isinstance(item, dict) or not isinstance(item.get("messages"), list):
            raise ImportFormatError("expected a 'messages' list or a list of messages", where)
        model = item.get("model") if isinstance(item.get("model"), str) else None
        images = [str(path) for path in item.get("images") or [] if isinstance(path, str)]
        turns: list[ImportedTurn] = []
        unshown: Counter[str] = Counter()
        for number, message in enumerate(item["messages"], 1):
            turns.extend(_turns(message, model, unshown, f"{where}, message {number}"))
        place_image_paths(turns, images)
        roles = {turn.role for turn in turns}
        # A reply may be only the model's reasoning and a tool call (an agent's step): the
        # record is still both sides of a conversation.
        if Role.USER not in roles or not roles & {Role.ASSISTANT, Role.REASONING, Role.TOOL}:
            if skipped is not None:
                skipped.append(f"{where}: {ONE_SIDED}")
            continue
        source_id = item.get("id")
        yield ImportedConversation(
            title=title_from_turns(turns),
            turns=turns,
            source_kind="openai",
            source_id=str(source_id) if source_id is not None else None,
            model=model,
            warnings=left_out_warnings(unshown),
        )


def _turns(
    message: object, model: str | None, unshown: Counter[str], where: str
) -> list[ImportedTurn]:
    if (
        not isinstance(message, dict)
        or not isinstance(message.get("role"), str)
        or message["role"] not in _SOURCE_ROLES
    ):
        role = message.get("role") if isinstance(message, dict) else message
        raise ImportFormatError(
            f"unknown role {role!r}; expected one of {', '.join(_SOURCE_ROLES)}", where
        )
    role, hidden = _SOURCE_ROLES[message["role"]]
    folded: list[tuple[str, str]] = []
    text, attachments = _content(message.get("content"), unshown, where, folded)
    if not text and isinstance(message.get("refusal"), str):
        text = message["refusal"]
    audio = message.get("audio") if isinstance(message.get("audio"), dict) else {}
    if not text and isinstance(audio.get("transcript"), str):
        text = audio["transcript"]  # a spoken reply (audio output): its words
    name = message.get("name") if isinstance(message.get("name"), str) else ""
    speaker = {
        Role.ASSISTANT: model or name or "Assistant",
        Role.TOOL: name or message["role"],
    }.get(role, "")
    turns = []
    thoughts = [_reasoning(message)] + [body for kind, body in folded if kind == Role.REASONING]
    thought = "\n\n".join(t for t in thoughts if t)
    if thought and role != Role.ASSISTANT:
        unshown["reasoning"] += 1  # only a reply's reasoning is the model's
    elif thought:
        turns.append(
            ImportedTurn(Role.REASONING, thought, speaker=f"{speaker} (reasoning)", hidden=True)
        )
    if text.strip() or attachments:
        turns.append(
            ImportedTurn(
                role=role,
                text=as_written(text),
                speaker=speaker,
                model=model if role == Role.ASSISTANT else None,
                attachments=attachments,
                hidden=hidden,
            )
        )
    calls = "\n\n".join(
        [_tool_calls(message)] + [body for kind, body in folded if kind == "call"]
    ).strip()
    if calls:
        turns.append(ImportedTurn(Role.TOOL, calls, speaker="Tool call", hidden=True))
    results = "\n\n".join(body for kind, body in folded if kind == "result")
    if results:
        turns.append(ImportedTurn(Role.TOOL, results, speaker="Tool result", hidden=True))
    return turns


def _reasoning(message: dict) -> str:
    """What a reasoning model wrote before its reply: `reasoning_content` (DeepSeek, vLLM)
    or `reasoning` (OpenRouter)."""
    for key in ("reasoning_content", "reasoning"):
        if isinstance(message.get(key), str) and message[key].strip():
            return as_written(message[key])
    return ""


def _content(
    content: object,
    unshown: Counter[str],
    where: str,
    folded: list[tuple[str, str]] | None = None,
) -> tuple[str, list[ImportedAttachment]]:
    """The text and files of a message's content; reasoning and tool parts go to `folded`
    (see `blocks.folded_part`), to be kept as hidden turns."""
    folded = folded if folded is not None else []
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        raise ImportFormatError("'content' must be text or a list of parts", where)
    texts: list[str] = []
    attachments: list[ImportedAttachment] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
            continue
        if not isinstance(part, dict):
            raise ImportFormatError("a content part must be an object", where)
        kind = part.get("type")
        if is_text_block(part):
            texts.append(block_text(part))
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            texts.append(part["refusal"])
        elif kind in FILE_BLOCKS:
            found = block_file(part, len(attachments) + 1)
            if found is None and kind == "image_url":
                raise ImportFormatError("an image_url part has no url", where)
            if found is None:
                unshown[str(kind)] += 1
            else:
                attachments.append(found)
        elif (piece := folded_part(part)) is not None:
            folded.append(piece)
        elif kind == "input_audio":
            audio = part.get("input_audio") or {}
            extension = audio.get("format", "wav") if isinstance(audio, dict) else "wav"
            attachments.append(ImportedAttachment(f"audio.{extension}", f"audio/{extension}"))
        else:
            unshown[str(kind)] += 1
    return "\n\n".join(texts), attachments


def _custom_call(custom: object) -> dict | None:
    if not isinstance(custom, dict):
        return None
    return {"name": custom.get("name", "tool"), "arguments": custom.get("input", "")}


def _tool_calls(message: dict) -> str:
    """Tool and legacy function calls of an assistant message, as readable text."""
    # A custom tool (`{"type": "custom", "custom": {"name", "input"}}`) takes free text.
    calls = [
        call.get("function") or _custom_call(call.get("custom"))
        for call in message.get("tool_calls") or []
        if isinstance(call, dict)
    ]
    if isinstance(message.get("function_call"), dict):
        calls.append(message["function_call"])
    written = []
    for call in calls:
        if not isinstance(call, dict):
            continue
        arguments = call.get("arguments")
        if isinstance(arguments, str):
            with contextlib.suppress(ValueError):
                arguments = json.loads(arguments)
        body = (
            json.dumps(arguments, ensure_ascii=False, indent=2)
            if not isinstance(arguments, str)
            else arguments
        )
        written.append(f"`{call.get('name', 'function')}`\n\n```json\n{body}\n```")
    return "\n\n".join(written)
