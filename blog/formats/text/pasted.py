"""Text a person copied from a ChatGPT or Claude conversation page and pasted.

Turns start at role lines: `You said:` / `ChatGPT said:` (also as `#####` headings, as
a rich-text paste turns them into), or `You:` / `ChatGPT:` / `Human:` / `Claude:` lines.
The page's own words that ride along with a copy (buttons such as "Copy code" and
"Edit", branch counters like "2/2", model labels like "4o", the footer "ChatGPT can make
mistakes. Check important info." wherever it stands on a line of its own, and everything
after it at the end) are dropped. Markdown
formatting lost by the copy cannot be recovered; the author fixes it in the preview.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from blog.formats.base import ImportedConversation, ImportedTurn, ImportFormatError
from blog.formats.blocks import as_written
from blog.formats.naming import title_from_turns
from blog.vocabulary import Role

_ROLE_LINE = re.compile(
    r"^(?:#{1,6}[ \t]*)?(?P<name>You|ChatGPT|Human|Claude|User|Assistant)"
    r"(?P<said>[ \t]+said)?:[ \t]*(?P<rest>.*)$"
)
# The name on a role line, lowercased: our role and the speaker label it gives.
_ROLES = {
    "you": (Role.USER, ""),
    "user": (Role.USER, ""),
    "human": (Role.USER, ""),
    "chatgpt": (Role.ASSISTANT, "ChatGPT"),
    "assistant": (Role.ASSISTANT, "Assistant"),
    "claude": (Role.ASSISTANT, "Claude"),
}
_INLINE_NAMES = {"You", "ChatGPT", "Human", "Claude"}
# The page's footer, in its versions: "ChatGPT can make mistakes. Check important info.",
# "… See Cookie Preferences.". Copied in the middle when a page is pasted in two selections.
_FOOTER = re.compile(r"^(?:ChatGPT|Claude) can make mistakes\.(?: [^\n]{0,120})?$")
# Lines after which nothing belongs to the conversation any more.
_TRAILING_CHROME = {
    "Answer in chat instead",
    "ChatGPT can make mistakes. Check important info.",
    "ChatGPT can make mistakes. Consider checking important information.",
    "ChatGPT is still generating a response...",
    "Claude can make mistakes. Please double-check responses.",
    "Claude can make mistakes. Please double-check cited sources.",
}
# Button captions and status lines, dropped wherever they stand on a line of their own.
_CHROME_LINES = {
    "Skip to content",
    "Copy",
    "Copy code",
    "Edit",
    "Retry",
    "Share",
    "Updated saved memory",
    "Memory updated",
    "Claude does not have the ability to run the code it generates yet.",
}
# Composer buttons that sit just above the footer, dropped at the end of a turn.
_FOOTER_BUTTONS = {"Search", "Reason", "Deep research", "Create image", "Tools", "?"}
_GLUED_CAPTION = re.compile(r"^[\w+#.-]{1,20}(?:Copy code|CopyEdit|Copy)$")
_LANGUAGE_LABEL = re.compile(r"^[a-z][\w+#.-]{0,19}$")
_BRANCH_COUNTER = re.compile(r"^\d{1,3}/\d{1,3}$")
_MODEL_LABEL = re.compile(
    r"^(?:ChatGPT|GPT-?[\d.]+o?(?: mini)?|[1-9]o(?: mini)?|o[1-9](?:-mini|-pro| mini| pro)?)$",
    re.IGNORECASE,
)
_REASONING_LABEL = re.compile(r"^(?:Thought|Reasoned|Thinking) for .{1,40}$")


@dataclass
class _Turn:
    role: str
    speaker: str
    lines: list[str] = field(default_factory=list)
    model: str | None = None


def looks_pasted(text: str) -> bool:
    """Whether the text has the role lines of a copied ChatGPT or Claude page for both sides."""
    roles = {
        _ROLES[match["name"].lower()][0]
        for line in _lines(text)
        if (match := _role_line(line, "")) and not match["rest"]
    }
    return roles == {Role.USER, Role.ASSISTANT}


def parse_pasted(text: str) -> ImportedConversation:
    """Split copied conversation text into turns, dropping the page's buttons and footer."""
    lines = _cut_trailing_chrome(_lines(text))
    turns: list[_Turn] = []
    preamble: list[str] = []
    previous = ""
    for line in lines:
        match = _role_line(line, previous)
        previous = line
        if match:
            role, speaker = _ROLES[match["name"].lower()]
            turns.append(_Turn(role, speaker, [match["rest"]] if match["rest"] else []))
        elif turns:
            turns[-1].lines.append(line)
        else:
            preamble.append(line)
    if not turns:
        raise ImportFormatError(
            "no conversation turns found: expected lines such as 'You said:' and "
            "'ChatGPT said:' (or 'You:' / 'ChatGPT:') before each message",
            "pasted text",
        )
    if turns[0].role == Role.ASSISTANT:
        # The selection started inside the first prompt, so its role line was not copied.
        turns.insert(
            0,
            _Turn(Role.USER, "", [line for line in preamble if line.strip() not in _CHROME_LINES]),
        )
    imported = [turn for turn in (_finish(turn) for turn in turns) if turn.text]
    if not imported:
        raise ImportFormatError("the pasted turns are all empty", "pasted text")
    models = [turn.model for turn in imported if turn.model]
    return ImportedConversation(
        title=title_from_turns(imported),
        turns=imported,
        source_kind="pasted",
        model=models[0] if models else None,
    )


