"""Write a conversation back out: as a blockquote Markdown post, or as Colloquy JSON.

Markdown (`to_markdown`) uses the Hugo post layout that `parse_markdown` reads: front
matter, each prompt as written, each reply with every line prefixed by `> `, one blank
line between turns. A turn that layout cannot express on its own (a system, tool or
note turn; a reply whose speaker or model differs from the post's; a prompt that itself
contains `>` lines or speaker headings; two turns of the same kind in a row) is written
as a blockquote preceded by a marker line such as

    <!-- turn {"role": "note", "speaker": "Editor"} -->

A hidden turn, and every turn of another kind (reasoning, code, output, tool, attachment),
is always written this way, with `"hidden": true` when the turn is hidden, so the role and
the flag come back on re-import. Quoting every line keeps any fence or `>` inside a turn
from ending it early.

A turn shown otherwise than the reader would decide (a prompt shown as typed, as a chat app
shows it) says so in its marker, `"text_format": "plain"`; a prompt that reads back as
itself keeps its unquoted layout, the marker line above it. The front matter names the
program that wrote a session's log, `agent` and `agent_version`, as the JSON does.

Another version of a turn (a regenerated reply, an edited prompt) follows it, marked
`"alternative": true`, and is read back as one of that turn's alternatives.

Turns with empty text are left out, as the importer would drop them anyway.

JSON (`to_json`) is the lossless form, read back by `blog.formats.colloquy_json`:

    {"format": "colloquy", "version": 1, "title": str, "source_kind": str,
     "source_id": str | null, "created_at": RFC 3339 | null, "updated_at": ... ,
     "model": str | null, "tags": [str], "summary": str,
     "agent": str, "agent_version": str,    (only when the source named its agent)
     "turns": [{"role", "speaker", "model", "text", "created_at", "hidden",
                "alternatives": [str],
                "attachments": [{"name", "mime_type", "alt", "data": base64 | null}]}]}
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from datetime import datetime, time

import yaml

from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    display_form,
)
from blog.formats.text.frontmatter import split_front_matter
from blog.formats.text.markdown import (
    MarkdownLayout,
    default_assistant_speaker,
    reads_as_plain_prompt,
    turn_marker,
)
from blog.vocabulary import Role

COLLOQUY_FORMAT = "colloquy"
COLLOQUY_VERSION = 1
MARKDOWN_SOURCE = "markdown"  # the source every Markdown file is read as


def to_markdown(conversation: ImportedConversation, layout: MarkdownLayout | None = None) -> str:
    """The conversation as a blockquote Markdown post; `layout` keeps an imported file's own front matter."""
    if layout is not None and layout.front_matter:
        front_matter = layout.front_matter
        values = split_front_matter(front_matter)[0].values
        default_speaker = default_assistant_speaker(values)
    else:
        speaker = _usual_assistant_speaker(conversation)
        front_matter = _front_matter(conversation, speaker)
        default_speaker = speaker or conversation.model or ""
    written: list[str] = []
    previous = ""
    for turn in conversation.turns:
        if not turn.text.strip():
            continue
        text_format = _format_to_mark(turn, conversation)
        form = _form(turn, conversation, default_speaker, previous, text_format)
        if form == "plain":
            # A prompt keeps its unquoted layout; a marker above it says how it is shown.
            marker = turn_marker(turn.role, text_format=text_format) + "\n" if text_format else ""
            written.append(marker + turn.text.strip("\n"))
        elif form == "quoted":
            written.append(_quote(turn.text))
        else:
            model = _model_to_mark(turn, conversation)
            marker = turn_marker(
                turn.role, turn.speaker, model, hidden=turn.hidden, text_format=text_format
            )
            written.append(marker + "\n" + _quote(turn.text))
        previous = form
        for other in turn.alternatives:
            if other.strip():
                marker = turn_marker(turn.role, alternative=True)
                written.append(marker + "\n" + _quote(other))
                previous = "marked"
    text = front_matter + "\n\n".join(written)
    final_newline = layout.final_newline if layout is not None else True
    if final_newline:
        text += "\n"
    if layout is not None:
        text = text.replace("\n", layout.newline)
        if layout.byte_order_mark:
            text = "\ufeff" + text
    return text


