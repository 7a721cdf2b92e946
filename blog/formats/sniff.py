"""The format table and the sniffers: which format a file is, judged from its first bytes.

Every format we read is named in FORMATS, and each JSON format's parser in JSON_PARSERS: a
table, so that adding a format is one line here and a parser module beside it. Sniffing
reads only a head of the file (64 KiB, then 4 MiB for JSON it cannot yet place), because
uploads can be far larger than what it takes to recognise them.
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import ijson
import re2

from blog.formats.archive import sniff_image_type
from blog.formats.base import ImportedConversation, ImportFormatError, NotAConversationFile
from blog.formats.claude.code import parse_claude_code
from blog.formats.claude.export import parse_claude
from blog.formats.codex.rollout import parse_codex
from blog.formats.colloquy_json import parse_colloquy_json
from blog.formats.copilot import looks_like_copilot_csv
from blog.formats.deepseek import parse_deepseek
from blog.formats.google.ai_studio import parse_ai_studio
from blog.formats.google.gemini_activity import parse_gemini_activity
from blog.formats.google.gemini_html import looks_like_gemini_html
from blog.formats.grok import parse_grok
from blog.formats.json_stream import is_premature_end, json_problem
from blog.formats.librechat import parse_librechat
from blog.formats.limits import GuardedReader
from blog.formats.open_webui import parse_open_webui
from blog.formats.openai_messages import parse_openai_messages
from blog.formats.perplexity.markdown_export import looks_like_perplexity_markdown
from blog.formats.perplexity.threads import parse_perplexity
from blog.formats.qwen import parse_qwen
from blog.formats.sharegpt import parse_sharegpt
from blog.formats.text.pasted import looks_pasted
from blog.formats.unsupported import known_but_unread

FORMATS = (
    "zip",
    "chatgpt",
    "claude",
    "claude-code",
    "codex",
    "open-webui",
    "librechat",
    "grok",
    "ai-studio",
    "deepseek",
    "gemini",
    "qwen",
    "perplexity",
    "sharegpt",
    "openai",
    "colloquy",
    "chatgpt-html",
    "gemini-html",
    "perplexity-md",
    "copilot",
    "pasted",
    "markdown",
)
# Each JSON format's reader: items (conversation objects or log lines) -> conversations.
JSON_PARSERS: dict[str, Callable[[Iterable[object]], Iterator[ImportedConversation]]] = {
    "claude": parse_claude,
    "claude-code": parse_claude_code,
    "codex": parse_codex,
    "open-webui": parse_open_webui,
    "librechat": parse_librechat,
    "grok": parse_grok,
    "ai-studio": parse_ai_studio,
    "deepseek": parse_deepseek,
    "gemini": parse_gemini_activity,
    "qwen": parse_qwen,
    "perplexity": parse_perplexity,
    "sharegpt": parse_sharegpt,
    "openai": parse_openai_messages,
    "colloquy": parse_colloquy_json,
}
JSON_FORMATS = ("chatgpt", *JSON_PARSERS)
# Files of independent records, where a record that is no conversation is skipped and named.
ITEM_FORMATS = {"sharegpt", "openai"}
# Session logs: every line of the file belongs to one conversation.
_LOG_TYPES = {
    "claude-code": {
        "user",
        "assistant",
        "summary",
        "system",
        # A newer log may open with many of these before its first prompt.
        "attachment",
        "progress",
        "file-history-snapshot",
        "queue-operation",
        "permission-mode",
    },
    "codex": {"session_meta", "response_item", "event_msg", "turn_context", "compacted"},
}
HEAD_BYTES = 64 * 1024
LONG_HEAD_BYTES = 4 * 1024 * 1024
_SNIFF_EVENTS = 50_000
# Files of other kinds that people upload by mistake, by their first bytes.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file (unpack it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive (upload a .zip instead)"),
    (b"Rar!", "a RAR archive (upload a .zip instead)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"MZ", "a Windows program"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"OggS", "an Ogg audio file"),
    (b"ID3", "an MP3 audio file"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
)
_IMAGE_NAMES = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
# A file named as text may start with "[" or "{" and be no JSON: `[You]: …` speaker lines,
# or front matter written as JSON.
TEXT_SUFFIXES = {".md", ".markdown", ".mdown", ".txt", ".text"}
_HTML_SUFFIXES = {".html", ".htm"}
# Files in ChatGPT and Claude exports that hold account data, not conversations.
_NOT_CONVERSATIONS = {
    "user.json",
    "users.json",
    "projects.json",
    "memories.json",
    "message_feedback.json",
    "model_comparisons.json",
    "shared_conversations.json",
    "export_manifest.json",
    "user_settings.json",
    "group_chats.json",
    "sora.json",
    "shopping.json",
    "prod-mc-auth-mgmt-api.json",
    "prod-mc-billing.json",
}
# Keys that mark the account files of an export (users, memories, projects, settings).
_ACCOUNT_KEYS = {
    "email_address",
    "verified_phone_number",
    "conversations_memory",
    "project_memories",
    "prompt_template",
    "is_starter_project",
    "chatgpt_plus_user",
    "birth_year",
}
# RE2: on long runs of blank lines, backtracking retried the whole run from every line.
_PASTED_MARKER = re2.compile(r"(?m)^\s*(?:#{1,6}\s*)?(?:You said:|ChatGPT said:)\s*$")
# Headings, blockquotes or front matter: written as Markdown, not copied from a page.
_MARKDOWN_MARKS = re.compile(r"\A(?:---|\+\+\+)\s*$|^#{1,6}\s+\S|^>", re.MULTILINE)
_CHAT_HTML = re.compile(r"var\s+jsonData\s*=|<title>\s*ChatGPT Data Export\s*</title>", re.I)
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]", re.I)


@dataclass
class Sniffed:
    """What the first bytes say: the format and, for JSON, where the conversations sit."""

    format: str
    # ijson prefix of each conversation ("item", "", "conversations.item"), or
    # "jsonl" (one per line) or "whole" (the entire value is one conversation).
    shape: str = ""
    notes: list[str] = field(default_factory=list)


def is_account_file(name: str) -> bool:
    """Whether the file is one of an export's account files, known by its name alone."""
    return PurePosixPath(name).name.lower() in _NOT_CONVERSATIONS