def _role_line(line: str, previous: str) -> re.Match[str] | None:
    """A role line; one with the message on the same line ("You: hi") only after a blank line."""
    match = _ROLE_LINE.match(line.strip())
    if match is None or not match["rest"]:
        return match
    after_break = not previous.strip() or previous.strip() in _CHROME_LINES
    inline_allowed = after_break and not match["said"] and match["name"] in _INLINE_NAMES
    return match if inline_allowed else None


def _lines(text: str) -> list[str]:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _cut_trailing_chrome(lines: list[str]) -> list[str]:
    """Drop the footer and whatever follows it (a canvas panel, a streaming notice)."""
    last_role_line = max(
        (index for index, line in enumerate(lines) if _role_line(line, "")), default=0
    )
    for index in range(last_role_line, len(lines)):
        if lines[index].strip() in _TRAILING_CHROME or _FOOTER.match(lines[index].strip()):
            return lines[:index]
    return lines


def _finish(turn: _Turn) -> ImportedTurn:
    lines = turn.lines
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped in _CHROME_LINES or _GLUED_CAPTION.match(stripped) or _FOOTER.match(stripped):
            continue
        if _LANGUAGE_LABEL.match(stripped) and _next_is_caption(lines, index):
            continue  # the language name in a code block's header
        kept.append(line)
    kept = _trim_edges(kept, turn)
    text = as_written("\n".join(kept))
    return ImportedTurn(
        role=turn.role,
        text=text,
        speaker=turn.speaker,
        model=turn.model,
    )


def _next_is_caption(lines: list[str], index: int) -> bool:
    following = next((line.strip() for line in lines[index + 1 :] if line.strip()), "")
    return following in ("Copy", "Copy code", "Edit")


def _trim_edges(lines: list[str], turn: _Turn) -> list[str]:
    """Drop blank lines, avatar and model labels, reasoning labels and branch counters at both ends."""
    while lines and (not lines[0].strip() or _edge_noise(lines[0].strip(), turn)):
        lines = lines[1:]
    while lines and (
        not lines[-1].strip()
        or _BRANCH_COUNTER.match(lines[-1].strip())
        or lines[-1].strip() in _FOOTER_BUTTONS
    ):
        lines = lines[:-1]
    return lines


def _edge_noise(line: str, turn: _Turn) -> bool:
    if _BRANCH_COUNTER.match(line):
        return True
    if turn.role != Role.ASSISTANT:
        return False
    if _MODEL_LABEL.match(line):
        if line.lower() != "chatgpt" and turn.model is None:
            turn.model = line
        return True
    return bool(_REASONING_LABEL.match(line))
