"""LibreChat JSON export: `{conversationId, title, endpoint, messages: [...]}`.

Messages form a tree by `parentMessageId` (an export made with "recursive" puts it in
`messagesTree` instead, replies in `children`); the conversation is the chain that ends
at the last message. A message's `content` parts, when present, say more than its `text`:
`text` (or `text_delta`), `think` (hidden reasoning), `tool_call` (a hidden tool call and
its output), `summary` (a hidden summary of earlier messages),
`image_file` / `image_url` (images, kept as attachments) and `error`; a part of any other
kind is named in a warning. A message flagged `error` is LibreChat's error notice, not a
reply: it is kept hidden; one flagged `unfinished` was cut off, which a warning says.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import block_file, guess_type
from blog.formats.blocks import (
    as_written,
    block_text,
    chain_to,
    left_out_warnings,
    missing_files_turn,
    timestamp,
    tool_call_text,
    tool_result_text,
)
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "librechat"


def parse_librechat(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """Each LibreChat conversation, as the branch that ends at its last message."""
    for index, item in enumerate(items):
        where = f"LibreChat conversation {index + 1}"
        tree = item.get("messages", item.get("messagesTree")) if isinstance(item, dict) else None
        if not isinstance(tree, list):
            raise ImportFormatError("expected an object with a 'messages' list", where)
        messages = list(_flattened(tree))
        turns: list[ImportedTurn] = []
        warnings: list[str] = []
        unshown: Counter[str] = Counter()
        siblings: dict[object, list[dict]] = defaultdict(list)
        for message in messages:
            siblings[(message.get("parentMessageId"), bool(message.get("isCreatedByUser")))].append(
                message
            )
        for message in _branch(messages):
            if message.get("unfinished") and not message.get("isCreatedByUser"):
                warnings.append(
                    f"reply {sum(not t.hidden and t.role == Role.ASSISTANT for t in turns) + 1} "
                    "was cut off before it finished"
                )
            own = _turns(message, unshown)
            said = [t for t in own if not t.hidden]
            key = (message.get("parentMessageId"), bool(message.get("isCreatedByUser")))
            others = [m for m in siblings[key] if m is not message]
            versions = [t.text for m in others for t in _turns(m) if not t.hidden]
            if versions and said:
                said[-1].alternatives = versions
            turns.extend(own)
            listed = missing_files_turn(said[-1]) if said else None
            if listed is not None:
                turns.append(listed)
        options = item.get("options") if isinstance(item.get("options"), dict) else {}
        # An export names its conversation's model only in some versions; its replies do.
        model = (
            item.get("model")
            or options.get("model")
            or next((t.model for t in turns if t.model), None)
        )
        yield ImportedConversation(
            title=str(item.get("title") or "").strip() or title_from_turns(turns),
            turns=turns,
            source_kind=SOURCE_KIND,
            source_id=str(item["conversationId"]) if item.get("conversationId") else None,
            created_at=timestamp(item.get("createdAt")) or (turns[0].created_at if turns else None),
            updated_at=timestamp(item.get("updatedAt")),
            model=model if isinstance(model, str) and model else None,
            warnings=warnings + left_out_warnings(unshown),
        )


def _flattened(messages: list) -> Iterator[dict]:
    """Every message, with the replies a nested export keeps in `children` after it."""
    stack = list(reversed(messages))
    while stack:
        message = stack.pop()
        if isinstance(message, dict):
            yield message
            children = message.get("children")
            if isinstance(children, list):
                stack.extend(reversed(children))


def _branch(messages: list[dict]) -> list[dict]:
    """The chain of parents from the last message up to the root, oldest first."""
    by_id = {m.get("messageId"): m for m in messages if m.get("messageId")}
    if not messages:
        return []
    last = max(
        enumerate(messages), key=lambda pair: (str(pair[1].get("createdAt") or ""), pair[0])
    )[1]
    return chain_to(
        last, lambda m: m.get("messageId"), lambda m: by_id.get(m.get("parentMessageId"))
    )


def _turns(message: dict, unshown: Counter[str] | None = None) -> list[ImportedTurn]:
    """A message's turns: hidden thinking and tool calls, then what was said, then errors;
    `unshown` counts the parts of a kind this reader has no rule for."""
    user = bool(message.get("isCreatedByUser"))
    created = timestamp(message.get("createdAt"))
    model = message.get("model") if isinstance(message.get("model"), str) else None
    sender = str(message.get("sender") or "")
    speaker = "" if user else (sender or model or "Assistant")
    content = message.get("content")
    files: list[ImportedAttachment] = []
    if isinstance(content, list) and content:
        turns, errors, texts = _content_parts(
            content, speaker, created, files, Counter() if unshown is None else unshown
        )
    else:
        turns, errors, texts = [], [], [block_text(message.get("text"))]
    if message.get("error") and not user:
        # LibreChat's notice that the request failed, shown in place of a reply.
        errors.append(_hidden(Role.SYSTEM, _joined(texts), "Error", created))
        texts = []
    # A tool's image is both a content part and one of the message's attachments: once.
    attachments = list({a.name: a for a in [*_attachments(message), *files]}.values())
    text = _joined(texts)
    if user and not text and attachments:
        text = f"[Uploaded: {', '.join(a.name for a in attachments)}]"
    if text or attachments:
        turns.append(
            ImportedTurn(
                Role.USER if user else Role.ASSISTANT,
                text,
                speaker=speaker,
                model=None if user else model,
                created_at=created,
                attachments=attachments,
            )
        )
    return [turn for turn in [*turns, *errors] if turn.text.strip() or turn.attachments]


def _content_parts(
    content: list, speaker: str, created, files: list[ImportedAttachment], unshown: Counter[str]
) -> tuple[list[ImportedTurn], list[ImportedTurn], list[str]]:
    """A message's `content` parts: its hidden turns, its error notices and its reply text;
    the images it holds go into `files`."""
    hidden: list[ImportedTurn] = []
    errors: list[ImportedTurn] = []
    texts: list[str] = []
    streamed = False  # the part before was a streamed piece of the reply's text
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text_delta":  # the reply as it was streamed: its pieces join as sent
            piece = block_text(part.get("text") or part.get("text_delta"))
            if streamed and texts:
                texts[-1] += piece
            else:
                texts.append(piece)
        elif kind == "think":
            thought = block_text(part.get("think"))
            hidden.append(_hidden(Role.REASONING, thought, f"{speaker} (thinking)", created))
        elif kind == "tool_call":
            hidden.extend(_tool_call_turns(part, created))
        elif kind == "text":
            texts.append(block_text(part))
        elif kind == "summary":
            # What LibreChat wrote in place of earlier messages to keep the context short.
            summary = block_text(part.get("content"))
            hidden.append(_hidden(Role.SYSTEM, summary, "Summary of earlier messages", created))
        elif kind == "error":
            errors.append(_hidden(Role.SYSTEM, block_text(part.get("error")), "Error", created))
        elif kind == "image_file" and isinstance(part.get("image_file"), dict):
            # A file on the LibreChat server: named, its bytes are not in the export.
            spec = part["image_file"]
            name = str(spec.get("filename") or spec.get("file_id") or "image")
            files.append(ImportedAttachment(name, guess_type(name)))
        elif kind == "image_url" and (found := block_file(part, len(files) + 1)):
            files.append(found)
        else:
            unshown[str(kind)] += 1
        streamed = kind == "text_delta"
    return hidden, errors, texts


def _tool_call_turns(part: dict, created) -> list[ImportedTurn]:
    """A tool call and its output, each a hidden turn of its own.

    Agents write `{name, args, output}`; the Assistants endpoint nests the call under its
    type: `{"type": "code_interpreter", "code_interpreter": {"input", "outputs"}}`,
    `{"type": "function", "function": {"name", "arguments", "output"}}`."""
    call = part.get("tool_call") if isinstance(part.get("tool_call"), dict) else {}
    name, arguments, output = call.get("name"), call.get("args", {}), call.get("output")
    nested = call.get(call["type"]) if isinstance(call.get("type"), str) else None
    if isinstance(nested, dict):
        name = nested.get("name") or call["type"]
        arguments = nested.get("input", nested.get("arguments", {}))
        output = nested.get("outputs", nested.get("output"))
    name = str(name or "tool")
    return [
        _hidden(Role.TOOL, tool_call_text(name, arguments), f"Tool call ({name})", created),
        _hidden(Role.TOOL, tool_result_text(output), "Tool result", created),
    ]


def _attachments(message: dict) -> list[ImportedAttachment]:
    """The files a message names, as attachments by name and type: `files` the user
    uploaded, `attachments` a tool made (a chart, a generated file)."""
    listed = [*(message.get("files") or []), *(message.get("attachments") or [])]
    files = [f for f in listed if isinstance(f, dict)]
    return [
        ImportedAttachment(
            str(f.get("filename") or f.get("file_id") or "file"),
            str(f.get("type") or "application/octet-stream"),
        )
        for f in files
    ]


def _joined(texts: list[str]) -> str:
    """The non-blank texts, one paragraph each."""
    return "\n\n".join(as_written(t) for t in texts if t.strip())


def _hidden(role: str, text: str, speaker: str, created) -> ImportedTurn:
    return ImportedTurn(role, as_written(text), speaker=speaker, created_at=created, hidden=True)
