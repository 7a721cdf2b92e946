"""ChatGPT data export (`conversations.json`, `chat.html`) read as the conversations the user saw."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import re2

from blog.importers.archive import AssetLookup, asset_id
from blog.importers.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)

SOURCE_KIND = "chatgpt"
UNTITLED = "Untitled conversation"
USER_SPEAKER = "You"
ASSISTANT_NAME = "ChatGPT"
TOOL_SPEAKER = "Tool"

# Never shown, not even with include_hidden: private instructions, memory, browsing internals.
_PRIVATE_CONTENT = {
    "user_editable_context",
    "model_editable_context",
    "tether_browsing_display",
    "tether_browsing_code",
    "tether_quote",
    "sonic_webpage",
    "system_error",
    "computer_output",
    "system_content",
}
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
    model: str | None = None
    created_at: datetime | None = None
    stopped_at_max_tokens: bool = False
    sources: list[tuple[str, str]] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    then: _Piece | None = None  # a second piece the same message yields


def parse_chatgpt(
    items: Iterable[dict], assets: AssetLookup | None = None, *, include_hidden: bool = False
) -> Iterator[ImportedConversation]:
    """Each ChatGPT conversation object in `items` as the branch the user last viewed."""
    for index, item in enumerate(items):
        yield parse_conversation(
            item, assets, include_hidden=include_hidden, where=f"conversation {index + 1}"
        )


def parse_conversation(
    item: dict,
    assets: AssetLookup | None = None,
    *,
    include_hidden: bool = False,
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
    builder = _ConversationBuilder(assets, include_hidden, default_model)
    for node_id in path:
        builder.add(node_id, _classify(tree.message(node_id), include_hidden, default_model))
    turns, turn_of_node = builder.finish()
    _add_alternatives(tree, path, turns, turn_of_node, default_model)
    source_id = item.get("conversation_id") or item.get("id")
    return ImportedConversation(
        title=title or UNTITLED,
        turns=turns,
        source_kind=SOURCE_KIND,
        source_id=str(source_id) if source_id else None,
        created_at=_timestamp(item.get("create_time")),
        updated_at=_timestamp(item.get("update_time")),
        model=default_model or _most_common_model(turns),
    )


_JSON_DATA = re.compile(r"\bvar\s+jsonData\s*=\s*")
_ASSETS_JSON = re.compile(r"\bvar\s+assetsJson\s*=\s*")
# RE2: on a long unquoted run Python's backtracking retried the key at every offset.
_LOOSE_PAIR = re2.compile(
    r"""(?:"([^"]*)"|'([^']*)'|([A-Za-z_$][\w$]*))\s*:\s*(?:"([^"]*)"|'([^']*)')"""
)


def extract_chat_html(html: str, where: str = "chat.html") -> tuple[list, dict[str, str]]:
    """The conversations (`var jsonData`) and asset names (`var assetsJson`) in a `chat.html`."""
    match = _JSON_DATA.search(html)
    if match is None:
        raise ImportFormatError("this chat.html has no conversation data (var jsonData)", where)
    try:
        data, _ = json.JSONDecoder().raw_decode(html, match.end())
    except ValueError as exc:
        raise ImportFormatError(f"its conversation data is not valid JSON ({exc})", where) from exc
    except RecursionError as exc:
        raise ImportFormatError("its conversation data is nested too deeply", where) from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ImportFormatError("its conversation data is not a list of conversations", where)
    return data, _asset_names(html)


def _asset_names(html: str) -> dict[str, str]:
    """`assetsJson`, which has been seen as a JS object literal rather than strict JSON."""
    match = _ASSETS_JSON.search(html)
    if match is None:
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(html, match.end())
    except (ValueError, RecursionError):
        end = html.find("}", match.end())
        literal = html[match.end() : end if end >= 0 else len(html)]
        return {k1 or k2 or k3: v1 or v2 for k1, k2, k3, v1, v2 in _LOOSE_PAIR.findall(literal)}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


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