def to_json(conversation: ImportedConversation) -> str:
    """The conversation as Colloquy JSON, the shape described in this module's docstring."""
    document = {
        "format": COLLOQUY_FORMAT,
        "version": COLLOQUY_VERSION,
        "title": conversation.title,
        "source_kind": conversation.source_kind,
        "source_id": conversation.source_id,
        "created_at": _iso(conversation.created_at),
        "updated_at": _iso(conversation.updated_at),
        "model": conversation.model,
        "tags": list(conversation.tags),
        "summary": conversation.summary,
        # The program that wrote a session's log, when the source named it.
        **({"agent": conversation.agent} if conversation.agent else {}),
        **({"agent_version": conversation.agent_version} if conversation.agent_version else {}),
        "turns": [_turn_document(turn) for turn in conversation.turns],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _turn_document(turn: ImportedTurn) -> dict[str, object]:
    return {
        "role": turn.role,
        "speaker": turn.speaker,
        "model": turn.model,
        "text": turn.text,
        "created_at": _iso(turn.created_at),
        "hidden": turn.hidden,
        "alternatives": list(turn.alternatives),
        "attachments": [_attachment_document(item) for item in turn.attachments],
        # Written when decided; without it, the reader decides by the source, as on import.
        **({"text_format": turn.text_format} if turn.text_format else {}),
    }


def _attachment_document(attachment: ImportedAttachment) -> dict[str, object]:
    data = base64.b64encode(attachment.data).decode("ascii") if attachment.data else None
    return {
        "name": attachment.name,
        "mime_type": attachment.mime_type,
        "alt": attachment.alt,
        "data": data,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _format_to_mark(turn: ImportedTurn, conversation: ImportedConversation) -> str:
    """How the turn is shown, when the Markdown reader would decide otherwise ("" when not)."""
    # The reader takes every unmarked turn for Markdown: a file's source is not kept.
    shown = turn.text_format or display_form(conversation.source_kind, turn.role)
    return shown if shown != display_form(MARKDOWN_SOURCE, turn.role) else ""


def _form(
    turn: ImportedTurn,
    conversation: ImportedConversation,
    speaker: str,
    previous: str,
    text_format: str,
) -> str:
    """How a turn is written: "plain" (a prompt, marked above when `text_format` is set),
    "quoted" or "marked" (a marker line, then quoted)."""
    if turn.hidden:
        return "marked"
    if (
        turn.role == Role.USER
        and not turn.speaker
        and previous != "plain"
        and reads_as_plain_prompt(turn.text)
    ):
        return "plain"
    if (
        turn.role == Role.ASSISTANT
        and turn.speaker == speaker
        and turn.model in (None, conversation.model)
        and not text_format
        and previous not in ("quoted", "marked")
    ):
        return "quoted"
    return "marked"


def _model_to_mark(turn: ImportedTurn, conversation: ImportedConversation) -> str | None:
    """The model a marker names: left out only where the reader gives the turn the post's own."""
    # The reader gives the post's model to replies alone, so a reasoning or tool turn of the
    # same model names it, or it would come back with none.
    if turn.role == Role.ASSISTANT and turn.model == conversation.model:
        return None
    return turn.model


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.strip("\n").split("\n"))


def _usual_assistant_speaker(conversation: ImportedConversation) -> str:
    speakers = Counter(turn.speaker for turn in conversation.turns if turn.role == Role.ASSISTANT)
    return speakers.most_common(1)[0][0] if speakers else ""


def _front_matter(conversation: ImportedConversation, speaker: str) -> str:
    lines = ["---", f"title: {_yaml_scalar(conversation.title)}"]
    if conversation.created_at is not None:
        lines.append(f"date: {_rfc3339(conversation.created_at)}")
    if conversation.updated_at is not None:
        lines.append(f"lastmod: {_rfc3339(conversation.updated_at)}")
    if conversation.tags:
        lines.append("tags:")
        lines.extend(f"  - {_yaml_scalar(tag)}" for tag in conversation.tags)
    if conversation.model:
        lines.append(f"model: {_yaml_scalar(conversation.model)}")
    if speaker and speaker != (conversation.model or ""):
        lines.append(f"speaker: {_yaml_scalar(speaker)}")
    if conversation.agent:
        lines.append(f"agent: {_yaml_scalar(conversation.agent)}")
    if conversation.agent_version:
        lines.append(f"agent_version: {_yaml_scalar(conversation.agent_version)}")
    if conversation.summary:
        lines.append(f"summary: {_yaml_scalar(conversation.summary)}")
    if conversation.source_kind != MARKDOWN_SOURCE:
        # A Markdown post needs no note of its source: it is one.
        lines.append(f"source: {_yaml_scalar(conversation.source_kind)}")
        if conversation.source_id:
            lines.append(f"source_id: {_yaml_scalar(conversation.source_id)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _rfc3339(moment: datetime) -> str:
    """RFC 3339 with offset; a date read without an offset is written back without one, not guessed."""
    if moment.tzinfo is None and moment.time() == time():
        return moment.date().isoformat()
    timespec = "seconds" if moment.microsecond == 0 else "microseconds"
    return moment.isoformat(timespec=timespec)


def _yaml_scalar(value: str) -> str:
    """The value as a plain YAML scalar when that reads back unchanged, else double-quoted."""
    try:
        plain_reads_back = yaml.load(f"k: {value}", Loader=yaml.BaseLoader) == {"k": value}  # noqa: S506
    except yaml.YAMLError:
        plain_reads_back = False
    if plain_reads_back and "\n" not in value and value.strip() == value:
        return value
    return json.dumps(value, ensure_ascii=False)
