"""Qwen Chat export (chat.qwen.ai → Settings → Chats → Export): `{"success", "data": [chat, …]}`.

Qwen Chat grew out of Open WebUI, and a chat keeps its shape: `{id, title, chat: {history:
{messages: {id: message}, currentId}, models, messages}, created_at, updated_at, chat_type}`,
a message `{id, parentId, childrenIds, role, content, timestamp, models | model}`. What is
Qwen's own: a reply's `content_list`, the pieces of the reply by `phase` — "think" (the
model's thinking, kept as a hidden reasoning turn, as is an older `reasoning_content`),
"web_search" (its `extra.web_search_info` pages, listed as the reply's sources) and
"answer" (the reply; `content` when there is no list). A piece of any other phase is
counted in a warning. The chain from the root to `currentId` (else to the newest leaf) is
the conversation; the other versions of each prompt and reply are its alternatives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.block_files import guess_type
from blog.formats.blocks import as_written, block_text, chain_to, safe_url, sources_block, timestamp
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "qwen"
SPEAKER = "Qwen"
_ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT, "system": Role.SYSTEM}
_READ_PHASES = {"think", "thinking_summary", "answer", "web_search"}


def parse_qwen(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """Each chat of a Qwen Chat export, as the branch its author last viewed."""
    for index, item in enumerate(items):
        where = f"Qwen chat {index + 1}"
        if not isinstance(item, dict) or not isinstance(item.get("chat"), dict):
            raise ImportFormatError("expected a chat object with a 'chat'", where)
        yield _conversation(item, where)


def _conversation(item: dict, where: str) -> ImportedConversation:
    chat = item["chat"]
    tree = _tree(chat, where)
    history = chat.get("history") if isinstance(chat.get("history"), dict) else {}
    path = _shown_branch(tree, history.get("currentId") or item.get("currentId"))
    reader = _Reader()
    turns: list[ImportedTurn] = []
    for message in path:
        others = [
            tree[key]
            for key in _children(tree.get(str(message.get("parentId"))))
            if key in tree and key != message.get("id")
        ]
        turns.extend(reader.turns(message, others))
    models = Counter(turn.model for turn in turns if turn.model)
    title = item.get("title") if isinstance(item.get("title"), str) else ""
    off_path = len(tree) - len(path) - sum(len(t.alternatives) for t in turns)
    warnings = reader.warnings()
    if off_path > 0:
        warnings.append(
            f"{off_path} message{'s' if off_path > 1 else ''} deeper on other branches left "
            "out (the other versions of each prompt and reply are kept as alternatives)"
        )
    return ImportedConversation(
        title=title.strip() or title_from_turns(turns),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(item["id"]) if item.get("id") else None,
        created_at=timestamp(item.get("created_at")),
        updated_at=timestamp(item.get("updated_at")),
        model=models.most_common(1)[0][0] if models else None,
        warnings=warnings,
    )


def _tree(chat: dict, where: str) -> dict[str, dict]:
    """The messages by id: the history's tree, else the flat list chained in file order."""
    history = chat.get("history") if isinstance(chat.get("history"), dict) else {}
    messages = history.get("messages")
    if isinstance(messages, dict) and messages:
        tree = {str(key): value for key, value in messages.items()}
    elif isinstance(chat.get("messages"), list):
        tree = {}
        previous = None
        for number, message in enumerate(chat["messages"]):
            if isinstance(message, dict):
                key = str(message.get("id") or f"message-{number}")
                tree[key] = {"parentId": previous, **message, "id": key}
                previous = key
    else:
        raise ImportFormatError("the chat has no messages ('chat.history.messages')", where)
    for key, message in tree.items():
        if not isinstance(message, dict):
            raise ImportFormatError(f"message {key!r} is not an object", where)
        message.setdefault("id", key)
    return tree


def _children(message: dict | None) -> list[str]:
    children = message.get("childrenIds") if isinstance(message, dict) else None
    return [str(c) for c in children] if isinstance(children, list) else []


def _shown_branch(tree: dict[str, dict], current: object) -> list[dict]:
    if not tree:
        return []
    if not isinstance(current, str) or current not in tree:
        order = {key: position for position, key in enumerate(tree)}
        leaves = [key for key, m in tree.items() if not _children(m)] or list(tree)
        current = max(leaves, key=lambda k: (_seconds(tree[k].get("timestamp")), order[k]))
    return chain_to(
        tree[current],
        lambda m: m["id"],
        lambda m: tree.get(str(m.get("parentId"))) if m.get("parentId") else None,
    )


def _seconds(value: object) -> float:
    when = timestamp(value)
    return when.timestamp() if when else float("-inf")


