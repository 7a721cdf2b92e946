"""The speaker-marker layouts of Markdown conversations, and the code fences inside them.

A turn starts at a marker line: a heading (`## You`, `#### ChatGPT:`, `## 🤖 Assistant`),
a bold line (`**User:**`, `**👤 You:** text`, `### **🤖 ChatGPT (gpt-4o):**`) or a
`[You]: text` line. When a file names its speakers by other words (`## kekyo` /
`## chatgpt`), they are learned from the headings that alternate through it. A title,
a session line and `---` separators are metadata, not turns; a code fence an exporter
left open is closed at the next speaker line, with a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from blog.formats.blocks import timestamp
from blog.formats.text.speakers import Speaker, person_name, speaker_for
from blog.vocabulary import Role

FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_NAME = r"(?P<name>[^\W\d_][\w .\-]{0,40}?)"
_NAME_ONLY = re.compile(
    rf"^{_NAME}(?:[ \t]*\((?P<detail>[^()\n]{{1,40}})\))?(?:[ \t]+said)?[ \t]*(?P<colon>:)?$",
    re.IGNORECASE,
)
_DECORATION = re.compile(
    r"^[^\w\s*_#\[\]:]+\s*"
)  # an emoji before the name, as in "## 🤖 Assistant"
_HEADING = re.compile(r"^(#{1,6})[ \t]+")
_BRACKET_MARKER = re.compile(rf"^\[{_NAME}\]:(?:[ \t]+(?P<rest>.*))?$", re.IGNORECASE)
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TIME_LINE = re.compile(r'^<time datetime="(?P<when>[^"]+)"[^>]*>.*</time>[ \t]*$')
_SEPARATOR = re.compile(
    r"^[ \t]{0,3}(?:-[ \t]*){3,}$|^[ \t]{0,3}(?:\*[ \t]*){3,}$|^[ \t]{0,3}(?:_[ \t]*){3,}$"
)
_METADATA_LINE = re.compile(
    r"^[ \t]*(?:[*_]*[\w .-]{1,30}[*_]*:[ \t]*\S.*|[*_]?\d{4}-\d{2}-\d{2}.*)$"
)


@dataclass
class Block:
    role: str
    lines: list[str] = field(default_factory=list)
    speaker: str = ""
    model: str | None = None
    created_at: datetime | None = None
    quoted: bool = False
    hidden: bool = False
    alternative: bool = False  # another version of the turn before it
    text_format: str = ""  # how the turn is shown, when its marker says


@dataclass
class SpeakerLayout:
    """The turns of a speaker-marker file, with what had to be repaired to read them."""

    blocks: list[Block]
    preamble: str = ""  # metadata lines before the first turn (a session line, a date)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Marker:
    """A speaker line: who speaks, any text after the name, and when, if the line says."""

    speaker: Speaker
    rest: str = ""
    at: datetime | None = None


def marker_speaker(line: str) -> Marker | None:
    """The speaker a marker line names and any text that follows it on the same line."""
    named = _marker_name(line)
    if named is None:
        return None
    name, detail, rest, bare = named
    if rest:
        rest += line[len(line.rstrip()) :]  # the spaces ending it: a hard break, as written
    speaker = speaker_for(name)
    # A bold word alone on a line is a marker only when it names one side of the chat.
    if speaker is None or (bare and speaker.role not in (Role.USER, Role.ASSISTANT)):
        return None
    # Exporters write each message's time beside the name: `## ChatGPT (2025-08-27T02:42:03Z)`.
    if detail and (at := _detail_time(detail)):
        return Marker(speaker, rest, at)
    if detail and speaker.label:
        speaker = Speaker(speaker.role, f"{speaker.label} ({detail})")
    return Marker(speaker, rest)


def _detail_time(detail: str) -> datetime | None:
    """The time in a marker's parentheses, when that is all they hold (not a model name)."""
    return timestamp(detail.strip()) if _ISO_TIME.match(detail.strip()) else None


def _marker_name(line: str) -> tuple[str, str, str, bool] | None:
    """(name, detail in parentheses, text after) of a heading, bold or bracket marker line."""
    text = line.strip()
    bracket = _BRACKET_MARKER.match(text)
    if bracket:
        return bracket["name"], "", bracket["rest"] or "", False
    heading = _HEADING.match(text)
    if heading:
        text = text[heading.end() :].rstrip("# \t")
    text = _DECORATION.sub("", text)
    rest = ""
    bare = False  # a bold name with no colon at all: `**You**`
    if text.startswith(("**", "__")):
        closing = text.find(text[:2], 2)
        if closing < 0:
            return None
        inner, after = text[2:closing].strip(), text[closing + 2 :]
        if after.startswith(":"):
            rest = after[1:].strip()
        elif inner.endswith(":"):
            rest = after.strip()
        elif after.strip():
            return None
        else:
            bare = not heading
        text = _DECORATION.sub("", inner)
    elif not heading:
        return None
    match = _NAME_ONLY.match(text.strip())
    if match is None or (bare and match["colon"]):
        return None
    return match["name"].strip(), match["detail"] or "", rest, bare


