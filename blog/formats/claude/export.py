"""Claude.ai data export: `conversations.json`, an array of conversations with `chat_messages`.

The visible reply comes from the `content` blocks when present (never the flattened
`text`, which has the reasoning glued on); older exports only have `text`, with
`<antThinking>` and `<antArtifact>` tags inline. Reasoning and tool calls become hidden
turns; artifacts are shown as titled code blocks.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterable, Iterator

import re2

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.blocks import (
    as_written,
    block_text,
    chain_to,
    is_text_block,
    left_out_warnings,
    missing_files_turn,
    timestamp,
)
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SPEAKER = "Claude"
ROOT_PARENT = "00000000-0000-4000-8000-000000000000"
# a message's "sender" as Claude spells it -> our role
_SENDERS = {"human": Role.USER, "assistant": Role.ASSISTANT, "system": Role.SYSTEM}
# RE2: with unclosed tags, backtracking rescanned the rest of the text from each one.
_THINKING_TAG = re2.compile(r"(?s)<antThinking>(.*?)</antThinking>")
_ARTIFACT_TAG = re2.compile(r"(?s)<antArtifact\b(?P<attributes>[^>]*)>(?P<body>.*?)</antArtifact>")
_ATTRIBUTE = re2.compile(r'(\w+)="([^"]*)"')
_ARTIFACT_LANGUAGES = {
    "text/html": "html",
    "image/svg+xml": "svg",
    "application/vnd.ant.react": "jsx",
    "application/vnd.ant.mermaid": "mermaid",
    "text/markdown": "markdown",
}
_FILE_TYPES = {"pdf": "application/pdf", "txt": "text/plain", "docx": "application/msword"}
# Content blocks read here, or (token_budget: timestamps only) holding nothing to show.
_KNOWN_BLOCKS = {"thinking", "tool_use", "tool_result", "token_budget"}


def parse_claude(items: Iterable[dict]) -> Iterator[ImportedConversation]:
    """Each conversation of a Claude export, in the order of the file."""
    for index, item in enumerate(items):
        where = f"Claude conversation {index + 1}"
        if isinstance(item, dict) and isinstance(item.get("conversations"), list):
            yield from parse_claude(item["conversations"])
            continue
        yield _conversation(item, where)


def _conversation(item: object, where: str) -> ImportedConversation:
    if not isinstance(item, dict) or not isinstance(item.get("chat_messages"), list):
        raise ImportFormatError("expected an object with a 'chat_messages' list", where)
    messages = item["chat_messages"]
    for number, message in enumerate(messages, 1):
        if not isinstance(message, dict) or message.get("sender") not in _SENDERS:
            sender = message.get("sender") if isinstance(message, dict) else message
            raise ImportFormatError(
                f"message {number} has sender {sender!r}; expected 'human' or 'assistant'", where
            )
    turns: list[ImportedTurn] = []
    path = _linearise(messages)
    for message, alternatives in path:
        turns.extend(_turns(message, alternatives))
        listed = missing_files_turn(turns[-1])
        if listed is not None:
            turns.append(listed)
    name = item.get("name") if isinstance(item.get("name"), str) else ""
    return ImportedConversation(
        title=name.strip() or title_from_turns(turns),
        turns=turns,
        source_kind="claude",
        source_id=item.get("uuid") if isinstance(item.get("uuid"), str) else None,
        created_at=timestamp(item.get("created_at")),
        updated_at=timestamp(item.get("updated_at")),
        summary=item.get("summary") if isinstance(item.get("summary"), str) else "",
        warnings=_unknown_blocks(
            [message for message, _ in path] + [m for m in messages if not _has_content(m)]
        ),
    )


def _unknown_blocks(messages: list[dict]) -> list[str]:
    """A warning for each kind of content block the shown messages held and this reader
    has no rule for: they are left out, never silently."""
    found: dict[str, int] = {}
    for message in messages:
        for block in message.get("content") or []:
            if not isinstance(block, dict) or is_text_block(block):
                continue
            kind = block.get("type")
            if kind not in _KNOWN_BLOCKS:
                name = kind if isinstance(kind, str) else "no type"
                found[name] = found.get(name, 0) + 1
    return left_out_warnings(found)


def _linearise(messages: list[dict]) -> list[tuple[dict, list[dict]]]:
    """The visible path through the messages, each with the versions it replaced."""
    if any(message.get("parent_message_uuid") for message in messages):
        return [(message, []) for message in _latest_branch(messages)]
    order = sorted(
        range(len(messages)),
        key=lambda i: (messages[i].get("created_at") or "", messages[i]["sender"] != "human", i),
    )
    path: list[tuple[dict, list[dict]]] = []
    for message in (messages[i] for i in order):
        if not _has_content(message):
            continue
        if path and path[-1][0]["sender"] == message["sender"]:
            # A regenerated reply or an edited prompt: the later one replaced the earlier.
            replaced, older = path.pop()
            path.append((message, [*older, replaced]))
        else:
            path.append((message, []))
    return path


def _latest_branch(messages: list[dict]) -> list[dict]:
    by_id = {message.get("uuid"): message for message in messages}
    parents = {message.get("parent_message_uuid") for message in messages}
    leaves = [message for message in messages if message.get("uuid") not in parents]
    leaf = max(leaves or messages, key=lambda message: message.get("created_at") or "")
    branch = chain_to(
        leaf, lambda message: message.get("uuid"), lambda message: _parent(message, by_id)
    )
    return [message for message in branch if _has_content(message)]


def _parent(message: dict, by_id: dict) -> dict | None:
    parent = message.get("parent_message_uuid")
    return by_id.get(parent) if parent and parent != ROOT_PARENT else None


def _has_content(message: dict) -> bool:
    blocks = message.get("content")
    texts = [block_text(block) for block in blocks or [] if isinstance(block, dict)]
    has_text = any(text.strip() for text in texts)
    has_text = has_text or bool(str(message.get("text") or "").strip())
    return has_text or bool(message.get("attachments")) or bool(message.get("files"))


def _turns(message: dict, replaced: list[dict]) -> list[ImportedTurn]:
    """A message as its hidden reasoning/tool turns followed by the visible turn."""
    role = _SENDERS[message["sender"]]
    speaker = SPEAKER if role == Role.ASSISTANT else ""
    created_at = timestamp(message.get("created_at"))
    hidden, visible = _blocks(message)
    turns = [
        ImportedTurn(role=hidden_role, text=text, speaker=label, created_at=created_at, hidden=True)
        for hidden_role, label, text in hidden
    ]
    turns.append(
        ImportedTurn(
            role=role,
            text=visible,
            speaker=speaker,
            created_at=created_at,
            attachments=_attachments(message),
            alternatives=[_blocks(old)[1] for old in replaced],
        )
    )
    return turns


def _blocks(message: dict) -> tuple[list[tuple[str, str, str]], str]:
    """Hidden (role, speaker, text) pieces and the visible text of one message."""
    content = message.get("content")
    if not isinstance(content, list) or not content:
        return _legacy_text(str(message.get("text") or ""))
    hidden: list[tuple[str, str, str]] = []
    visible: list[str] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if is_text_block(block):
            visible.append(as_written(block_text(block)))
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            hidden.append((Role.REASONING, f"{SPEAKER} (thinking)", as_written(block["thinking"])))
        elif kind == "tool_use" and block.get("name") == "artifacts":
            visible.append(_artifact(block.get("input") or {}))
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input") or {}, ensure_ascii=False, indent=2)
            hidden.append((Role.TOOL, str(block.get("name") or "tool"), _fence(arguments, "json")))
        elif kind == "tool_result" and block.get("name") != "artifacts":
            hidden.append((Role.TOOL, str(block.get("name") or "tool"), _result_text(block)))
    return [piece for piece in hidden if piece[2]], "\n\n".join(text for text in visible if text)


def _legacy_text(text: str) -> tuple[list[tuple[str, str, str]], str]:
    """Pre-2025 `text`: reasoning in `<antThinking>` tags, artifacts in `<antArtifact>` tags."""
    hidden = [
        (Role.REASONING, f"{SPEAKER} (thinking)", as_written(match))
        for match in _THINKING_TAG.findall(text)
    ]
    visible = _THINKING_TAG.sub("", text)
    visible = _ARTIFACT_TAG.sub(
        lambda m: _artifact(dict(_ATTRIBUTE.findall(m["attributes"])) | {"content": m["body"]}),
        visible,
    )
    return hidden, as_written(visible)


def _artifact(spec: dict) -> str:
    """An artifact as a titled code block (Markdown artifacts are shown as Markdown)."""
    title = str(spec.get("title") or spec.get("id") or spec.get("identifier") or "Artifact")
    if spec.get("command") == "update":
        old, new = str(spec.get("old_str") or ""), str(spec.get("new_str") or "")
        diff = "\n".join(
            [*(f"-{line}" for line in old.splitlines()), *(f"+{line}" for line in new.splitlines())]
        )
        return f"**{title}** (updated)\n\n{_fence(diff, 'diff')}"
    body = str(spec.get("content") or "").strip("\n")
    kind = str(spec.get("type") or "")
    if kind == "text/markdown":
        return f"**{title}**\n\n{body}"
    language = str(spec.get("language") or _ARTIFACT_LANGUAGES.get(kind, ""))
    return f"**{title}**\n\n{_fence(body, language)}"


def _fence(body: str, language: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def _result_text(block: dict) -> str:
    parts = block.get("content")
    if isinstance(parts, list):
        return as_written(
            "\n\n".join(
                str(part.get("text"))
                for part in parts
                if isinstance(part, dict) and part.get("text")
            )
        )
    return as_written(str(parts or ""))


def _attachments(message: dict) -> list[ImportedAttachment]:
    found: list[ImportedAttachment] = []
    for item in message.get("attachments") or []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("file_name") or "attachment")
        file_type = str(item.get("file_type") or "")
        mime = file_type if "/" in file_type else _FILE_TYPES.get(file_type.lower(), "")
        content = item.get("extracted_content")
        data = _repair_mojibake(content).encode("utf-8") if isinstance(content, str) else None
        found.append(ImportedAttachment(name, mime or _guess_type(name, "text/plain"), data))
    for item in message.get("files") or []:
        if isinstance(item, dict) and item.get("file_name"):
            name = str(item["file_name"])
            found.append(ImportedAttachment(name, _guess_type(name, "application/octet-stream")))
    return found


def _guess_type(name: str, default: str) -> str:
    return mimetypes.guess_type(name)[0] or default


def _repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1; genuine Latin-1 text fails the round trip and stays."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
