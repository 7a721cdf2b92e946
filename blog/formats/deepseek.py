"""DeepSeek data export: `conversations.json`, a list of `{id, title, inserted_at, mapping}`.

Like ChatGPT's, a conversation is a tree of nodes (`mapping`, from a `root` node without a
message); the branch shown is the one that ends at the newest message, and the other
versions of a prompt or reply stay as its alternatives. A message is a list of fragments:
`REQUEST` (the prompt), `THINK` (reasoning, kept as a hidden turn), `SEARCH` (the pages it
searched, listed as the reply's sources) and `RESPONSE` (the reply, its `[citation:N]`
markers turned into links to the page searched as N). A fragment of any other kind is
named in a warning; uploaded files (`files`) are named, as the export does not hold them.

The same conversation as chat.deepseek.com's own page loads it, which browser exporters save
as it came (`{"data": {"biz_data": {"chat_session", "chat_messages"}}}`), is read too: its
messages (`message_id`, `parent_id`, `role`, `fragments`, Unix `inserted_at`) become the
tree, and the branch shown is the one the page showed (`current_message_id`). An older
message without fragments keeps its reply in `content` and its reasoning in
`thinking_content`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import guess_type
from blog.formats.blocks import as_written, chain_to, safe_url, sources_block, timestamp
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "deepseek"
SPEAKER = "DeepSeek"
_CITATION = re.compile(r"\[citation:(\d+)\]")
_REPLY_FRAGMENTS = {"RESPONSE", "THINK", "SEARCH"}


def parse_deepseek(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """Each DeepSeek conversation, as the branch that ends at its newest message."""
    for index, item in enumerate(items):
        yield _conversation(item, f"DeepSeek conversation {index + 1}")


def _conversation(item: object, where: str) -> ImportedConversation:
    current = None
    if isinstance(item, dict) and "mapping" not in item and "chat_messages" in item:
        item, current = _from_page(item, where)
    mapping = item.get("mapping") if isinstance(item, dict) else None
    if not isinstance(mapping, dict):
        raise ImportFormatError("expected an object with a message tree ('mapping')", where)
    title = item.get("title").strip() if isinstance(item.get("title"), str) else ""
    if title:
        where = f'{where} ("{title[:60]}")'
    nodes = {key: node for key, node in mapping.items() if isinstance(node, dict)}
    for key, node in nodes.items():
        message = node.get("message")
        fragments = message.get("fragments") if isinstance(message, dict) else None
        if message is not None and not isinstance(fragments, list):
            raise ImportFormatError(f"node {key!r} has a message without 'fragments'", where)
    unshown: Counter[str] = Counter()
    path = _shown_branch(nodes, current)
    turns: list[ImportedTurn] = []
    for key in path:
        own = _turns(nodes[key]["message"], unshown)
        said = [turn for turn in own if not turn.hidden]
        if said:
            said[-1].alternatives = _alternatives(nodes, key, said[-1].role)
        turns.extend(own)
    models = Counter(turn.model for turn in turns if turn.model)
    warnings = [
        f"{count} message fragment{'s' if count > 1 else ''} of a kind this importer "
        f'does not show ("{kind}") left out'
        for kind, count in sorted(unshown.items())
    ]
    messages = sum(isinstance(node.get("message"), dict) for node in nodes.values())
    off_branch = messages - len(path) - sum(len(turn.alternatives) for turn in turns)
    if off_branch > 0:
        warnings.append(
            f"{off_branch} message{'s' if off_branch > 1 else ''} deeper on other branches left "
            "out (the other versions of each prompt and reply are kept as alternatives)"
        )
    return ImportedConversation(
        title=title or title_from_turns(turns),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(item["id"]) if item.get("id") else None,
        created_at=timestamp(item.get("inserted_at")),
        updated_at=timestamp(item.get("updated_at")),
        model=models.most_common(1)[0][0] if models else None,
        warnings=warnings,
    )


def _from_page(item: dict, where: str) -> tuple[dict, str | None]:
    """A conversation as the page loads it, in the export's shape, and the message shown."""
    session = item.get("chat_session") if isinstance(item.get("chat_session"), dict) else {}
    messages = item["chat_messages"]
    if not isinstance(messages, list):
        raise ImportFormatError("'chat_messages' is not a list", where)
    mapping: dict[str, dict] = {}
    for number, message in enumerate(messages, 1):
        if not isinstance(message, dict) or message.get("message_id") is None:
            raise ImportFormatError(f"message {number} has no 'message_id'", where)
        parent = message.get("parent_id")
        mapping[str(message["message_id"])] = {
            "parent": None if parent is None else str(parent),
            "message": {
                "inserted_at": message.get("inserted_at"),
                "model": message.get("model"),
                "files": message.get("files"),
                "fragments": _fragments(message),
            },
        }
    current = session.get("current_message_id")
    conversation = {
        "id": session.get("id"),
        "title": session.get("title"),
        "inserted_at": session.get("inserted_at"),
        "updated_at": session.get("updated_at"),
        "mapping": mapping,
    }
    return conversation, None if current is None else str(current)