def _classify(
    message: dict | None, include_hidden: bool, default_model: str | None
) -> _Piece | None:
    """What a message shows on the blog, or None when it shows nothing."""
    if message is None:
        return None
    metadata = _dict(message.get("metadata"))
    content = _dict(message.get("content"))
    author = _dict(message.get("author"))
    role = author.get("role")
    kind = content.get("content_type")
    recipient = message.get("recipient") or "all"
    model = _model_name(metadata.get("model_slug")) or default_model
    created = _timestamp(message.get("create_time"))
    if metadata.get("is_visually_hidden_from_conversation") or role == "system":
        return None
    if kind in _PRIVATE_CONTENT:
        return None
    if (
        kind in _REASONING_CONTENT
        or author.get("name") in _REASONING_AUTHORS
        or (role == "assistant" and message.get("channel") == "analysis")
    ):
        return (
            _hidden_block("reasoning", "Reasoning", _reasoning_text(content), created, model)
            if include_hidden
            else None
        )
    if kind == "code":
        if not include_hidden:
            return None
        label = "Code" if recipient == "python" else f"Tool call ({recipient})"
        language = content.get("language")
        if not isinstance(language, str) or language in ("", "unknown"):
            language = "python" if recipient == "python" else ""
        code = _fenced(_text_field(content, "text"), language)
        return _hidden_block("tool-output", label, code, created, model)
    if kind == "execution_output":
        return _execution_output(content, metadata, include_hidden, created, model)
    if kind not in ("text", "multimodal_text"):
        return None
    blocks = _part_blocks(content.get("parts"), role)
    images = [block for block in blocks if isinstance(block, _Image)]
    if role == "tool":
        return _Piece("tool_images", images, model=model, created_at=created) if images else None
    if role not in ("user", "assistant"):
        return None
    if recipient != "all":
        if role == "assistant" and str(recipient).startswith("canmore.create_textdoc"):
            canvas = _canvas_text(blocks)
            if canvas:
                return _Piece("assistant", [canvas], model=model, created_at=created)
        return None
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
    if not images and not "".join(b for b in blocks if isinstance(b, str)).strip():
        return None
    finish = _dict(metadata.get("finish_details")).get("type")
    return _Piece(
        role,
        blocks,
        role=role,
        model=model if role == "assistant" else None,
        created_at=created,
        stopped_at_max_tokens=finish == "max_tokens",
        sources=sources,
        files=[a for a in metadata.get("attachments") or [] if isinstance(a, dict)],
    )


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
    content: dict, metadata: dict, include_hidden: bool, created: datetime | None, model: str | None
) -> _Piece | None:
    images = [
        _Image(message["image_url"], "Plot")
        for message in _dict(metadata.get("aggregate_result")).get("messages") or []
        if isinstance(message, dict)
        and message.get("message_type") == "image"
        and isinstance(message.get("image_url"), str)
    ]
    output = _text_field(content, "text").replace(_IMAGE_DISPLAYED, "").strip("\n")
    if include_hidden and output.strip():
        piece = _hidden_block("tool-output", "Output", _fenced(output, ""), created, model)
        piece.role = "tool"
        if images:
            # Plots stay visible even though the output text around them is hidden.
            piece.then = _Piece("tool_images", images, model=model, created_at=created)
        return piece
    return _Piece("tool_images", images, model=model, created_at=created) if images else None


def _hidden_block(
    css_class: str, label: str, body: str, created: datetime | None, model: str | None
) -> _Piece | None:
    if not body.strip():
        return None
    text = (
        f'<details class="{css_class}"><summary>{label}</summary>\n\n{body.strip()}\n\n</details>'
    )
    return _Piece("hidden", [text], model=model, created_at=created)


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
        body = _fenced(body, kind.removeprefix("code/"))
    return f"**{name}**\n\n{body}" if name else body


def _fenced(code: str, language: str) -> str:
    """A Markdown code fence long enough never to be closed by the code itself."""
    code = code.replace("\r\n", "\n").strip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


