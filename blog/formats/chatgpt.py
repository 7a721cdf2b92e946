"""ChatGPT data export (`conversations.json`, `chat.html`) read as the conversations the user saw."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from blog.formats.archive import AssetLookup, asset_id
from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.formats.blocks import fence, missing_files_turn, timestamp
from blog.formats.chatgpt_citations import link_label, resolve_references
from blog.formats.chatgpt_html import extract_chat_html
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

# The entry points the format registry imports: a chat.html is read in chatgpt_html.
__all__ = ["extract_chat_html", "parse_chatgpt", "parse_conversation"]

SOURCE_KIND = "chatgpt"
USER_SPEAKER = "You"
ASSISTANT_NAME = "ChatGPT"
TOOL_SPEAKER = "Tool"

# Never imported: the user's private custom instructions and memory, and internal state.
_PRIVATE_CONTENT = {
    "user_editable_context",
    "model_editable_context",
    "system_error",
    "system_content",
}
# What a browsing or computer-use tool read: kept as folded tool turns.
_BROWSING_CONTENT = {
    "tether_browsing_display",
    "tether_browsing_code",
    "tether_quote",
    "sonic_webpage",
    "computer_output",
}
# A reply that stopped here goes on, mid-sentence, in the next assistant message.
_UNFINISHED = {"max_tokens", "interrupted"}
REASONING_SPEAKER = "ChatGPT (reasoning)"
_REASONING_CONTENT = {"thoughts", "reasoning_recap"}
# o1-preview wrote its visible "thinking" summaries as a tool with this opaque name.
_REASONING_AUTHORS = {"a8km123"}
_IMAGE_DISPLAYED = "<<ImageDisplayed>>"


@dataclass
class _Image:
    pointer: str
    alt: str


@dataclass
class _Piece:
    """What one message contributes: visible text, images, or a hidden block."""

    kind: str  # "user", "assistant", "tool_images" or "hidden"
    blocks: list[str | _Image] = field(default_factory=list)
    role: str = "assistant"
    speaker: str = ""
    model: str | None = None
    created_at: datetime | None = None
    continued: bool = False
    sources: list[tuple[str, str]] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    then: _Piece | None = None  # a second piece the same message yields


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
    default_model = _model_name(item.get("default_model_slug"))
    tree = _Tree(mapping, where)
    path = tree.visible_path(item.get("current_node"))
    builder = _ConversationBuilder(assets, default_model)
    for node_id in path:
        builder.add(node_id, _classify(tree.message(node_id), default_model))
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


def _classify(message: dict | None, default_model: str | None) -> _Piece | None:
    """What a message contributes to the transcript, or None when it holds nothing to keep."""
    if message is None:
        return None
    metadata = _dict(message.get("metadata"))
    content = _dict(message.get("content"))
    author = _dict(message.get("author"))
    role = author.get("role")
    kind = content.get("content_type")
    recipient = message.get("recipient") or "all"
    model = _model_name(metadata.get("model_slug")) or default_model
    created = timestamp(message.get("create_time"))
    if role == "system" or kind in _PRIVATE_CONTENT:
        return None
    if (
        kind in _REASONING_CONTENT
        or author.get("name") in _REASONING_AUTHORS
        or metadata.get("initial_text") == "Thinking"
        or (role == "assistant" and message.get("channel") == "analysis")
    ):
        return _kept(Role.REASONING, REASONING_SPEAKER, _reasoning_text(content), created, model)
    if kind == "code":
        return _code_call(content, recipient, created, model)
    if kind == "execution_output":
        return _execution_output(content, metadata, created, model)
    if kind in _BROWSING_CONTENT:
        return _kept(Role.TOOL, _tool_name(author), _browsing_text(content), created, model)
    if metadata.get("is_visually_hidden_from_conversation"):
        return None
    if kind not in ("text", "multimodal_text"):
        return None
    blocks = _part_blocks(content.get("parts"), role)
    images = [block for block in blocks if isinstance(block, _Image)]
    if role == "tool":
        return _tool_message(blocks, images, _tool_name(author), created, model)
    if role not in ("user", "assistant"):
        return None
    if recipient != "all":
        return _addressed(blocks, str(recipient), created, model)
    return _said(role, blocks, images, metadata, created, model)


def _said(
    role: str,
    blocks: list[str | _Image],
    images: list[_Image],
    metadata: dict,
    created: datetime | None,
    model: str | None,
) -> _Piece | None:
    """A prompt or a reply as the chat showed it; an upload-only prompt names its files."""
    sources: list[tuple[str, str]] = []
    if role == "assistant":
        plain = [block for block in blocks if isinstance(block, str)]
        single = len(plain) == 1
        blocks = [
            resolve_references(block, metadata, sources, use_offsets=single)
            if isinstance(block, str)
            else block
            for block in blocks
        ]
    files = [a for a in metadata.get("attachments") or [] if isinstance(a, dict)]
    if not images and not "".join(b for b in blocks if isinstance(b, str)).strip():
        if role != "user" or not files:
            return None
        blocks = [f"[Uploaded: {', '.join(_file_name(meta) for meta in files)}]"]
    finish = _dict(metadata.get("finish_details")).get("type")
    return _Piece(
        role,
        blocks,
        role=role,
        model=model if role == "assistant" else None,
        created_at=created,
        continued=finish in _UNFINISHED or metadata.get("is_complete") is False,
        sources=sources,
        files=files,
    )


def _code_call(
    content: dict, recipient: object, created: datetime | None, model: str | None
) -> _Piece | None:
    """Code the model sent to the Python sandbox, or a call it made to another tool."""
    language = content.get("language")
    if not isinstance(language, str) or language in ("", "unknown"):
        language = "python" if recipient == "python" else ""
    code = _text_field(content, "text")
    if not code.strip():
        return None
    code = fence(code, language)
    if recipient == "python":
        return _kept(Role.CODE, "Code", code, created, model)
    return _kept(Role.TOOL, f"Tool call ({recipient})", code, created, model)


def _addressed(
    blocks: list[str | _Image], recipient: str, created: datetime | None, model: str | None
) -> _Piece | None:
    """A message to a tool rather than to the user: a canvas document, or a tool call."""
    text = "".join(b for b in blocks if isinstance(b, str))
    if recipient.startswith("canmore.create_textdoc"):
        canvas = _canvas_text(blocks)
        if canvas:
            return _Piece("assistant", [canvas], model=model, created_at=created)
    return _kept(Role.TOOL, f"Tool call ({recipient})", text, created, model)


def _tool_message(
    blocks: list[str | _Image],
    images: list[_Image],
    name: str,
    created: datetime | None,
    model: str | None,
) -> _Piece | None:
    """A tool's answer: its text kept folded, its images shown with the reply."""
    text = "".join(b for b in blocks if isinstance(b, str))
    shown = _Piece("tool_images", images, model=model, created_at=created) if images else None
    kept = _kept(Role.TOOL, name, text, created, model)
    if kept is None:
        return shown
    kept.then = shown
    return kept


