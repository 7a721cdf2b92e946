"""Speaker names as exporters and copied pages write them, mapped to our roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

from blog.vocabulary import Role

_USER_NAMES = {"you", "user", "human", "me"}
_ASSISTANT_NAMES = {
    "assistant",
    "ai",
    "bot",
    "chatgpt",
    "claude",
    "gemini",
    "bard",
    "copilot",
    "bing",
    "llama",
    "mistral",
    "grok",
    "deepseek",
    "perplexity",
}
_ASSISTANT_PATTERN = re.compile(
    r"^(?:gpt-?[\w.-]*|o[1-9](?:-[\w.-]+)?|claude[\w .-]*|gemini[\w .-]*|llama[\w .-]*)$",
    re.IGNORECASE,
)
_TOOL_PATTERN = re.compile(r"^(?:tool|plugin|function)(?:\s*\([^)]*\))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Speaker:
    """Who speaks a turn: our role and the label to show (empty for the author)."""

    role: str
    label: str = ""


def person_name(name: str) -> str:
    """The name a source gives the person, or "" when it is only a word for them ("You", "User")."""
    label = name.strip()
    return "" if label.lower() in _USER_NAMES else label


def speaker_for(name: str) -> Speaker | None:
    """The role behind a speaker name such as "You", "ChatGPT" or "Plugin (x)", or None."""
    label = name.strip()
    key = label.lower()
    if key in _USER_NAMES:
        return Speaker(Role.USER)
    if key in _ASSISTANT_NAMES or _ASSISTANT_PATTERN.match(label):
        return Speaker(Role.ASSISTANT, label)
    if key == "system":
        return Speaker(Role.SYSTEM)
    if _TOOL_PATTERN.match(label):
        return Speaker(Role.TOOL, label)
    if key == "note":
        return Speaker(Role.NOTE)
    return None
