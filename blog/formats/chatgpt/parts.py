"""One message of a ChatGPT conversation as the piece of transcript it contributes.

A message's `content_type` and author decide what it is: a prompt or a reply (text and
images), reasoning, code sent to the sandbox and its output, a tool's answer or what a browsing
tool read, a canvas document; private context and internal state are dropped here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from blog.formats.blocks import as_written, fence, timestamp
from blog.formats.chatgpt.citations import resolve_references
from blog.vocabulary import Role

TOOL_SPEAKER = "Tool"
REASONING_SPEAKER = "ChatGPT (reasoning)"

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
_REASONING_CONTENT = {"thoughts", "reasoning_recap"}
_SPOKEN_CONTENT = {"text", "multimodal_text"}
_TOOL_CONTENT = {"code", "execution_output"}
KNOWN_CONTENT = (
    _PRIVATE_CONTENT | _BROWSING_CONTENT | _REASONING_CONTENT | _SPOKEN_CONTENT | _TOOL_CONTENT
)
# o1-preview wrote its visible "thinking" summaries as a tool with this opaque name.
_REASONING_AUTHORS = {"a8km123"}
# The `author.role` of a prompt or a reply, as ChatGPT spells it -> our role.
_SPEAKING_AUTHORS = {"user": Role.USER, "assistant": Role.ASSISTANT}
_IMAGE_DISPLAYED = "<<ImageDisplayed>>"


@dataclass
class ImageBlock:
    """An image where it stood among a message's text; the pointer names its file in the export."""

    pointer: str
    alt: str


@dataclass
class Piece:
    """What one message contributes: visible text, images, or a hidden block.

    `kind` says how it joins the turns: a prompt or a reply (`Role.USER`, `Role.ASSISTANT`),
    images a tool made that go with the reply ("tool_images"), or a folded turn of its own
    ("hidden").
    """

    kind: str  # Role.USER, Role.ASSISTANT, "tool_images" or "hidden"
    blocks: list[str | ImageBlock] = field(default_factory=list)
    role: str = Role.ASSISTANT
    speaker: str = ""
    model: str | None = None
    created_at: datetime | None = None
    continued: bool = False
    sources: list[tuple[str, str]] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    then: Piece | None = None  # a second piece the same message yields


def message_piece(message: dict | None, default_model: str | None) -> Piece | None:
    """What a message contributes to the transcript, or None when it holds nothing to keep."""
    if message is None:
        return None
    metadata = _dict(message.get("metadata"))
    content = _dict(message.get("content"))
    author = _dict(message.get("author"))
    role = author.get("role")
    kind = content_kind(content)
    recipient = message.get("recipient") or "all"
    model = model_name(metadata.get("model_slug")) or default_model
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
    if kind not in _SPOKEN_CONTENT:
        return None
    blocks = _part_blocks(content.get("parts"), role)
    images = [block for block in blocks if isinstance(block, ImageBlock)]
    if role == "tool":
        return _tool_message(blocks, images, _tool_name(author), created, model)
    said = _SPEAKING_AUTHORS.get(role) if isinstance(role, str) else None
    if said is None:
        return None
    if recipient != "all":
        return _addressed(blocks, str(recipient), created, model)
    return _said(said, blocks, images, metadata, created, model)


def content_kind(content: dict) -> str | None:
    """A message's `content_type`; None when it is missing or not a name."""
    kind = content.get("content_type")
    return kind if isinstance(kind, str) else None


def unknown_kind(message: dict | None) -> str | None:
    """How to name a message this reader has no rule for (its `content_type`), or None
    when it knows the kind or the chat never showed the message."""
    if message is None:
        return None
    content = _dict(message.get("content"))
    kind = content_kind(content)
    if kind in KNOWN_CONTENT or _dict(message.get("author")).get("role") == "system":
        return None
    if _dict(message.get("metadata")).get("is_visually_hidden_from_conversation"):
        return None
    if kind is None and not content:
        return None  # an empty stub: nothing was there to show
    if kind is None:
        return "unreadable content type" if "content_type" in content else "no content type"
    return kind