def outside_fences(lines: list[str]) -> list[bool]:
    """For each line, whether it is outside any fenced code block (fence lines count as inside)."""
    flags: list[bool] = []
    closing: str | None = None
    for line in lines:
        fence = FENCE.match(line)
        if closing is None:
            flags.append(fence is None)
            if fence:
                closing = fence[1]
        else:
            flags.append(False)
            if closes(line, fence, closing):
                closing = None
    return flags


def closes(line: str, fence: re.Match[str] | None, opening: str) -> bool:
    """Whether a line closes a code block opened by the fence `opening`."""
    return (
        fence is not None
        and fence[1][0] == opening[0]
        and len(fence[1]) >= len(opening)
        and not line.strip().lstrip(opening[0])
    )


def ends_in_open_fence(lines: list[str]) -> bool:
    closing: str | None = None
    for line in lines:
        fence = FENCE.match(line)
        if closing is None:
            if fence:
                closing = fence[1]
        elif closes(line, fence, closing):
            closing = None
    return closing is not None


def speaker_blocks(lines: list[str], first_line: int = 1) -> SpeakerLayout | None:
    """Split on speaker markers; None when the text does not use them for both sides.

    `first_line` is the file's line number of `lines[0]`, for warnings."""
    lines = list(lines)
    warnings = _close_open_fences(lines, first_line)
    outside = outside_fences(lines)
    found = [
        (index, marker)
        for index, line in enumerate(lines)
        if outside[index] and (marker := marker_speaker(line)) is not None
    ]
    roles = {marker.speaker.role for _, marker in found}
    if Role.ASSISTANT not in roles or len(roles) < 2:
        found = _learned_markers(lines, outside)
        if not found:
            return None
    layout = SpeakerLayout([], warnings=warnings)
    preamble = lines[: found[0][0]]
    if any(line.strip() for line in preamble):
        if _is_metadata(preamble):
            layout.preamble = "\n".join(
                line for line in preamble if line.strip() and not _SEPARATOR.match(line)
            )
        elif _starts_with_heading(preamble):
            # A section of the author's own before the conversation (`## Notes`): their note.
            layout.blocks.append(Block(Role.NOTE, _without_separators(preamble)))
        else:
            # A copy that starts inside the first prompt has no marker before it.
            layout.blocks.append(Block(Role.USER, _without_separators(preamble)))
    for position, (index, marker) in enumerate(found):
        end = found[position + 1][0] if position + 1 < len(found) else len(lines)
        content = lines[index + 1 : end]
        block = Block(marker.speaker.role, speaker=marker.speaker.label, created_at=marker.at)
        if content and (time := _TIME_LINE.match(content[0].strip())):
            block.created_at = timestamp(time["when"])
            content = content[1:]
        block.lines = _without_separators(([marker.rest] if marker.rest else []) + content)
        layout.blocks.append(block)
    return layout


def _learned_markers(lines: list[str], outside: list[bool]) -> list[tuple[int, Marker]]:
    """Headings of one level naming two speakers in turn, as markers: `## kekyo` / `## chatgpt`.

    A name we know keeps its role and the other name takes the opposite one; when neither
    is known, whoever speaks first is the person.
    """
    headings: dict[str, list[tuple[int, str]]] = {}
    for index, line in enumerate(lines):
        heading = _HEADING.match(line.strip())
        if outside[index] and heading and (named := _marker_name(line)) is not None:
            headings.setdefault(heading[1], []).append((index, named[0]))
    for level in sorted(headings, key=len, reverse=True):
        found = headings[level]
        names = list(dict.fromkeys(name.lower() for _, name in found))
        if len(names) > 2:
            # Sections among the speakers (`## Hotfixes` inside a reply, `## Notes` before
            # the first turn): the speakers are the model's name and whoever speaks before it.
            found = _speakers_among_sections(found)
            names = list(dict.fromkeys(name.lower() for _, name in found))
        pairs = zip(found, found[1:], strict=False)
        alternating = all(a[1].lower() != b[1].lower() for a, b in pairs)
        if len(names) != 2 or len(found) < 2 or not alternating:
            continue
        known = {name: speaker_for(name) for name in names}
        if not any(known.values()) and len(found) < 4:
            continue  # two unknown headings once each are sections, not speakers
        roles = _learned_roles(names, known)
        if roles is None:
            continue
        labels = {name.lower(): name for _, name in found}
        # The person keeps the name the file gives them (`## kekyo`); a word such as
        # "You" leaves them to be shown under the author's name.
        return [
            (
                index,
                Marker(
                    Speaker(
                        roles[name.lower()],
                        person_name(labels[name.lower()])
                        if roles[name.lower()] == Role.USER
                        else labels[name.lower()],
                    )
                ),
            )
            for index, name in found
        ]
    return []


