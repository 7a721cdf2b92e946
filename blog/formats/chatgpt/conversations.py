"""ChatGPT data export (`conversations.json`, `chat.html`) read as the conversations the user saw.

A conversation is a tree of messages (`mapping`). This module walks the branch the user last
viewed, and keeps the other branches as alternatives of the turns they replace. What a message
holds is read in `parts`, its citations in `citations`; the pieces become turns
in `turns`; a `chat.html` gives up its JSON in `chat_html`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator

from blog.formats.archive import AssetLookup
from blog.formats.base import ImportedConversation, ImportedTurn, ImportFormatError
from blog.formats.blocks import timestamp
from blog.formats.chatgpt.chat_html import extract_chat_html
from blog.formats.chatgpt.parts import (
    Piece,
    kind_warning,
    message_piece,
    model_name,
    parts_left_out,
    parts_warning,
    unknown_kind,
)
from blog.formats.chatgpt.turns import ConversationBuilder, TurnBuilder
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

# The entry points the format registry imports: a chat.html is read in chat_html.
__all__ = ["extract_chat_html", "parse_chatgpt", "parse_conversation"]

SOURCE_KIND = "chatgpt"


def parse_chatgpt(
    items: Iterable[dict], assets: AssetLookup | None = None
) -> Iterator[ImportedConversation]:
    """Each ChatGPT conversation object in `items` as the branch the user last viewed."""
    for index, item in enumerate(items):
        yield parse_conversation(item, assets, where=f"conversation {index + 1}")


def parse_conversation(
    item: dict,
    assets: AssetLookup | None = None,
    *,
    where: str = "conversation",
) -> ImportedConversation:
    """One ChatGPT conversation object (an element of `conversations.json`) as a conversation."""
    if not isinstance(item, dict):
        raise ImportFormatError("a conversation must be a JSON object", where)
    title = item.get("title") if isinstance(item.get("title"), str) else ""
    title = title.strip()
    if title:
        where = f'{where} ("{title[:60]}")'
    mapping = item.get("mapping")
    if not isinstance(mapping, dict):
        raise ImportFormatError('it has no message tree ("mapping")', where)
    default_model = model_name(item.get("default_model_slug"))
    tree = _Tree(mapping, where)
    path = tree.visible_path(item.get("current_node"))
    builder = ConversationBuilder(assets)
    unknown: Counter[str] = Counter()
    left_out: Counter[str] = Counter()
    for node_id in path:
        message = tree.message(node_id)
        piece = message_piece(message, default_model)
        if piece is None and (kind := unknown_kind(message)):
            unknown[kind] += 1
        elif piece is not None:
            left_out.update(parts_left_out(message))
        builder.add(node_id, piece)
    turns, turn_of_node = builder.finish()
    _add_alternatives(tree, path, turns, turn_of_node, default_model)
    source_id = item.get("conversation_id") or item.get("id")
    return ImportedConversation(
        title=title or title_from_turns(turns),
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(source_id) if source_id else None,
        created_at=timestamp(item.get("create_time")),
        updated_at=timestamp(item.get("update_time")),
        model=default_model or _most_common_model(turns),
        warnings=[kind_warning(kind, count) for kind, count in sorted(unknown.items())]
        + [parts_warning(what, count) for what, count in sorted(left_out.items())],
    )


class _Tree:
    """The `mapping` of one conversation, with lookups that tolerate the export's quirks."""

    def __init__(self, mapping: dict, where: str) -> None:
        self.mapping = mapping
        self.where = where
        self._lower: dict[str, str] | None = None

    def resolve(self, node_id: object) -> str | None:
        """The mapping key for an id (ids are opaque; case is tolerated), or None."""
        if not isinstance(node_id, str):
            return None
        if node_id in self.mapping:
            return node_id
        if self._lower is None:
            self._lower = {key.lower(): key for key in self.mapping}
        return self._lower.get(node_id.lower())

    def node(self, node_id: str) -> dict:
        node = self.mapping[node_id]
        if not isinstance(node, dict):
            raise ImportFormatError(f"node {node_id!r} is not a JSON object", self.where)
        return node

    def message(self, node_id: str) -> dict | None:
        message = self.node(node_id).get("message")
        return message if isinstance(message, dict) else None

    def children(self, node_id: str) -> list[str]:
        children = self.node(node_id).get("children")
        if not isinstance(children, list):
            return []
        return [key for key in map(self.resolve, children) if key is not None]

    def parent(self, node_id: str) -> str | None:
        parent = self.node(node_id).get("parent")
        if parent is None:
            return None
        key = self.resolve(parent)
        if key is None:
            raise ImportFormatError(
                f"node {node_id!r} names a parent {parent!r} that is not in the conversation",
                self.where,
            )
        return key

    def visible_path(self, current_node: object) -> list[str]:
        """Node ids from the root to the current leaf, following `parent` links."""
        if current_node is None or current_node == "":
            leaf = self._newest_leaf()
            if leaf is None:
                return []
        else:
            leaf = self.resolve(current_node)
            if leaf is None:
                raise ImportFormatError(
                    f"its current node {current_node!r} is not in the conversation", self.where
                )
        path: list[str] = []
        seen: set[str] = set()
        node_id: str | None = leaf
        while node_id is not None:
            if node_id in seen:
                raise ImportFormatError(
                    f"its message tree loops back on itself at node {node_id!r}", self.where
                )
            seen.add(node_id)
            path.append(node_id)
            node_id = self.parent(node_id)
        path.reverse()
        return path

    def _newest_leaf(self) -> str | None:
        best: tuple[float, int] | None = None
        best_id = None
        for position, node_id in enumerate(self.mapping):
            if self.children(node_id):
                continue
            message = self.message(node_id) or {}
            created = message.get("create_time")
            key = (created if _is_number(created) else -math.inf, position)
            if best is None or key > best:
                best, best_id = key, node_id
        return best_id