def sniff(
    head: bytes, where: str, *, complete: bool, filename: str = "", final: bool = False
) -> Sniffed:
    """Classify the first bytes of a file (`complete` when they are the whole file).

    JSON that a first head cannot place is "json-unknown" unless `final`: the caller then
    sniffs a longer head (a ChatGPT export whose first title is 100k characters long).
    """
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed("zip")
    image = sniff_image_type(head)
    if image:
        # Exports ship their images beside the conversations.
        raise NotAConversationFile(
            f"this looks like {_IMAGE_NAMES[image]}, not a conversation export", where
        )
    for magic, description in _MAGIC:
        if head.startswith(magic):
            raise ImportFormatError(
                f"this looks like {description}, not a conversation export", where
            )
    if head[4:8] == b"ftyp":
        raise ImportFormatError(
            "this looks like a video or HEIC image, not a conversation export", where
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFormatError(
            "the file is saved as UTF-16; save it as UTF-8 and try again", where
        )
    text = _decode_head(head, where)
    stripped = text.lstrip("\ufeff \t\r\n")
    suffix = PurePosixPath(filename).suffix.lower()
    if not stripped:
        raise ImportFormatError("the file is empty", where)
    if stripped[0] in "[{":
        try:
            return _sniff_json(head, where, complete=complete, final=final)
        except ImportFormatError:
            if suffix not in TEXT_SUFFIXES or (complete and _parses_as_json(stripped)):
                raise  # JSON after all, of no format we know: its own message says so
    if suffix in JSON_SUFFIXES:
        raise ImportFormatError("the file is named .json but does not contain JSON", where)
    if looks_like_copilot_csv(stripped):
        return Sniffed("copilot")
    if _CHAT_HTML.search(stripped[:HEAD_BYTES]):
        return Sniffed("chatgpt-html")
    if _HTML_START.match(stripped) or suffix in _HTML_SUFFIXES:
        if looks_like_gemini_html(stripped[:HEAD_BYTES]):
            return Sniffed("gemini-html")
        if refusal := known_but_unread(stripped[:HEAD_BYTES], filename):
            raise ImportFormatError(refusal, where)
        raise ImportFormatError(
            "this is an HTML page, not a conversation export (from a ChatGPT export, "
            "upload the whole zip or its conversations.json)",
            where,
        )
    if looks_like_perplexity_markdown(text):
        return Sniffed("perplexity-md")
    if _PASTED_MARKER.search(text):
        return Sniffed("pasted")
    if not _MARKDOWN_MARKS.search(text) and looks_pasted(text):
        return Sniffed("pasted")
    return Sniffed("markdown")


def _parses_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _decode_head(head: bytes, where: str) -> str:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The head may end in the middle of a multi-byte character, and so may a log
        # still being written; whoever reads the whole text says if that matters.
        if exc.start < len(head) - 3 or exc.reason != "unexpected end of data":
            raise ImportFormatError(
                f"this is not UTF-8 text (invalid byte at position {exc.start:,}); "
                "it may be a binary file or use another encoding",
                where,
            ) from exc
        text = head[: exc.start].decode("utf-8")
    controls = sum(1 for char in text[:4096] if ord(char) < 32 and char not in "\t\n\r\f")
    if "\x00" in text or controls > len(text[:4096]) // 20:
        raise ImportFormatError("this is binary data, not a conversation export", where)
    return text


def _sniff_json(head: bytes, where: str, *, complete: bool, final: bool) -> Sniffed:
    """Classify JSON from the keys seen in its first bytes (a truncated head is expected)."""
    keys: dict[str, set[str]] = defaultdict(set)
    strings: dict[str, str] = {}
    line_types: set[str] = set()
    first_event = ""
    top_level_values = event_count = 0
    problem: ijson.JSONError | None = None
    guard = GuardedReader(io.BytesIO(head), where, len(head) + 1, 64)
    events = ijson.parse(io.BufferedReader(guard), multiple_values=True)
    try:
        for count, (prefix, event, value) in enumerate(events):
            event_count = count + 1
            if count == 0:
                first_event = event
            if event == "map_key":
                keys[prefix].add(value)
            elif event == "string" and prefix in ("format", "item.format"):
                strings[prefix] = value
            elif event == "string" and prefix == "type":
                line_types.add(value)
            elif event in ("start_map", "start_array") and prefix == "":
                top_level_values += 1
            if count > _SNIFF_EVENTS:
                break
    except ijson.JSONError as exc:
        problem = exc
    if complete and problem is None and event_count == 2 and top_level_values == 1:
        return Sniffed("empty")
    fmt, shape = _classify_log(keys, line_types) or _classify_json(first_event, keys, strings)
    # A recognised file with a mistake further on fails while reading, which says where.
    if problem is not None and fmt is None and (complete or not is_premature_end(problem)):
        raise ImportFormatError(json_problem(problem), where)
    if fmt is None and _ACCOUNT_KEYS & (keys.get("", set()) | keys.get("item", set())):
        return Sniffed("account")
    if fmt is None:
        if not final and not complete:
            return Sniffed("json-unknown")
        if refusal := known_but_unread(head.decode("utf-8", "replace"), where):
            raise ImportFormatError(refusal, where)
        # Judged from a head only: a long value at the start may hide the keys that would tell.
        judged = "" if complete else f", judging by its first {len(head):,} bytes"
        raise ImportFormatError(
            f"this JSON is not a conversation format we know{judged} (expected a ChatGPT or Claude "
            "export, a Claude Code or Codex session log, an Open WebUI, LibreChat, Grok, "
            "DeepSeek or Qwen export, Gemini's activity from Google Takeout, a saved "
            "Perplexity thread, a Google AI Studio prompt, ShareGPT, or OpenAI-style messages)",
            where,
        )
    if shape == "" and top_level_values > 1:
        shape = "jsonl"
    return Sniffed(fmt, shape)


def _classify_log(keys: dict[str, set[str]], line_types: set[str]) -> tuple[str, str] | None:
    """A Claude Code or Codex session log: JSON lines of one session."""
    own = keys.get("", set())
    if line_types & _LOG_TYPES["codex"] and "payload" in own:
        return "codex", "jsonl"
    if {"instructions", "id", "timestamp"} <= own and "sessionId" not in own:
        return "codex", "jsonl"
    claude_code_keys = {"sessionId", "leafUuid", "parentUuid", "session_id"}
    if line_types & _LOG_TYPES["claude-code"] and own & claude_code_keys:
        return "claude-code", "jsonl"
    return None


def _classify_json(
    first_event: str, keys: dict[str, set[str]], strings: dict[str, str]
) -> tuple[str | None, str]:
    if first_event == "start_array":
        fmt = _classify_object(keys, "item", strings.get("item.format"))
        if fmt:
            return fmt, "item"
        item_keys = keys.get("item", set())
        if {"header", "title", "time"} <= item_keys:
            return "gemini", "item"  # Google My Activity: the reader keeps Gemini's records
        if "role" in item_keys:
            return "openai", "whole"
        if item_keys & {"from", "value"}:
            return "sharegpt", "whole"
        if "role" in keys.get("item.item", set()):
            return "openai", "item"
        return None, ""
    if first_event == "start_map":
        fmt = _classify_object(keys, "", strings.get("format"))
        if fmt:
            return fmt, ""
        if "conversations" in keys.get("", set()):
            fmt = _classify_object(keys, "conversations.item", None)
            if fmt:
                return fmt, "conversations.item"
        if {"chat_session", "chat_messages"} <= keys.get("data.biz_data", set()):
            # A DeepSeek conversation as its page loads it, saved by a browser exporter.
            return "deepseek", "data.biz_data"
        if "data" in keys.get("", set()):
            # Qwen Chat's export wraps its chats (Open WebUI's shape) in `{"success", "data"}`.
            fmt = _classify_object(keys, "data.item", None)
            if fmt in ("qwen", "open-webui"):
                return "qwen", "data.item"
    return None, ""


def _classify_object(
    keys: dict[str, set[str]], prefix: str, format_value: str | None
) -> str | None:
    """Which format an object with these keys belongs to, by the keys only that format uses."""
    own = keys.get(prefix, set())
    inner = f"{prefix}." if prefix else ""
    if {"conversation", "responses"} <= own:
        return "grok"
    if "chunkedPrompt" in own:
        return "ai-studio"
    if "mapping" in own and "inserted_at" in own:
        return "deepseek"
    if "mapping" in own:
        return "chatgpt"
    if "chat_messages" in own:
        return "claude"
    if "chat" in own and keys.get(f"{inner}chat", set()) & {"history", "messages"}:
        return "qwen" if _qwen_marks(keys, inner) else "open-webui"
    if "entries" in own and "query_str" in keys.get(f"{inner}entries.item", set()):
        return "perplexity"
    if "messagesTree" in own and "conversationId" in own:
        return "librechat"
    if "messages" in own and (
        "conversationId" in own
        or keys.get(f"{inner}messages.item", set()) & {"messageId", "isCreatedByUser"}
    ):
        return "librechat"
    if format_value == "colloquy":
        return "colloquy"
    if "conversations" in own and keys.get(f"{inner}conversations.item", set()) & {"from", "value"}:
        return "sharegpt"
    if "messages" in own and "role" in keys.get(f"{inner}messages.item", {"role"}):
        return "openai"
    return None


# Keys of Qwen Chat's messages that Open WebUI's do not have.
_QWEN_MESSAGE_KEYS = {"content_list", "chat_type", "sub_chat_type", "feature_config"}


def _qwen_marks(keys: dict[str, set[str]], inner: str) -> bool:
    """Whether a chat in Open WebUI's shape is Qwen Chat's, by its messages' own keys."""
    if "chat_type" in keys.get(inner.rstrip("."), set()):
        return True
    tree = f"{inner}chat.history.messages."
    flat = f"{inner}chat.messages.item"
    return any(
        (prefix.startswith(tree) or prefix == flat) and found & _QWEN_MESSAGE_KEYS
        for prefix, found in keys.items()
    )
