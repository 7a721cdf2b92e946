"""Open WebUI chat export: a list of `{id, title, chat: {…}, created_at, updated_at}`.

`chat.history.messages` is a tree (`parentId`, `childrenIds`) and `chat.history.currentId`
the message the user last saw: its chain up to the root is the conversation, and the
other children of each parent are kept as alternatives. Reasoning and tool calls are
written into a reply's `content` as `<details type="reasoning">` /
`<details type="tool_calls">` blocks; they become hidden turns of their own kind. The web
pages a reply cited (`sources`) end it as a list of links; a failed reply's `error` is kept
as a hidden turn; a message of a role not read here is named in a warning.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.blocks import (
    as_written,
    block_text,
    fence,
    missing_files_turn,
    safe_url,
    sources_block,
    timestamp,
    tool_call_text,
)
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "open-webui"
# The tag's start only: its end is found with str.find, since `[^>]*>` retried from every
# unclosed `<details type="reasoning"` rescans the rest of the reply (55 s for 975 kB).
_DETAILS_OPEN = re.compile(r'<details\s+type="(reasoning|tool_calls|code_interpreter)"')
_DETAILS_CLOSE = "</details>"
# Not preceded by a word character: a name is tried from the start of a run of letters only,
# not again from each letter of it (quadratic in a long run without `="`).
_ATTRIBUTE = re.compile(r'(?<!\w)(\w+)="([^"]*)"')
_SUMMARY = re.compile(r"<summary>[^<]*</summary>\s*")
_ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT, "system": Role.SYSTEM}


def parse_open_webui(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """Each chat of an Open WebUI export, as the branch the user last viewed."""
    for index, item in enumerate(items):
        where = f"Open WebUI chat {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("chat"), dict):
            raise ImportFormatError("expected an object with a 'chat'", where)
        yield _conversation(item, item["chat"], where)


def _conversation(item: dict, chat: dict, where: str) -> ImportedConversation:
    messages, siblings = _visible_messages(chat, where)
    turns: list[ImportedTurn] = []
    unknown: dict[str, int] = {}
    for message in messages:
        if message.get("role") not in _ROLES:
            role = str(message.get("role"))
            unknown[role] = unknown.get(role, 0) + 1
        own = _turns(message, siblings.get(str(message.get("id")), []))
        turns.extend(own)
        with_files = next((turn for turn in reversed(own) if turn.attachments), None)
        listed = missing_files_turn(with_files) if with_files else None
        if listed is not None:
            turns.append(listed)
    models = chat.get("models") if isinstance(chat.get("models"), list) else []
    title = item.get("title") or chat.get("title") or ""
    return ImportedConversation(
        title=str(title).strip() or title_from_turns(turns),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(item.get("id") or chat.get("id") or "") or None,
        created_at=timestamp(item.get("created_at") or chat.get("timestamp")),
        updated_at=timestamp(item.get("updated_at")),
        model=next((m for m in models if isinstance(m, str)), None),
        warnings=[
            f"{count} message{'s' if count > 1 else ''} with the role {role!r}, which this "
            "importer does not show, left out"
            for role, count in sorted(unknown.items())
        ],
    )


def _visible_messages(chat: dict, where: str) -> tuple[list[dict], dict[str, list[dict]]]:
    """The chain from the root to `history.currentId`, and each message's other versions."""
    history = chat.get("history") if isinstance(chat.get("history"), dict) else {}
    tree = history.get("messages") if isinstance(history.get("messages"), dict) else {}
    current = history.get("currentId")
    flat = chat.get("messages") if isinstance(chat.get("messages"), list) else []
    flat = [m for m in flat if isinstance(m, dict)]
    if current not in tree and (flat or not tree):
        return flat, {}
    if current not in tree:
        # No current message and no flat copy: the branch written last.
        current = _newest_leaf(tree)
    chain: list[dict] = []
    seen: set[str] = set()
    while isinstance(current, str) and current in tree and current not in seen:
        seen.add(current)
        message = tree[current]
        if not isinstance(message, dict):
            raise ImportFormatError(f"message {current!r} is not an object", where)
        chain.append(message)
        current = message.get("parentId")
    chain.reverse()
    siblings: dict[str, list[dict]] = {}
    for message in chain:
        parent = tree.get(message.get("parentId")) if message.get("parentId") else None
        if isinstance(parent, dict):
            others = [
                tree.get(c) for c in parent.get("childrenIds") or [] if c != message.get("id")
            ]
            siblings[str(message.get("id"))] = [o for o in others if isinstance(o, dict)]
    return chain, siblings


