"""The words the whole application agrees on: turn roles and post statuses, defined once.

Models, formats, services and templates all import from here, so a role added for a new
kind of imported material is known everywhere at once.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who or what produced a turn."""

    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"  # a tool or browsing call, or its result
    NOTE = "note"  # the author's own note, added in the studio
    # Material a chat app shows folded (or not at all), kept as turns of their own kind
    # so the author can choose to show any of it.
    REASONING = "reasoning"
    CODE = "code"
    OUTPUT = "output"
    ATTACHMENT = "attachment"


class TextFormat(StrEnum):
    """How a turn's text is shown: as Markdown, or as typed (the chat app showed it so)."""

    MARKDOWN = "markdown"
    PLAIN = "plain"


TEXT_FORMATS: tuple[str, ...] = tuple(form.value for form in TextFormat)


class Status(StrEnum):
    """Who can see a post."""

    DRAFT = "draft"
    UNLISTED = "unlisted"
    PUBLISHED = "published"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
STATUSES: tuple[str, ...] = tuple(status.value for status in Status)

# Text written by a model (or run by one on its behalf): these turns need the author's review.
AI_ROLES: frozenset[str] = frozenset(
    {Role.ASSISTANT, Role.TOOL, Role.REASONING, Role.CODE, Role.OUTPUT}
)

# Kinds shown folded in a <details> block when the author shows them, with their label.
FOLDED_ROLES: dict[str, str] = {
    Role.REASONING: "Reasoning",
    Role.CODE: "Code",
    Role.OUTPUT: "Output",
    Role.TOOL: "Tool call",
    Role.ATTACHMENT: "Attachment",
}

# How readers are told about material an import kept but did not show (plural nouns).
HIDDEN_MATERIAL_NOUNS: dict[str, str] = {
    Role.REASONING: "reasoning",
    Role.CODE: "code cells",
    Role.OUTPUT: "code output",
    Role.TOOL: "tool calls",
    Role.ATTACHMENT: "attachments",
    Role.SYSTEM: "system messages",
}
# The same, for one of them ("1 tool call hidden"); the others read the same either way.
HIDDEN_MATERIAL_NOUN_ONE: dict[str, str] = {
    Role.CODE: "code cell",
    Role.TOOL: "tool call",
    Role.ATTACHMENT: "attachment",
    Role.SYSTEM: "system message",
}

ROLE_LABELS: dict[str, str] = {
    Role.USER: "User",
    Role.ASSISTANT: "Assistant",
    Role.SYSTEM: "System",
    Role.TOOL: "Tool",
    Role.NOTE: "Author's note",
    Role.REASONING: "Reasoning",
    Role.CODE: "Code",
    Role.OUTPUT: "Output",
    Role.ATTACHMENT: "Attachment",
}