def _kept(
    role: str, speaker: str, text: str, created: datetime | None, model: str | None
) -> _Piece | None:
    """Material the chat app folded or hid, kept as a hidden turn of its own kind."""
    if not text.strip():
        return None
    return _Piece("hidden", [text], role=role, speaker=speaker, model=model, created_at=created)


def _tool_name(author: dict) -> str:
    name = author.get("name")
    return f"Tool ({name})" if isinstance(name, str) and name else TOOL_SPEAKER


def _browsing_text(content: dict) -> str:
    """A browsing result or quote as text: its title and address, then what was read."""
    if content.get("content_type") == "tether_quote":
        title, url = _text_field(content, "title"), _text_field(content, "url")
        heading = " — ".join(part for part in (title, url) if part)
        body = _text_field(content, "text").strip()
        return f"{heading}\n\n{body}" if heading else body
    return _text_field(content, "result")


def _file_name(meta: dict) -> str:
    name = meta.get("name")
    return name if isinstance(name, str) and name else str(meta.get("id", "file"))


def _part_blocks(parts: object, role: object) -> list[str | _Image]:
    """Text parts joined as written, with each image as its own block."""
    blocks: list[str | _Image] = []
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, str):
            text = part
        elif isinstance(part, dict) and part.get("content_type") == "audio_transcription":
            text = part.get("text") if isinstance(part.get("text"), str) else ""
        elif isinstance(part, dict) and part.get("content_type") == "image_asset_pointer":
            pointer = part.get("asset_pointer")
            if isinstance(pointer, str) and pointer:
                blocks.append(_Image(pointer, _image_alt(part, role)))
            continue
        else:
            continue
        if blocks and isinstance(blocks[-1], str):
            blocks[-1] += text
        else:
            blocks.append(text)
    return blocks


def _image_alt(part: dict, role: object) -> str:
    dalle = _dict(_dict(part.get("metadata")).get("dalle"))
    prompt = dalle.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        return prompt.strip()
    return "Uploaded image" if role == "user" else "Generated image"


