"""Markdown conversations: the blockquote post layout and the speaker-marker layouts exporters write.

Blockquote layout (a Hugo post): the person's prompts are plain paragraphs and the
AI's replies are `> ` blockquotes. A turn that is neither a plain prompt nor an
assistant reply with the default speaker is announced by a marker line

    <!-- turn {"role": "note", "speaker": "Editor"} -->

followed by the turn as a blockquote (or a plain prompt, whose marker says how it is shown:
`"text_format": "plain"`); `blog.formats.writing.to_markdown` writes these markers.

Speaker-marker layouts: headings (`## You`, `#### ChatGPT:`, `## 🤖 Assistant`), bold
lines (`**User:**`, `**You:** text`), `[You]: text` lines and `_Prompt_:` lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

import re2

from blog.formats.base import ImportedConversation, ImportedTurn, ImportFormatError
from blog.formats.blocks import as_written, timestamp, tool_call_text
from blog.formats.chatgpt.dumps import read_dumps
from blog.formats.chatgpt.turns import sandbox_links_as_text
from blog.formats.naming import title_from_turns
from blog.formats.text.frontmatter import (
    FrontMatter,
    date_value,
    list_value,
    split_front_matter,
    text_value,
)
from blog.formats.text.speaker_layout import FENCE as _FENCE
from blog.formats.text.speaker_layout import Block as _Block
from blog.formats.text.speaker_layout import closes as _closes
from blog.formats.text.speaker_layout import ends_in_open_fence as _ends_in_open_fence
from blog.formats.text.speaker_layout import marker_speaker as _marker_speaker
from blog.formats.text.speaker_layout import outside_fences as _outside_fences
from blog.formats.text.speaker_layout import speaker_blocks
from blog.formats.text.speakers import speaker_for
from blog.markdown import names_nothing
from blog.vocabulary import ROLES, TEXT_FORMATS, Role

UNTITLED = "Untitled conversation"
# Code, program output and tool calls are kept exactly as written.
_MODEL_KEYS = ("model", "modelName", "model_name")
TURN_MARKER_PREFIX = "<!-- turn "
TURN_MARKER_SUFFIX = " -->"

_TURN_MARKER = re.compile(r"^<!-- turn (\{.*\}) -->[ \t]*$")
# RE2: a long heading line of "# # # ..." took time quadratic in its length.
_TITLE_HEADING = re2.compile(r"^#[ \t]+(.+?)[ \t#]*$")
# claude-conversation-extractor's Markdown: its heading, session lines and tool calls.
_EXTRACTOR_HEADING = "# Claude Conversation Log"
_SESSION_ID_LINE = re.compile(r"^Session ID:[ \t]*(?P<id>\S+)$")
_DATE_LINE = re.compile(r"^Date:[ \t]*(?P<when>\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?)$")
_SEPARATOR_LINE = re.compile(r"^-{3,}$")
_TOOL_USE_PREFIX = "🔧 Using tool: "
_PROMPT_MARKER = re.compile(r"^(?:_Prompt_|\*Prompt\*|\*\*Prompt\*\*):[ \t]*(?P<rest>.*)$")


@dataclass
class MarkdownLayout:
    """What a byte-identical re-export needs beyond the turns themselves."""

    front_matter: str = ""  # the front matter block exactly as written, up to the first turn
    newline: str = "\n"
    byte_order_mark: bool = False
    final_newline: bool = True


def parse_markdown(text: str, filename: str = "") -> ImportedConversation:
    """Read a conversation written as Markdown, in the blockquote or a speaker-marker layout."""
    where = filename or "Markdown"
    front_matter, body = split_front_matter(_clean(text))
    values = front_matter.values
    title = text_value(values, "title")
    model = text_value(values, *_MODEL_KEYS) or None
    default_speaker = default_assistant_speaker(values)
    lines = body.split("\n")
    body_starts = front_matter.raw.count("\n") + 1 if front_matter.raw else 1
    before_title = len(lines)
    extracted, lines = _extractor_header(lines)
    heading_title, lines = ("", lines) if extracted else _take_title_heading(lines, title)
    body_starts += before_title - len(lines)
    if not extracted:
        title = title or heading_title or (PurePath(filename).stem if filename else "")

    warnings: list[str] = []
    preamble = ""
    layout = speaker_blocks(lines, body_starts)
    blocks = layout.blocks if layout is not None else None
    if layout is not None:
        warnings, preamble = layout.warnings, layout.preamble
    if blocks is None:
        blocks = _prompt_blocks(lines)
    if blocks is None:
        blocks = _blockquote_blocks(lines, where)
    if extracted:
        blocks = _extractor_tool_calls(blocks)
    turns = _with_alternatives(blocks, default_speaker, model)
    turns, dump_warnings = read_dumps([turn for turn in turns if turn.text.strip()])
    warnings = warnings + dump_warnings
    if not turns:
        raise ImportFormatError(
            "no conversation turns found: write the AI's replies as '> ' blockquotes "
            "or mark each turn with a heading such as '## You' / '## ChatGPT'",
            where,
        )
    return ImportedConversation(
        title=title or title_from_turns(turns),
        turns=turns,
        source_kind="markdown",
        source_id=extracted.session_id if extracted else None,
        created_at=date_value(values, "date", "created", "create_time", "time")
        or (extracted.date if extracted else None),
        updated_at=date_value(values, "lastmod", "updated", "update_time"),
        model=model,
        tags=list_value(values, "tags"),
        summary=text_value(values, "summary", "description") or preamble,
        agent=text_value(values, "agent"),
        agent_version=text_value(values, "agent_version"),
        warnings=warnings,
    )


@dataclass(frozen=True)
class ExtractorHeader:
    """What the header of claude-conversation-extractor's Markdown says about the session."""

    session_id: str | None
    date: datetime | None