def _said(
    role: str,
    blocks: list[str | ImageBlock],
    images: list[ImageBlock],
    metadata: dict,
    created: datetime | None,
    model: str | None,
) -> Piece | None:
    """A prompt or a reply as the chat showed it; an upload-only prompt names its files."""
    sources: list[tuple[str, str]] = []
    if role == Role.ASSISTANT:
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
        if role != Role.USER or not files:
            return None
        blocks = [f"[Uploaded: {', '.join(_file_name(meta) for meta in files)}]"]
    finish = _dict(metadata.get("finish_details")).get("type")
    return Piece(
        role,
        blocks,
        role=role,
        model=model if role == Role.ASSISTANT else None,
        created_at=created,
        continued=finish in _UNFINISHED or metadata.get("is_complete") is False,
        sources=sources,
        files=files,
    )


def _code_call(
    content: dict, recipient: object, created: datetime | None, model: str | None
) -> Piece | None:
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
    blocks: list[str | ImageBlock], recipient: str, created: datetime | None, model: str | None
) -> Piece | None:
    """A message to a tool rather than to the user: a canvas document, or a tool call."""
    text = "".join(b for b in blocks if isinstance(b, str))
    if recipient.startswith("canmore.create_textdoc"):
        canvas = _canvas_text(blocks)
        if canvas:
            return Piece(Role.ASSISTANT, [canvas], model=model, created_at=created)
    return _kept(Role.TOOL, f"Tool call ({recipient})", text, created, model)


def _tool_message(
    blocks: list[str | ImageBlock],
    images: list[ImageBlock],
    name: str,
    created: datetime | None,
    model: str | None,
) -> Piece | None:
    """A tool's answer: its text kept folded, its images shown with the reply."""
    text = "".join(b for b in blocks if isinstance(b, str))
    shown = Piece("tool_images", images, model=model, created_at=created) if images else None
    kept = _kept(Role.TOOL, name, text, created, model)
    if kept is None:
        return shown
    kept.then = shown
    return kept


def _kept(
    role: str, speaker: str, text: str, created: datetime | None, model: str | None
) -> Piece | None:
    """Material the chat app folded or hid, kept as a hidden turn of its own kind."""
    if not text.strip():
        return None
    return Piece("hidden", [text], role=role, speaker=speaker, model=model, created_at=created)


def _tool_name(author: dict) -> str:
    name = author.get("name")
    return f"Tool ({name})" if isinstance(name, str) and name else TOOL_SPEAKER


def _browsing_text(content: dict) -> str:
    """A browsing result or quote as text: its title and address, then what was read."""
    if content.get("content_type") == "tether_quote":
        title, url = _text_field(content, "title"), _text_field(content, "url")
        heading = " — ".join(part for part in (title, url) if part)
        body = as_written(_text_field(content, "text"))
        return f"{heading}\n\n{body}" if heading else body
    return _text_field(content, "result")


def _file_name(meta: dict) -> str:
    name = meta.get("name")
    return name if isinstance(name, str) and name else str(meta.get("id", "file"))


def _part_blocks(parts: object, role: object) -> list[str | ImageBlock]:
    """Text parts joined as written, with each image as its own block."""
    blocks: list[str | ImageBlock] = []
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, str):
            text = part
        elif isinstance(part, dict) and part.get("content_type") == "audio_transcription":
            text = part.get("text") if isinstance(part.get("text"), str) else ""
        elif isinstance(part, dict) and part.get("content_type") == "image_asset_pointer":
            pointer = part.get("asset_pointer")
            if isinstance(pointer, str) and pointer:
                blocks.append(ImageBlock(pointer, _image_alt(part, role)))
            continue
        else:
            continue
        if blocks and isinstance(blocks[-1], str):
            blocks[-1] += text
        else:
            blocks.append(text)
    return blocks