def _execution_output(
    content: dict, metadata: dict, created: datetime | None, model: str | None
) -> _Piece | None:
    images = [
        _Image(message["image_url"], "Plot")
        for message in _dict(metadata.get("aggregate_result")).get("messages") or []
        if isinstance(message, dict)
        and message.get("message_type") == "image"
        and isinstance(message.get("image_url"), str)
    ]
    output = _text_field(content, "text").replace(_IMAGE_DISPLAYED, "").strip("\n")
    # Plots stay visible with the reply even though the output text around them is folded.
    shown = _Piece("tool_images", images, model=model, created_at=created) if images else None
    kept = _kept(Role.OUTPUT, "Output", fence(output) if output.strip() else "", created, model)
    if kept is None:
        return shown
    kept.then = shown
    return kept


def _reasoning_text(content: dict) -> str:
    if content.get("content_type") == "thoughts":
        sections = []
        for thought in content.get("thoughts") or []:
            if not isinstance(thought, dict):
                continue
            summary = thought.get("summary") if isinstance(thought.get("summary"), str) else ""
            body = thought.get("content") if isinstance(thought.get("content"), str) else ""
            sections.append(
                f"**{summary.strip()}**\n\n{body.strip()}" if summary.strip() else body.strip()
            )
        return "\n\n".join(section for section in sections if section)
    if content.get("content_type") == "reasoning_recap":
        return _text_field(content, "content")
    parts = content.get("parts")
    return "".join(p for p in parts if isinstance(p, str)) if isinstance(parts, list) else ""


def _canvas_text(blocks: list[str | _Image]) -> str:
    """The document a canvas call created, as a titled block."""
    raw = "".join(b for b in blocks if isinstance(b, str))
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(document, dict) or not isinstance(document.get("content"), str):
        return ""
    name = document.get("name") if isinstance(document.get("name"), str) else ""
    kind = document.get("type") if isinstance(document.get("type"), str) else ""
    body = document["content"]
    if kind.startswith("code/"):
        body = fence(body, kind.removeprefix("code/"))
    return f"**{name}**\n\n{body}" if name else body


class _TurnBuilder:
    """Accumulates the blocks of one turn; images become `attachment:N` placeholders."""

    def __init__(self, role: str, piece: _Piece, hidden: bool = False) -> None:
        self.role = role
        self.hidden = hidden
        self.speaker = piece.speaker
        self.model = piece.model
        self.created_at = piece.created_at
        self.blocks: list[str] = []
        self.images: list[_Image] = []
        self.sources: list[tuple[str, str]] = []
        self.files: list[dict] = []
        self.continues = False

    def add(self, piece: _Piece) -> None:
        self.model = self.model or piece.model
        self.created_at = self.created_at or piece.created_at
        for block in piece.blocks:
            if isinstance(block, _Image):
                self.blocks.append(f"![{link_label(block.alt)}](attachment:{len(self.images)})")
                self.images.append(block)
                self.continues = False
            elif self.continues and self.blocks:
                self.blocks[-1] += block
                self.continues = False
            else:
                self.blocks.append(block)
        # A reply cut off at the token limit goes on mid-sentence in the next message.
        self.continues = piece.continued
        self.sources.extend(s for s in piece.sources if s not in self.sources)
        self.files.extend(piece.files)

    def build(self, assets: AssetLookup | None) -> ImportedTurn:
        blocks = [block.replace("\r\n", "\n").strip("\n").rstrip() for block in self.blocks]
        blocks = [block for block in blocks if block.strip()]
        if self.sources:
            blocks.append(
                "**Sources**\n\n" + "\n".join(f"- [{link_label(t)}]({u})" for t, u in self.sources)
            )
        text = "\n\n".join(blocks)
        attachments = [_attachment(image, assets) for image in self.images]
        if self.files:
            referenced = {asset_id(image.pointer) for image in self.images}
            attachments.extend(
                _uploaded_file(meta, assets)
                for meta in self.files
                if meta.get("id") not in referenced
            )
        if self.speaker:
            speaker = self.speaker
        elif self.role == "user":
            speaker = USER_SPEAKER
        else:
            speaker = f"{ASSISTANT_NAME} ({self.model})" if self.model else ASSISTANT_NAME
        return ImportedTurn(
            role=self.role,
            text=text,
            speaker=speaker,
            model=self.model if self.role != "user" else None,
            created_at=self.created_at,
            attachments=attachments,
            hidden=self.hidden,
        )