def _extractor_header(lines: list[str]) -> tuple[ExtractorHeader | None, list[str]]:
    """The `# Claude Conversation Log` header with its `Session ID:` and `Date:` lines, as
    facts, and the lines after it; (None, lines) when the file does not start with one.

    The heading names the tool's output, not the conversation (and reads as a speaker
    named "Claude…"), so the title comes from the first prompt."""
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    if start == len(lines) or lines[start].strip() != _EXTRACTOR_HEADING:
        return None, lines
    session_id, date = None, None
    index = start + 1
    while index < len(lines):
        line = lines[index].strip()
        if found := _SESSION_ID_LINE.match(line):
            session_id = found["id"]
        elif found := _DATE_LINE.match(line):
            date = timestamp(found["when"])
        elif line and not _SEPARATOR_LINE.match(line):
            break
        index += 1
    return ExtractorHeader(session_id, date), lines[index:]


def _extractor_tool_calls(blocks: list[_Block]) -> list[_Block]:
    """Claude's messages as the extractor writes them, its tool calls (`🔧 Using tool: X`
    then `Input: {json}`) split off as hidden tool turns, as Claude Code folds them."""
    split: list[_Block] = []
    for block in blocks:
        if block.role != Role.ASSISTANT:
            split.append(block)
            continue
        current = _Block(block.role, speaker=block.speaker, created_at=block.created_at)
        index = 0
        while index < len(block.lines):
            line = block.lines[index]
            if not line.startswith(_TOOL_USE_PREFIX):
                current.lines.append(line)
                index += 1
                continue
            end = _tool_input_end(block.lines, index + 1)
            split.append(current)
            split.append(
                _Block(
                    Role.TOOL,
                    _tool_call_lines(block.lines[index:end]),
                    speaker="Tool call",
                    created_at=block.created_at,
                    hidden=True,
                )
            )
            current = _Block(block.role, speaker=block.speaker, created_at=block.created_at)
            index = end
        split.append(current)
    return [b for b in split if any(line.strip() for line in b.lines)]


def _tool_call_lines(lines: list[str]) -> list[str]:
    """`🔧 Using tool: X` / `Input: {json}` as the tool's name and its input in a JSON
    block, the way every other reader writes a tool call."""
    name = lines[0].removeprefix(_TOOL_USE_PREFIX).strip()
    given = "\n".join(lines[1:]).removeprefix("Input: ").strip("\n")
    text = tool_call_text(name, given) if given else f"`{name}`"
    return text.split("\n")


def _tool_input_end(lines: list[str], index: int) -> int:
    """Where a tool call's `Input:` JSON (indented by two, closed by `}` alone) ends."""
    if index >= len(lines) or not lines[index].startswith("Input: "):
        return index
    if lines[index].rstrip() != "Input: {":
        return index + 1  # `Input: {}` or a value on one line
    for end in range(index + 1, len(lines)):
        if lines[end].rstrip() == "}":
            return end + 1
        if lines[end].startswith(_TOOL_USE_PREFIX):
            return end  # never closed: it ends where the next call starts, so reading stays linear
    return len(lines)


def default_assistant_speaker(values: dict[str, object]) -> str:
    """The label of unmarked replies: front matter `speaker`, else the model, else none."""
    return text_value(values, "speaker") or text_value(values, *_MODEL_KEYS)