def _fragments(message: dict) -> object:
    """A message's fragments; an older one's `content` and `thinking_content` as fragments."""
    if "fragments" in message or "content" not in message:
        return message.get("fragments")
    if str(message.get("role")).upper() == "USER":
        return [{"type": "REQUEST", "content": message.get("content")}]
    thinking = message.get("thinking_content")
    return [
        *([{"type": "THINK", "content": thinking}] if thinking else []),
        {"type": "RESPONSE", "content": message.get("content")},
    ]


def _when(node: dict) -> datetime | None:
    message = node.get("message")
    return timestamp(message.get("inserted_at")) if isinstance(message, dict) else None


def _time_key(node: dict) -> float:
    created = _when(node)
    return created.timestamp() if created else float("-inf")


def _shown_branch(nodes: dict[str, dict], current: str | None = None) -> list[str]:
    """The keys from the first message to the one shown (else the newest), by `parent` links."""
    order = {key: position for position, key in enumerate(nodes)}
    with_message = [key for key, node in nodes.items() if isinstance(node.get("message"), dict)]
    if not with_message:
        return []
    leaf = (
        current
        if current in with_message
        else max(with_message, key=lambda key: (_time_key(nodes[key]), order[key]))
    )
    chain = chain_to(leaf, lambda key: key, lambda key: _parent(nodes, key))
    return [key for key in chain if isinstance(nodes[key].get("message"), dict)]


def _parent(nodes: dict[str, dict], key: str) -> str | None:
    parent = nodes[key].get("parent")
    return str(parent) if parent is not None and str(parent) in nodes else None


def _role(message: dict) -> str:
    kinds = {f.get("type") for f in message["fragments"] if isinstance(f, dict)}
    return Role.USER if "REQUEST" in kinds and not kinds & _REPLY_FRAGMENTS else Role.ASSISTANT


def _alternatives(nodes: dict[str, dict], key: str, role: str) -> list[str]:
    """What the other versions of this prompt or reply said, oldest first."""
    parent = _parent(nodes, key)
    siblings = [
        other
        for other, node in nodes.items()
        if other != key
        and _parent(nodes, other) == parent
        and isinstance(node.get("message"), dict)
        and _role(node["message"]) == role
    ]
    siblings.sort(key=lambda other: _time_key(nodes[other]))
    versions = []
    for other in siblings:
        said = [t.text for t in _turns(nodes[other]["message"], Counter()) if not t.hidden]
        versions.extend(said[-1:])
    return versions


def _turns(message: dict, unshown: Counter[str]) -> list[ImportedTurn]:
    """A message's hidden reasoning, then what it said (its sources at the end)."""
    role = _role(message)
    created = timestamp(message.get("inserted_at"))
    model = message.get("model") if isinstance(message.get("model"), str) else None
    model = (model or None) if role == Role.ASSISTANT else None
    turns: list[ImportedTurn] = []
    texts: list[str] = []
    results: list[dict] = []
    for fragment in message["fragments"]:
        if not isinstance(fragment, dict):
            continue
        kind = fragment.get("type")
        content = fragment.get("content") if isinstance(fragment.get("content"), str) else ""
        if kind == "THINK" and content.strip():
            turns.append(
                ImportedTurn(
                    Role.REASONING,
                    as_written(content),
                    speaker=f"{SPEAKER} (thinking)",
                    created_at=created,
                    hidden=True,
                )
            )
        elif kind == "SEARCH":
            results.extend(r for r in fragment.get("results") or [] if isinstance(r, dict))
        elif kind in ("REQUEST", "RESPONSE"):
            texts.append(as_written(content))
        elif kind != "THINK":
            unshown[str(kind)] += 1
    text = _linked("\n\n".join(t for t in texts if t.strip()), results)
    sources = _sources(results)
    if sources and role == Role.ASSISTANT:
        text = "\n\n".join(part for part in (text, sources_block(sources)) if part)
    files = _files(message)
    if text or files:
        turns.append(
            ImportedTurn(
                role,
                text,
                speaker=SPEAKER if role == Role.ASSISTANT else "",
                model=model,
                created_at=created,
                attachments=files,
            )
        )
    return turns


def _linked(text: str, results: list[dict]) -> str:
    """`[citation:N]` markers as links to the page searched as N; unknown ones kept."""
    by_index = {r.get("cite_index"): safe_url(r.get("url")) for r in results}

    def link(match: re.Match[str]) -> str:
        url = by_index.get(int(match[1]))
        return f"[{match[1]}]({url})" if url else match[0]

    return _CITATION.sub(link, text)


def _sources(results: list[dict]) -> list[tuple[str, str]]:
    sources: list[tuple[str, str]] = []
    for result in results:
        url = safe_url(result.get("url"))
        title = result.get("title") if isinstance(result.get("title"), str) else ""
        if url and all(url != known for _, known in sources):
            sources.append((title.strip() or url, url))
    return sources


def _files(message: dict) -> list[ImportedAttachment]:
    found = []
    for file in message.get("files") or []:
        if isinstance(file, dict):
            name = str(file.get("file_name") or file.get("name") or file.get("id") or "file")
            found.append(ImportedAttachment(name, guess_type(name)))
    return found
