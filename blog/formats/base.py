"""Plain data every importer produces: no Flask, no database."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..vocabulary import ROLES, Role, TextFormat

__all__ = ["ROLES"]

# Apps that show the person's message as typed (plain text, every line kept) and the model's
# reply as Markdown. Other sources (datasets, Markdown files, web UIs that render both) are
# Markdown throughout.
TYPED_PROMPTS = frozenset(
    {
        "chatgpt",
        "claude",
        "claude-code",
        "codex",
        "copilot",
        "grok",
        "ai-studio",
        "deepseek",
        "gemini",
        "qwen",
        "perplexity",
    }
)


# The app or file kind each source is, as a reader knows it ("imported from Claude Code").
SOURCE_NAMES = {
    "ai-studio": "Google AI Studio",
    "chatgpt": "ChatGPT",
    "claude": "Claude",
    "claude-code": "Claude Code",
    "colloquy": "a Colloquy export",
    "codex": "Codex CLI",
    "copilot": "Microsoft Copilot",
    "deepseek": "DeepSeek",
    "gemini": "Gemini",
    "grok": "Grok",
    "librechat": "LibreChat",
    "markdown": "a Markdown file",
    "open-webui": "Open WebUI",
    "openai": "an OpenAI messages file",
    "pasted": "pasted text",
    "perplexity": "Perplexity",
    "qwen": "Qwen Chat",
    "sharegpt": "a ShareGPT file",
}


# Sources that are a coding agent's own session log: the agent named in "Made with" wrote it.
SESSION_LOGS = frozenset({"claude-code", "codex"})


def source_name(source_kind: str) -> str:
    """The source as readers know it; an unknown kind as it is recorded."""
    return SOURCE_NAMES.get(source_kind, source_kind)


def display_form(source_kind: str, role: str) -> str:
    """How a turn from this source is shown, as its app showed it."""
    if role == Role.USER and source_kind in TYPED_PROMPTS:
        return TextFormat.PLAIN
    return TextFormat.MARKDOWN


def version_span(versions: Iterable[str]) -> str:
    """The versions a log was written with: one as it is, several as "lowest–highest"."""
    seen = sorted({v for v in versions if v}, key=_version_key)
    if not seen:
        return ""
    return seen[0] if len(seen) == 1 else f"{seen[0]}–{seen[-1]}"


def _version_key(version: str) -> tuple:
    # "2.0.9" before "2.0.14": numbers compared as numbers, other parts as text.
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-+]", version)
    )


class ImportFormatError(ValueError):
    """The input is not something we can import; the message says what and where."""

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}" if where else message)


class NotAConversationFile(ImportFormatError):
    """A file that ships inside a known export but holds no conversations (account data,
    an image): listed as skipped when it comes with the export, refused when sent alone."""


ACCOUNT_DATA = "account data, not a conversation"


@dataclass
class ImportedAttachment:
    """A file referenced by a turn: an image or upload carried in the export."""

    name: str
    mime_type: str = "application/octet-stream"
    data: bytes | None = None  # None when the export does not include the file
    alt: str = ""


@dataclass
class ImportedTurn:
    """One visible turn of a conversation, in order."""

    role: str  # one of ROLES
    text: str  # Markdown source
    speaker: str = ""  # label shown to readers, e.g. "ChatGPT (gpt-4o)"
    model: str | None = None
    created_at: datetime | None = None
    attachments: list[ImportedAttachment] = field(default_factory=list)
    # Other versions of this turn (regenerations, edited prompts), oldest first;
    # the author may choose one of them instead of `text`.
    alternatives: list[str] = field(default_factory=list)
    # Kept but left out of publication by default (reasoning, tool output).
    hidden: bool = False
    # "markdown" or "plain" (shown as typed); empty: as `display_form` says for the source.
    text_format: str = ""


@dataclass
class ImportedConversation:
    """A conversation as read from an export, ready to be saved as a draft."""

    title: str
    turns: list[ImportedTurn]
    source_kind: str  # chatgpt, claude, sharegpt, openai, pasted, markdown
    source_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    model: str | None = None
    tags: list[str] = field(default_factory=list)
    summary: str = ""
    # The program that wrote the log (a coding agent: "Claude Code") and its version as the
    # log states it ("2.0.14", or "2.0.10–2.0.14" when the session spans several); empty
    # when the source names none.
    agent: str = ""
    agent_version: str = ""
    # What the reader had to repair to read it, e.g. a code fence left open.
    warnings: list[str] = field(default_factory=list, compare=False)

    def content_hash(self) -> str:
        """A stable fingerprint of the text, for recognising re-imports: blind to whitespace
        alone (lines broken or indented otherwise, blank lines, spaces at the ends), which
        files and readers keep more or less of; the text itself is stored as written."""
        return _fingerprint([(t.role, " ".join(t.text.split())) for t in self.turns])

    def earlier_content_hashes(self) -> list[str]:
        """The fingerprints imports stored before `content_hash` was blind to whitespace: of
        the exact text, which readers then gave with each turn's ends trimmed (`strip()`, or
        only blank lines: `strip("\n")`), so a post imported then is still recognised."""
        trims = (lambda text: text, str.strip, lambda text: text.strip("\n"))
        hashes = (_fingerprint([(t.role, trim(t.text)) for t in self.turns]) for trim in trims)
        return list(dict.fromkeys(hashes))


def _fingerprint(payload: list[tuple[str, str]]) -> str:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