VOICE = "voice recording"
UNTRANSCRIBED = "untranscribed voice recording"
_MEDIA_PARTS = {
    "audio_asset_pointer": VOICE,
    "real_time_user_audio_video_asset_pointer": VOICE,
    "video_container_asset_pointer": "video",
}
_READ_PARTS = {"audio_transcription", "image_asset_pointer"}


def parts_left_out(message: dict | None) -> list[str]:
    """What a shown message's parts held that no rule here reads: its voice recordings and
    videos (their spoken words come in `audio_transcription` parts and are kept), and any
    part of an unknown kind."""
    if message is None or content_kind(_dict(message.get("content"))) not in _SPOKEN_CONTENT:
        return []
    parts = [p for p in _dict(message.get("content")).get("parts") or [] if isinstance(p, dict)]
    transcribed = any(
        p.get("content_type") == "audio_transcription" and _text_field(p, "text").strip()
        for p in parts
    )
    left: list[str] = []
    for part in parts:
        kind = part.get("content_type")
        if kind not in _READ_PARTS:
            what = _MEDIA_PARTS.get(kind, str(kind))
            left.append(UNTRANSCRIBED if what == VOICE and not transcribed else what)
    return left


def kind_warning(kind: str, count: int) -> str:
    """The import report's line for `count` messages of a kind no rule here reads."""
    many = count > 1
    return (
        f"{count} message{'s' if many else ''} of a kind this importer does not "
        f'show ("{kind}") {"were" if many else "was"} left out'
    )


def parts_warning(what: str, count: int) -> str:
    """The import report's line for `count` parts of one kind left out."""
    plural = "s" if count > 1 else ""
    if what == VOICE:
        return f"{count} voice recording{plural} left out: the words spoken are kept as text"
    if what == UNTRANSCRIBED:
        return f"{count} voice recording{plural} left out, with no transcript in the export"
    if what == "video":
        return f"{count} video{plural} left out"
    return f'{count} part{plural} of a kind this importer does not show ("{what}") left out'


def _image_alt(part: dict, role: object) -> str:
    dalle = _dict(_dict(part.get("metadata")).get("dalle"))
    prompt = dalle.get("prompt")
    if isinstance(prompt, str) and prompt.strip():
        return prompt.strip()
    return "Uploaded image" if role == "user" else "Generated image"


def _execution_output(
    content: dict, metadata: dict, created: datetime | None, model: str | None
) -> Piece | None:
    images = [
        ImageBlock(message["image_url"], "Plot")
        for message in _dict(metadata.get("aggregate_result")).get("messages") or []
        if isinstance(message, dict)
        and message.get("message_type") == "image"
        and isinstance(message.get("image_url"), str)
    ]
    output = _text_field(content, "text").replace(_IMAGE_DISPLAYED, "").strip("\n")
    # Plots stay visible with the reply even though the output text around them is folded.
    shown = Piece("tool_images", images, model=model, created_at=created) if images else None
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
            body = as_written(body)
            sections.append(f"**{summary.strip()}**\n\n{body}" if summary.strip() else body)
        return "\n\n".join(section for section in sections if section)
    if content.get("content_type") == "reasoning_recap":
        return _text_field(content, "content")
    parts = content.get("parts")
    return "".join(p for p in parts if isinstance(p, str)) if isinstance(parts, list) else ""


def _canvas_text(blocks: list[str | ImageBlock]) -> str:
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


def model_name(slug: object) -> str | None:
    """The model a slug names; "auto" names none, as the app chose the model per message."""
    if not isinstance(slug, str) or not slug.strip() or slug == "auto":
        return None
    return slug.strip()


def _dict(value: object) -> dict:
    """The value if it is a JSON object, else an empty one: a missing field reads as empty."""
    return value if isinstance(value, dict) else {}


def _text_field(content: dict, key: str) -> str:
    value = content.get(key)
    return value if isinstance(value, str) else ""