def reads_as_plain_prompt(text: str) -> bool:
    """Whether text written unquoted in the blockquote layout reads back as exactly this prompt."""
    lines = text.split("\n")
    if not text.strip() or _TITLE_HEADING.match(text.lstrip("\n").split("\n", 1)[0]):
        return False
    outside_flags = _outside_fences(lines)
    if _ends_in_open_fence(lines):
        return False  # the open fence would swallow the turns after it
    for line, outside in zip(lines, outside_flags, strict=True):
        if not outside:
            continue
        if (
            line.startswith(">")
            or _TURN_MARKER.match(line)
            or _PROMPT_MARKER.match(line)
            or _marker_speaker(line) is not None
        ):
            return False
    return True


def markdown_layout(text: str) -> MarkdownLayout:
    """The front matter text and newline conventions of a Markdown file, for re-exporting it unchanged."""
    cleaned = _clean(text)
    front_matter, body = split_front_matter(cleaned)
    leading_blank = body[: len(body) - len(body.lstrip("\n"))]
    return MarkdownLayout(
        front_matter=front_matter.raw + leading_blank if front_matter.raw else "",
        newline="\r\n" if "\r\n" in text else "\n",
        byte_order_mark=text.startswith("\ufeff"),
        final_newline=cleaned.endswith("\n"),
    )


def turn_marker(
    role: str,
    speaker: str = "",
    model: str | None = None,
    *,
    hidden: bool = False,
    alternative: bool = False,
    text_format: str = "",
) -> str:
    """The comment line announcing a turn the blockquote layout cannot express by itself,
    or (`alternative`) another version of the turn before it: a regenerated reply, an
    edited prompt. `text_format` says how the turn is shown, when not as Markdown."""
    payload: dict[str, object] = {"role": str(role)}
    if speaker:
        payload["speaker"] = speaker
    if model:
        payload["model"] = model
    if hidden:
        payload["hidden"] = True
    if alternative:
        payload["alternative"] = True
    if text_format:
        payload["text_format"] = text_format
    # Escaping ">" keeps "-->" in a speaker name from closing the comment early.
    encoded = json.dumps(payload, ensure_ascii=False).replace(">", "\\u003e")
    return f"{TURN_MARKER_PREFIX}{encoded}{TURN_MARKER_SUFFIX}"