def _newest_leaf(tree: dict) -> object:
    """The message without replies that was written last (file order breaks ties)."""
    messages = [(key, m) for key, m in tree.items() if isinstance(m, dict)]
    leaves = [(key, m) for key, m in messages if not m.get("childrenIds")] or messages
    if not leaves:
        return next(iter(tree))  # not an object: the walk says so
    # File order decides between equal or missing timestamps.
    newest = max(range(len(leaves)), key=lambda i: (_number(leaves[i][1].get("timestamp")), i))
    return leaves[newest][0]


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _turns(message: dict, others: list[dict]) -> list[ImportedTurn]:
    role = _ROLES.get(message.get("role"))
    if role is None:
        return []
    created = timestamp(message.get("timestamp"))
    model = message.get("modelName") or message.get("model")
    model = model if isinstance(model, str) and model else None
    hidden, text = _split_details(block_text(message.get("content")))
    turns = [
        ImportedTurn(kind, body, speaker=label, model=model, created_at=created, hidden=True)
        for kind, label, body in hidden
    ]
    files = [f for f in message.get("files") or [] if isinstance(f, dict)]
    attachments = [ImportedAttachment(str(f.get("name") or f.get("id") or "file")) for f in files]
    cited = _sources(message) if role == Role.ASSISTANT else []
    if cited and text.strip():
        text = f"{as_written(text)}\n\n{sources_block(cited)}"
    if not text.strip() and attachments and role == Role.USER:
        text = f"[Uploaded: {', '.join(a.name for a in attachments)}]"
    if text.strip() or attachments:
        turns.append(
            ImportedTurn(
                role,
                as_written(text),
                speaker=model or "" if role == Role.ASSISTANT else "",
                model=model if role == Role.ASSISTANT else None,
                created_at=created,
                attachments=attachments,
                hidden=role == Role.SYSTEM,
                alternatives=[
                    alt
                    for other in others
                    if other.get("role") == message.get("role")
                    and (alt := as_written(_split_details(block_text(other.get("content")))[1]))
                ],
            )
        )
    error = message.get("error")
    if role == Role.ASSISTANT and error:
        # Open WebUI's notice that the request failed, shown under the (often empty) reply.
        notice = block_text(error.get("content")) if isinstance(error, dict) else ""
        notice = notice or (error if isinstance(error, str) else "The request failed.")
        turns.append(
            ImportedTurn(
                Role.SYSTEM, notice.strip(), speaker="Error", created_at=created, hidden=True
            )
        )
    return turns


def _sources(message: dict) -> list[tuple[str, str]]:
    """The web pages a reply cited (`sources`, older `citations`): shown as chips under it in
    Open WebUI, here as the list that ends it. Uploaded documents have no address to link."""
    found: list[tuple[str, str]] = []
    entries = message.get("sources") or message.get("citations")
    for entry in entries if isinstance(entries, list) else []:
        source = entry.get("source") if isinstance(entry, dict) else None
        source = source if isinstance(source, dict) else {}
        metadata = entry.get("metadata") if isinstance(entry, dict) else None
        places = [m for m in metadata if isinstance(m, dict)] if isinstance(metadata, list) else []
        for place in places or [source]:
            url = safe_url(place.get("source") or place.get("url") or source.get("url"))
            title = place.get("title") or place.get("name") or source.get("name")
            if url and all(known != url for _, known in found):
                found.append((title if isinstance(title, str) and title.strip() else url, url))
    return found


def _split_details(content: str) -> tuple[list[tuple[str, str, str]], str]:
    """The reasoning and tool blocks written into a reply, and the reply without them."""
    hidden: list[tuple[str, str, str]] = []

    visible: list[str] = []
    position = 0
    # One pass with plain searches: linear however many blocks a reply holds.
    while (opening := _DETAILS_OPEN.search(content, position)) is not None:
        tag_end = content.find(">", opening.end())
        end = content.find(_DETAILS_CLOSE, tag_end + 1) if tag_end >= 0 else -1
        if end < 0:
            break  # no later block is closed either
        visible.append(content[position : opening.start()])
        hidden.extend(
            _detail(opening[1], content[opening.end() : tag_end], content[tag_end + 1 : end])
        )
        position = end + len(_DETAILS_CLOSE)
        # Line breaks after the block go, not the spaces that indent the next line (code).
        while position < len(content) and content[position] in "\r\n":
            position += 1
    visible.append(content[position:])
    return [piece for piece in hidden if piece[2]], "".join(visible)


def _detail(kind: str, attribute_text: str, body: str) -> list[tuple[str, str, str]]:
    """The hidden turns one `<details>` block of a reply stands for."""
    attributes = {k: html.unescape(v) for k, v in _ATTRIBUTE.findall(attribute_text)}
    body = as_written(_SUMMARY.sub("", body))
    if kind == "reasoning":
        body = "\n".join(line.removeprefix(">").removeprefix(" ") for line in body.split("\n"))
        return [(Role.REASONING, "Reasoning", as_written(body))]
    if kind == "code_interpreter":
        return [(Role.CODE, "Code", body or fence(attributes.get("content", "")))]
    name = attributes.get("name", "tool")
    pieces = [
        (Role.TOOL, f"Tool call ({name})", tool_call_text(name, attributes.get("arguments", "{}")))
    ]
    if attributes.get("result"):
        pieces.append((Role.TOOL, "Tool result", _json_text(attributes["result"])))
    return pieces


def _json_text(value: str) -> str:
    """A result Open WebUI stored as a JSON string, as its text."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else value