def _add_alternatives(
    tree: _Tree,
    path: list[str],
    turns: list[ImportedTurn],
    turn_of_node: dict[str, int],
    default_model: str | None,
) -> None:
    """Record the other versions (edited prompts, regenerated replies) of each turn on the path."""
    for position, node_id in enumerate(path[:-1]):
        children = tree.children(node_id)
        if len(children) < 2:
            continue
        on_path = path[position + 1]
        turn_index = next(
            (
                turn_of_node[n]
                for n in path[position + 1 :]
                if n in turn_of_node and not turns[turn_of_node[n]].hidden
            ),
            None,
        )
        if turn_index is None:
            continue
        turn = turns[turn_index]
        versions: list[tuple[float, int, str]] = []
        for order, sibling in enumerate(children):
            if sibling == on_path:
                continue
            found = _branch_version(tree, sibling, turn.role, default_model)
            if found is not None:
                created, text = found
                versions.append((created, order, text))
        versions.sort()
        turn.alternatives.extend(text for _, _, text in versions if text)


def _branch_version(
    tree: _Tree, start: str, role: str, default_model: str | None
) -> tuple[float, str] | None:
    """The visible text of another branch's first turn, if it is a turn of the given role."""
    pieces: list[Piece] = []
    seen: set[str] = set()
    node_id: str | None = start
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        piece = message_piece(tree.message(node_id), default_model)
        if piece is not None and piece.kind in (Role.USER, Role.ASSISTANT):
            if pieces and (piece.kind != role or role == Role.USER):
                break
            if not pieces and piece.kind != role:
                return None
            pieces.append(piece)
        children = tree.children(node_id)
        node_id = children[-1] if children else None
    if not pieces:
        return None
    builder = TurnBuilder(role, pieces[0])
    for piece in pieces:
        builder.add(
            Piece(
                piece.kind, [b for b in piece.blocks if isinstance(b, str)], sources=piece.sources
            )
        )
    created = pieces[0].created_at
    return (created.timestamp() if created else math.inf), builder.build(None).text


def _most_common_model(turns: list[ImportedTurn]) -> str | None:
    """The model most replies came from, for a conversation whose export names no default."""
    models = Counter(turn.model for turn in turns if turn.model)
    return models.most_common(1)[0][0] if models else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