def _clean(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _take_title_heading(lines: list[str], title: str) -> tuple[str, list[str]]:
    """Use a leading `# Title` as the title, or drop it when it repeats the front matter title."""
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        match = _TITLE_HEADING.match(line)
        if match and speaker_for(match[1].rstrip(":")) is None:
            heading = match[1].strip()
            if not title and names_nothing(heading):
                break  # a heading of braces or boilerplate names nothing: the prompt will
            if not title or heading == title:
                return heading, lines[index + 1 :]
        break
    return "", lines


def _turn(block: _Block, default_speaker: str, model: str | None) -> ImportedTurn:
    text = as_written("\n".join(block.lines))
    if block.role in (Role.USER, Role.ASSISTANT) and "](sandbox:" in text:
        text = sandbox_links_as_text(text)  # as ChatGPT exporters print its replies
    speaker = block.speaker
    if block.role == Role.ASSISTANT and not speaker:
        speaker = default_speaker
    return ImportedTurn(
        role=block.role,
        text=text,
        speaker=speaker,
        model=block.model or (model if block.role == Role.ASSISTANT else None),
        created_at=block.created_at,
        hidden=block.hidden,
        text_format=block.text_format,
    )


def _with_alternatives(
    blocks: list[_Block], default_speaker: str, model: str | None
) -> list[ImportedTurn]:
    """The blocks as turns, each alternative block kept as another version of the turn
    before it (one with nothing before it stands as a turn: it is text all the same)."""
    turns: list[ImportedTurn] = []
    for block in blocks:
        turn = _turn(block, default_speaker, model)
        if block.alternative and turns and turn.text.strip():
            turns[-1].alternatives.append(turn.text)
        else:
            turns.append(turn)
    return turns


def _prompt_blocks(lines: list[str]) -> list[_Block] | None:
    """The `_Prompt_:` layout: the prompt runs to the first blank line, the reply to the next marker."""
    outside = _outside_fences(lines)
    blocks: list[_Block] = []
    current: _Block | None = None
    for index, line in enumerate(lines):
        match = _PROMPT_MARKER.match(line) if outside[index] else None
        if match:
            current = _Block(Role.USER, [match["rest"]] if match["rest"].strip() else [])
            blocks.append(current)
        elif current is None:
            if line.strip():
                return None  # text before the first marker: not this layout
        elif (
            current.role == Role.USER and not line.strip() and any(s.strip() for s in current.lines)
        ):
            current = _Block(Role.ASSISTANT)
            blocks.append(current)
        else:
            current.lines.append(line)
    return blocks or None


def _blockquote_blocks(lines: list[str], where: str) -> list[_Block]:
    """The Hugo layout: plain paragraphs are prompts, `>` runs are replies."""
    layout = _BlockquoteLayout(where)
    for number, line in enumerate(lines, start=1):
        layout.read(number, line)
    blocks = layout.blocks
    if not layout.saw_quote and not any(block.lines for block in blocks if block.role != Role.USER):
        raise ImportFormatError(_no_turns_message(lines), where)
    return blocks


class _BlockquoteLayout:
    """The blockquote layout read a line at a time: a blank line only counts once the next
    text line shows which block it belongs to, and a code fence in a prompt hides `>` and
    turn markers."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.blocks: list[_Block] = []
        self.saw_quote = False
        self._current: _Block | None = None
        self._pending_blank = 0
        self._announced: _Block | None = None  # a block opened by a turn marker, still empty
        self._closing: str | None = None  # the fence of an open code block in a prompt

    def read(self, number: int, line: str) -> None:
        in_prompt_fence = self._closing is not None
        if in_prompt_fence and _closes(line, _FENCE.match(line), self._closing):
            self._closing = None
        marker = None if in_prompt_fence else _TURN_MARKER.match(line)
        if marker:
            self._announced = _announced_block(marker[1], self.where, number)
            self.blocks.append(self._announced)
            self._current, self._pending_blank = None, 0
        elif not line.strip():
            self._pending_blank += 1
        elif not in_prompt_fence and line.startswith(">"):
            self._reply_line(line[2:] if line.startswith("> ") else line[1:])
        else:
            self._prompt_line(line, in_prompt_fence)

    def _reply_line(self, text: str) -> None:
        self.saw_quote = True
        if self._current is None or not self._current.quoted:
            self._current = self._start(Role.ASSISTANT)
            self._current.quoted = True
            self._pending_blank = 0
        self._current.lines.extend([""] * self._pending_blank + [text])
        self._pending_blank = 0

    def _prompt_line(self, line: str, in_prompt_fence: bool) -> None:
        current = self._current
        # A plain line right after a reply line is a lazy continuation of the quote.
        if current is not None and current.quoted and self._pending_blank == 0:
            current.lines.append(line)
            return
        if current is None or current.quoted:
            current = self._current = self._start(Role.USER)
            current.quoted = False
            self._pending_blank = 0
        current.lines.extend([""] * self._pending_blank + [line])
        if not in_prompt_fence and (fence := _FENCE.match(line)):
            self._closing = fence[1]
        self._pending_blank = 0

    def _start(self, role: str) -> _Block:
        """The block a marker announced, if one waits for its text, else a new one."""
        if self._announced is not None:
            block, self._announced = self._announced, None
            return block
        block = _Block(role)
        self.blocks.append(block)
        return block


def _no_turns_message(lines: list[str]) -> str:
    """Why the text could not be split, naming the headings it does have."""
    headings = [
        line.strip()
        for line, outside in zip(lines, _outside_fences(lines), strict=True)
        if outside and line.startswith("#")
    ]
    if not headings:
        return (
            "no conversation turns found: the text has no '> ' blockquoted replies and no "
            "speaker headings such as '## You' / '## ChatGPT', so it cannot be split into turns"
        )
    shown = ", ".join(f"'{heading[:40]}'" for heading in dict.fromkeys(headings[:6]))
    return (
        f"no conversation turns found: its headings ({shown}) do not name two speakers "
        "taking turns, and it has no '> ' blockquoted replies"
    )


def _announced_block(payload: str, where: str, number: int) -> _Block:
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    role = data.get("role") if isinstance(data, dict) else None
    if role not in ROLES:
        raise ImportFormatError(f"line {number}: unreadable turn marker {payload!r}", where)
    text_format = data.get("text_format") or ""
    if text_format not in ("", *TEXT_FORMATS):
        raise ImportFormatError(
            f"line {number}: unknown text_format {text_format!r} in a turn marker; "
            f"expected one of {', '.join(TEXT_FORMATS)}",
            where,
        )
    return _Block(
        role,
        speaker=str(data.get("speaker") or ""),
        model=data.get("model") or None,
        hidden=data.get("hidden") is True,
        alternative=data.get("alternative") is True,
        text_format=text_format,
    )


__all__ = [
    "FrontMatter",
    "MarkdownLayout",
    "default_assistant_speaker",
    "markdown_layout",
    "parse_markdown",
    "reads_as_plain_prompt",
    "turn_marker",
]