class _TurnBuilder:
    """Accumulates the blocks of one turn; images become `attachment:N` placeholders."""

    def __init__(self, role: str, piece: _Piece, hidden: bool = False) -> None:
        self.role = role
        self.hidden = hidden
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
                self.blocks.append(f"![{_alt(block.alt)}](attachment:{len(self.images)})")
                self.images.append(block)
                self.continues = False
            elif self.continues and self.blocks:
                self.blocks[-1] += block
                self.continues = False
            else:
                self.blocks.append(block)
        # A reply cut off at the token limit goes on mid-sentence in the next message.
        self.continues = piece.stopped_at_max_tokens
        self.sources.extend(s for s in piece.sources if s not in self.sources)
        self.files.extend(piece.files)

    def build(self, assets: AssetLookup | None) -> ImportedTurn:
        blocks = [block.replace("\r\n", "\n").strip("\n").rstrip() for block in self.blocks]
        blocks = [block for block in blocks if block.strip()]
        if self.sources:
            blocks.append(
                "**Sources**\n\n" + "\n".join(f"- [{_alt(t)}]({u})" for t, u in self.sources)
            )
        text = "\n\n".join(blocks)
        if not (self.hidden and "tool-output" in text):
            text = _normalize_math(text)
        attachments = [_attachment(image, assets) for image in self.images]
        if self.files:
            referenced = {asset_id(image.pointer) for image in self.images}
            attachments.extend(
                _uploaded_file(meta, assets)
                for meta in self.files
                if meta.get("id") not in referenced
            )
        if self.role == "user":
            speaker = USER_SPEAKER
        elif self.role == "tool":
            speaker = TOOL_SPEAKER
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

    def __init__(
        self, assets: AssetLookup | None, include_hidden: bool, default_model: str | None
    ) -> None:
        self.assets = assets
        self.include_hidden = include_hidden
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
        self._flush_pending()
        return [builder.build(self.assets) for builder in self.builders], self.turn_of_node


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
        piece = _classify(tree.message(node_id), False, default_model)
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


_PRIVATE_SPAN = re.compile("\ue200[^\ue200\ue201]*\ue201")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# Any character the clean-up below would act on: private-use markers or a 【 citation.
_SPECIAL = re.compile("[\ue000-\uf8ff【]")
_BRACKET_MARKER = re.compile(r"【\d+(?::\d+)?(?:†[^【】\n]*)?】")
_WEB_REFERENCES = {"webpage", "webpage_extended", "grouped_webpages"}


def resolve_references(
    text: str, metadata: dict, sources: list[tuple[str, str]], *, use_offsets: bool = True
) -> str:
    """Replace citation markers with links and strip private-use characters, collecting sources.

    Offsets in `content_references` are trusted only when the text at them still matches
    `matched_text`; otherwise the matched text is searched for instead.
    """
    references = [r for r in metadata.get("content_references") or [] if isinstance(r, dict)]
    plain = text.isascii() or not _SPECIAL.search(text)
    if plain and not references and not metadata.get("citations"):
        return text  # nothing to link, nothing to strip
    spans: list[tuple[int, int, str]] = []
    searched: list[tuple[str, str]] = []
    for reference in references:
        kind = reference.get("type")
        if kind == "sources_footnote":
            for source in reference.get("sources") or []:
                _add_source(sources, source)
            if not reference.get("sources"):
                _add_search_results(sources, metadata)
            continue
        if kind in _WEB_REFERENCES:
            for source in _reference_sources(reference):
                _add_source(sources, source)
        matched = reference.get("matched_text")
        if not isinstance(matched, str) or not matched:
            continue
        replacement = _reference_replacement(reference)
        start, end = reference.get("start_idx"), reference.get("end_idx")
        if (
            use_offsets
            and isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start < end <= len(text)
            and _PRIVATE_USE.sub("", text[start:end]) == _PRIVATE_USE.sub("", matched)
        ):
            spans.append((start, end, replacement))
        else:
            searched.append((matched, replacement))
    if not references:
        spans.extend(_citation_spans(text, metadata, sources))
    for start, end, replacement in _without_overlaps(spans):
        if replacement.startswith(" (") and (start == 0 or text[start - 1].isspace()):
            replacement = replacement[1:]
        text = text[:start] + replacement + text[end:]
    for matched, replacement in searched:
        text = text.replace(matched, replacement, 1)
    text = _PRIVATE_SPAN.sub("", text)
    text = _BRACKET_MARKER.sub("", text)
    return _PRIVATE_USE.sub("", text)