class _Reader:
    """Messages into turns, counting what is left out for the warnings."""

    def __init__(self) -> None:
        self.phases: Counter[str] = Counter()
        self.roles: Counter[str] = Counter()
        self.errors = 0

    def turns(self, message: dict, others: list[dict]) -> list[ImportedTurn]:
        role = _ROLES.get(message.get("role"))
        if role is None:
            self.roles[str(message.get("role"))] += 1
            return []
        created = timestamp(message.get("timestamp"))
        model = _model(message) if role == Role.ASSISTANT else None
        thinking, text, sources = self._pieces(message, count=True)
        turns = [
            ImportedTurn(
                Role.REASONING,
                thought,
                speaker=f"{SPEAKER} (thinking)",
                model=model,
                created_at=created,
                hidden=True,
            )
            for thought in thinking
        ]
        if sources and role == Role.ASSISTANT:
            text = "\n\n".join(part for part in (text, sources_block(sources)) if part)
        files = _files(message)
        if text.strip() or files:
            turns.append(
                ImportedTurn(
                    role,
                    text,
                    speaker=SPEAKER if role == Role.ASSISTANT else "",
                    model=model,
                    created_at=created,
                    attachments=files,
                    hidden=role == Role.SYSTEM,
                    alternatives=[
                        alternative
                        for other in others
                        if other.get("role") == message.get("role")
                        and (alternative := self._said(other))
                    ],
                )
            )
        error = message.get("error")
        if role == Role.ASSISTANT and error:
            notice = error.get("content") if isinstance(error, dict) else error
            turns.append(
                ImportedTurn(
                    Role.SYSTEM,
                    str(notice or "The reply failed.").strip(),
                    speaker="Error",
                    created_at=created,
                    hidden=True,
                )
            )
        return turns

    def _said(self, message: dict) -> str:
        _, text, sources = self._pieces(message, count=False)
        if sources and message.get("role") == "assistant":
            return "\n\n".join(part for part in (text, sources_block(sources)) if part)
        return text

    def _pieces(
        self, message: dict, *, count: bool
    ) -> tuple[list[str], str, list[tuple[str, str]]]:
        """A message's thinking, its text and the pages it searched."""
        thinking: list[str] = []
        answers: list[str] = []
        sources: list[tuple[str, str]] = []
        reasoning = message.get("reasoning_content")
        if isinstance(reasoning, str) and reasoning.strip():
            thinking.append(as_written(reasoning))
        pieces = message.get("content_list")
        for piece in pieces if isinstance(pieces, list) else []:
            if not isinstance(piece, dict):
                continue
            phase = str(piece.get("phase") or "answer")
            content = block_text(piece.get("content"))
            if phase in ("think", "thinking_summary") and content.strip():
                if as_written(content) not in thinking:
                    thinking.append(as_written(content))
            elif phase == "answer" and content.strip():
                answers.append(as_written(content))
            elif phase == "web_search":
                sources.extend(_sources(piece.get("extra")))
            elif phase not in _READ_PHASES and count:
                self.phases[phase] += 1
        text = "\n\n".join(answers) or as_written(block_text(message.get("content")))
        unique = list(dict.fromkeys(sources))
        return thinking, text, unique

    def warnings(self) -> list[str]:
        said = [
            f"{count} part{'s' if count > 1 else ''} of a reply of a kind this importer does "
            f'not show (phase "{phase}") left out'
            for phase, count in sorted(self.phases.items())
        ]
        said += [
            f"{count} message{'s' if count > 1 else ''} with the role {role!r}, which this "
            "importer does not show, left out"
            for role, count in sorted(self.roles.items())
        ]
        return said


def _model(message: dict) -> str | None:
    model = message.get("model")
    models = message.get("models")
    if not (isinstance(model, str) and model) and isinstance(models, list) and models:
        model = models[0]
    return model if isinstance(model, str) and model else None


def _sources(extra: object) -> list[tuple[str, str]]:
    info = extra.get("web_search_info") if isinstance(extra, dict) else None
    found: list[tuple[str, str]] = []
    for page in info if isinstance(info, list) else []:
        if isinstance(page, dict) and (url := safe_url(page.get("url"))):
            title = page.get("title") if isinstance(page.get("title"), str) else ""
            found.append((title.strip() or url, url))
    return found


def _files(message: dict) -> list[ImportedAttachment]:
    found = []
    for file in message.get("files") or []:
        if not isinstance(file, dict):
            continue
        inner = file.get("file") if isinstance(file.get("file"), dict) else {}
        name = file.get("name") or inner.get("filename") or inner.get("name") or file.get("id")
        name = str(name or "file")
        found.append(ImportedAttachment(name, guess_type(name)))
    return found