def _speakers_among_sections(found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The headings of one level that name the two speakers, when one is a model we know
    and the other is the heading that most often comes right before it; [] otherwise."""
    models = {
        name.lower()
        for _, name in found
        if (known := speaker_for(name)) is not None and known.role == Role.ASSISTANT
    }
    if len(models) != 1:
        return []
    (model,) = models
    before = Counter(
        a[1].lower()
        for a, b in zip(found, found[1:], strict=False)
        if b[1].lower() == model and a[1].lower() != model and speaker_for(a[1]) is None
    )
    if not before:
        return []
    person, _ = before.most_common(1)[0]
    kept = [(index, name) for index, name in found if name.lower() in (person, model)]
    counts = Counter(name.lower() for _, name in kept)
    # Two turns each at least: a heading named once beside the model is a section.
    return kept if counts[person] >= 2 and counts[model] >= 2 else []


def _learned_roles(names: list[str], known: dict[str, Speaker | None]) -> dict[str, str] | None:
    first, second = names
    known_roles = {name: speaker.role for name, speaker in known.items() if speaker}
    if len(known_roles) == 2:
        return known_roles if set(known_roles.values()) == {Role.USER, Role.ASSISTANT} else None
    if len(known_roles) == 1:
        (name, role), other = (
            next(iter(known_roles.items())),
            second if first in known_roles else first,
        )
        opposite = {Role.USER: Role.ASSISTANT, Role.ASSISTANT: Role.USER}.get(role)
        return {name: role, other: opposite} if opposite else None
    return {first: Role.USER, second: Role.ASSISTANT}


def _close_open_fences(lines: list[str], first_line: int) -> list[str]:
    """Close, in place, each code fence left open when a speaker line comes next.

    Only when the file shows the fault: it ends inside a fence (then any speaker line closes
    it, even when the fence swallowed every other speaker), or a fenced block holds one of the
    exact speaker lines the file uses outside its fences.
    """
    outside = outside_fences(lines)
    used = {
        line.strip()
        for line, out in zip(lines, outside, strict=True)
        if out and marker_speaker(line)
    }
    swallowed = any(
        not out and line.strip() in used for line, out in zip(lines, outside, strict=True)
    )
    ends_open = ends_in_open_fence(lines)
    if not (swallowed or ends_open):
        return []
    warnings: list[str] = []
    closing: str | None = None
    opened_at = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if closing is None:
            if fence:
                closing, opened_at = fence[1], index + first_line - len(warnings)
        elif closes(line, fence, closing):
            closing = None
        elif marker_speaker(line) is not None and (ends_open or line.strip() in used):
            lines.insert(_after_last_text(lines, index), closing)
            warnings.append(
                f"the code fence opened at line {opened_at} was never closed; "
                f"closed it at line {index + first_line - len(warnings)}, "
                "before the next speaker line"
            )
            closing = None
            index += 1
        index += 1
    if closing is not None:
        lines.insert(_after_last_text(lines, len(lines)), closing)
        warnings.append(
            f"the code fence opened at line {opened_at} was never closed; "
            "closed it at the end of the file"
        )
    return warnings


def _after_last_text(lines: list[str], index: int) -> int:
    """Where a closing fence goes: right after the last non-blank line before `index`."""
    while index > 0 and not lines[index - 1].strip():
        index -= 1
    return index


def _starts_with_heading(lines: list[str]) -> bool:
    first = next((line for line in lines if line.strip()), "")
    return bool(_HEADING.match(first.strip()))


def _is_metadata(preamble: list[str]) -> bool:
    """Lines before the first turn that describe the file: `Session: …`, a date, a separator."""
    filled = [line for line in preamble if line.strip()]
    if not filled:
        return False
    if _SEPARATOR.match(filled[-1]):
        return True
    return len(filled) <= 6 and all(
        _METADATA_LINE.match(line) or _SEPARATOR.match(line) for line in filled
    )


def _without_separators(lines: list[str]) -> list[str]:
    """A turn's lines without the `---` separators an exporter put between turns."""
    start, end = 0, len(lines)
    while start < end and (not lines[start].strip() or _SEPARATOR.match(lines[start])):
        start += 1
    while end > start and (not lines[end - 1].strip() or _SEPARATOR.match(lines[end - 1])):
        end -= 1
    return lines[start:end]