def _citation_spans(
    text: str, metadata: dict, sources: list[tuple[str, str]]
) -> list[tuple[int, int, str]]:
    """Spans of `【7†source】` markers named by the older `citations` list."""
    spans = []
    for citation in metadata.get("citations") or []:
        if not isinstance(citation, dict):
            continue
        start, end = citation.get("start_ix"), citation.get("end_ix")
        details = _dict(citation.get("metadata"))
        url, title = details.get("url"), details.get("title")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            continue
        if not _BRACKET_MARKER.fullmatch(text[start:end]):
            continue
        link = _link(title, url)
        if link:
            _add_source(sources, details)
        spans.append((start, end, f" ({link})" if link else ""))
    return spans


def _without_overlaps(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Spans from last to first, dropping any that overlap one already kept."""
    kept: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], s[1]), reverse=True):
        if not kept or span[1] <= kept[-1][0]:
            kept.append(span)
    return kept


def _reference_replacement(reference: dict) -> str:
    kind = reference.get("type")
    if kind == "hidden":
        return ""
    if kind == "image_v2":
        links = [
            _link(f"Image: {image.get('title') or 'source'}", image.get("url"))
            for image in reference.get("images") or []
            if isinstance(image, dict)
        ]
        links = [link for link in links if link]
        return " ".join(links) + "\n\n" if links else ""
    links = [_link(title, url, short=True) for title, url in _reference_sources(reference)]
    links = [link for link in links if link]
    return f" ({', '.join(links)})" if links else ""


def _reference_sources(reference: dict) -> list[tuple[object, object]]:
    items = reference.get("items")
    if isinstance(items, list) and items:
        return [(i.get("title"), i.get("url")) for i in items if isinstance(i, dict)]
    return [(reference.get("title"), reference.get("url"))]


def _add_source(sources: list[tuple[str, str]], source: object) -> None:
    if isinstance(source, tuple):
        title, url = source
    elif isinstance(source, dict):
        title, url = source.get("title"), source.get("url")
    else:
        return
    url = _safe_url(url)
    if url and all(known != url for _, known in sources):
        sources.append((title if isinstance(title, str) and title.strip() else url, url))


def _add_search_results(sources: list[tuple[str, str]], metadata: dict) -> None:
    for group in metadata.get("search_result_groups") or []:
        for entry in _dict(group).get("entries") or []:
            _add_source(sources, entry)


def _link(title: object, url: object, *, short: bool = False) -> str:
    url = _safe_url(url)
    if not url:
        return ""
    if short or not isinstance(title, str) or not title.strip():
        label = re.sub(r"^www\.", "", url.split("/")[2])
    else:
        label = title
    return f"[{_alt(label)}]({url})"


def _safe_url(url: object) -> str:
    """The URL if it is http(s), made safe to sit inside Markdown parentheses."""
    if not isinstance(url, str) or not re.match(r"https?://[^/\s]", url):
        return ""
    return url.strip().replace(" ", "%20").replace("(", "%28").replace(")", "%29")


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


def _alt(text: str) -> str:
    """Text safe inside Markdown square brackets, on one line."""
    # Brackets become parentheses rather than escapes, which math delimiters would misread.
    flat = " ".join(text.split()).replace("\\", "/")
    return flat.replace("[", "(").replace("]", ")")


def _load_normalize_math() -> Callable[[str], str]:
    try:
        from blog.importers.mathnorm import normalize_math
    except ImportError:
        return lambda text: text
    return normalize_math


_normalize_math = _load_normalize_math()


def _model_name(slug: object) -> str | None:
    if not isinstance(slug, str) or not slug.strip() or slug == "auto":
        return None
    return slug.strip()


def _most_common_model(turns: list[ImportedTurn]) -> str | None:
    models = Counter(turn.model for turn in turns if turn.model)
    return models.most_common(1)[0][0] if models else None


def _timestamp(value: object) -> datetime | None:
    """A Unix time in seconds (or an ISO 8601 string) as an aware UTC datetime."""
    if isinstance(value, float) and 0 <= value < 32_503_680_000:  # the usual case, finite too
        return datetime.fromtimestamp(value, UTC)
    if _is_number(value) and 0 <= value < 32_503_680_000:  # up to the year 3000
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text_field(content: dict, key: str) -> str:
    value = content.get(key)
    return value if isinstance(value, str) else ""