class _ConversationBuilder:
    """Turns the pieces of the visible path into turns, merging one reply's messages."""

    def __init__(self, assets: AssetLookup | None, default_model: str | None) -> None:
        self.assets = assets
        self.default_model = default_model
        self.builders: list[_TurnBuilder] = []
        self.open: _TurnBuilder | None = None
        self.pending: list[_Piece] = []
        self.turn_of_node: dict[str, int] = {}

    def add(self, node_id: str, piece: _Piece | None) -> None:
        if piece is None:
            return
        if piece.kind == "tool_images":
            if self.open is not None and self.open.role == "assistant":
                self.open.add(piece)
            else:
                self.pending.append(piece)
            return
        if piece.kind == "hidden":
            self._close()
            self.builders.append(_TurnBuilder(piece.role, piece, hidden=True))
            self.builders[-1].add(piece)
            self.turn_of_node[node_id] = len(self.builders) - 1
            if piece.then is not None:
                self.add(node_id, piece.then)
            return
        if piece.kind == "user":
            self._flush_pending()
            self._close()
        if self.open is None or self.open.role != piece.kind:
            self._close()
            self.open = _TurnBuilder(piece.kind, piece)
            self.builders.append(self.open)
            for pending in self.pending:
                self.open.add(pending)
            self.pending = []
        self.open.add(piece)
        self.turn_of_node[node_id] = len(self.builders) - 1

    def _close(self) -> None:
        self.open = None

    def _flush_pending(self) -> None:
        """Images a tool made with no reply after them still get a turn of their own."""
        if not self.pending:
            return
        builder = _TurnBuilder("assistant", self.pending[0])
        for piece in self.pending:
            builder.add(piece)
        self.builders.append(builder)
        self.pending = []
        self.open = None

    def finish(self) -> tuple[list[ImportedTurn], dict[str, int]]:
        """The turns, each prompt followed by a folded list of the files it named but the
        export does not hold, and where each node's turn ended up."""
        self._flush_pending()
        turns: list[ImportedTurn] = []
        moved: dict[int, int] = {}
        for index, builder in enumerate(self.builders):
            moved[index] = len(turns)
            turn = builder.build(self.assets)
            turns.append(turn)
            listed = missing_files_turn(turn, first=len(builder.images))
            if listed is not None:
                turns.append(listed)
        return turns, {node: moved[index] for node, index in self.turn_of_node.items()}


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
    pieces: list[_Piece] = []
    seen: set[str] = set()
    node_id: str | None = start
    while node_id is not None and node_id not in seen:
        seen.add(node_id)
        piece = _classify(tree.message(node_id), default_model)
        if piece is not None and piece.kind in ("user", "assistant"):
            if pieces and (piece.kind != role or role == "user"):
                break
            if not pieces and piece.kind != role:
                return None
            pieces.append(piece)
        children = tree.children(node_id)
        node_id = children[-1] if children else None
    if not pieces:
        return None
    builder = _TurnBuilder(role, pieces[0])
    for piece in pieces:
        builder.add(
            _Piece(
                piece.kind, [b for b in piece.blocks if isinstance(b, str)], sources=piece.sources
            )
        )
    created = pieces[0].created_at
    return (created.timestamp() if created else math.inf), builder.build(None).text


def _attachment(image: _Image, assets: AssetLookup | None) -> ImportedAttachment:
    asset = assets.find(image.pointer) if assets is not None else None
    if asset is None:
        return ImportedAttachment(
            name=asset_id(image.pointer),
            mime_type="application/octet-stream",
            data=None,
            alt=f"{image.alt} (image not included in the export)",
        )
    return ImportedAttachment(
        name=asset.name, mime_type=asset.mime_type, data=asset.data, alt=image.alt
    )


def _uploaded_file(meta: dict, assets: AssetLookup | None) -> ImportedAttachment:
    name = meta.get("name") if isinstance(meta.get("name"), str) else str(meta.get("id", "file"))
    mime = meta.get("mime_type") if isinstance(meta.get("mime_type"), str) else ""
    file_id = meta.get("id")
    asset = assets.find(file_id) if assets is not None and isinstance(file_id, str) else None
    return ImportedAttachment(
        name=name,
        mime_type=(
            asset.mime_type if asset and asset.mime_type != "application/octet-stream" else mime
        )
        or "application/octet-stream",
        data=asset.data if asset else None,
        alt=name,
    )


def _model_name(slug: object) -> str | None:
    if not isinstance(slug, str) or not slug.strip() or slug == "auto":
        return None
    return slug.strip()


def _most_common_model(turns: list[ImportedTurn]) -> str | None:
    models = Counter(turn.model for turn in turns if turn.model)
    return models.most_common(1)[0][0] if models else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text_field(content: dict, key: str) -> str:
    value = content.get(key)
    return value if isinstance(value, str) else ""
