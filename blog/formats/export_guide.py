"""Where to get each source's file: the import page's guide, one entry per source kind.

README.md's "Where to get your export" says the same by hand; `tests/test_documented.py` checks
that both name every source in `base.SOURCE_NAMES`. Paths of menus are as the apps showed them
when written; where an app moves its menus between versions, the entry says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from blog.formats.base import source_name


@dataclass(frozen=True)
class ExportSource:
    """One source and how to get its file; `how` marks file names and paths with backticks."""

    kind: str
    how: str

    @property
    def name(self) -> str:
        """The source as readers know it, as a heading: "ChatGPT", "A Markdown file"."""
        name = source_name(self.kind)
        return name[:1].upper() + name[1:]

    def parts(self) -> list[tuple[str, bool]]:
        """`how` as pieces of text, each with whether it is code (a path or file name)."""
        pieces = re.split(r"`([^`]*)`", self.how)
        return [(piece, index % 2 == 1) for index, piece in enumerate(pieces) if piece]


EXPORT_GUIDE: tuple[ExportSource, ...] = (
    ExportSource(
        "chatgpt",
        "Settings → Data controls → Export data. OpenAI emails a link to a zip: upload the zip "
        "(or the `conversations.json` inside it).",
    ),
    ExportSource(
        "claude",
        "Settings → Privacy → Export data, on the web or desktop app. Upload the zip from the "
        "emailed link (or its `conversations.json`).",
    ),
    ExportSource(
        "claude-code",
        "The session logs in `~/.claude/projects/<project>/` (`*.jsonl`): upload one, or zip the "
        "project's folder so each sub-agent's work comes with it.",
    ),
    ExportSource(
        "codex",
        "The session logs in `~/.codex/sessions/YYYY/MM/DD/`, one `rollout-*.jsonl` per session.",
    ),
    ExportSource(
        "grok",
        "grok.com → Settings → Download your data (in recent versions under the account "
        "settings). Upload the zip, or the `prod-grok-backend.json` inside it.",
    ),
    ExportSource(
        "ai-studio",
        "With chat history saved to Drive, each prompt is a file in the `Google AI Studio` "
        "folder of your Google Drive: download it and upload it as it is (it has no extension).",
    ),
    ExportSource(
        "gemini",
        "Google Takeout → My Activity, with only Gemini Apps chosen and the format set to JSON "
        "(an HTML page in English reads too). Upload the zip, or `MyActivity.json`.",
    ),
    ExportSource(
        "deepseek",
        "Settings → Data → Export data (in recent versions). Upload the zip, or the "
        "`conversations.json` inside it; one conversation saved raw by a browser exporter "
        "reads too.",
    ),
    ExportSource(
        "qwen",
        "chat.qwen.ai → Settings → export your chats (under Chats or Data management, as the "
        "version has it). Upload the JSON file.",
    ),
    ExportSource(
        "copilot",
        "account.microsoft.com → Privacy → Copilot → Export all activity history. Upload the "
        "zip, or `copilot-activity-history.csv` from it (its times carry no zone: read as UTC).",
    ),
    ExportSource(
        "perplexity",
        "One thread at a time: the thread's Share → Export → Markdown (Perplexity has no export "
        "of a whole library), or the JSON a library backup tool saves.",
    ),
    ExportSource(
        "open-webui",
        "Settings → Data Controls → Export Chats: every chat, as one JSON file.",
    ),
    ExportSource("librechat", "A conversation's Export, with JSON as the type."),
    ExportSource(
        "sharegpt",
        "A JSON or JSONL file of `conversations` with `from` and `value`, as datasets are shared.",
    ),
    ExportSource(
        "openai",
        "A JSONL file of `messages` in OpenAI's chat format, as fine-tuning data is written.",
    ),
    ExportSource(
        "markdown",
        "Replies as `> ` quotes or under speaker headings such as `## ChatGPT`; a zip of such "
        "files reads too.",
    ),
    ExportSource(
        "pasted",
        "Select the whole conversation on the ChatGPT or Claude page, copy, and paste it under "
        "Paste a conversation.",
    ),
    ExportSource(
        "colloquy",
        "Another Colloquy blog's export (`flask --app app export`): its Markdown or JSON files.",
    ),
)

# Exports recognised but not read yet, said on the page so nobody waits on an upload.
NOT_YET = ("Mistral Le Chat",)
