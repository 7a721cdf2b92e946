"""Claude Code session logs: `~/.claude/projects/<folder>/<session>.jsonl`, one entry a line.

Entries have `type` user, assistant, summary or system; a user or assistant entry carries
`message: {role, content}`, where content is a string or blocks (`text`, `thinking`,
`tool_use`, `tool_result`, `image`). Entries link by `uuid` / `parentUuid`; the session
shown is the chain that ends at the last entry (a compaction continues through
`logicalParentUuid`). One reply is streamed as several entries sharing `message.id`.
Thinking becomes hidden reasoning, tool calls and results hidden tool turns, meta
entries and sub-agent (`isSidechain`) work hidden too.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator

from blog.importers.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
)
from blog.importers.blocks import block_text, timestamp, tool_call_text, tool_result_text
from blog.importers.naming import title_from_turns
from blog.vocabulary import Role

SOURCE_KIND = "claude-code"
SPEAKER = "Claude Code"
_KINDS = {"user", "assistant", "system"}


def parse_claude_code(items: Iterable[object]) -> Iterator[ImportedConversation]:
    """The session a Claude Code log holds, as one conversation."""
    entries: list[dict] = []
    summaries: dict[str, str] = {}
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ImportFormatError("each line must be a JSON object", f"line {number}")
        if item.get("type") == "summary" and isinstance(item.get("summary"), str):
            summaries[str(item.get("leafUuid"))] = item["summary"]
        elif item.get("type") in _KINDS:
            entries.append(item)
    if not entries:
        return
    path = _visible_path(entries)
    turns = _Turns()
    for entry in path:
        turns.add(entry)
    session = next((e["sessionId"] for e in path if isinstance(e.get("sessionId"), str)), None)
    title = next((s for s in summaries.values() if s.strip()), "") or title_from_turns(turns.turns)
    yield ImportedConversation(
        title=title.strip(),
        turns=turns.turns,
        source_kind=SOURCE_KIND,
        source_id=session,
        created_at=timestamp(path[0].get("timestamp")),
        updated_at=timestamp(path[-1].get("timestamp")),
        model=turns.model,
    )


def _visible_path(entries: list[dict]) -> list[dict]:
    """The entries on the chain that ends at the last main-line entry, in file order,
    with the sub-agent entries of that session in place."""
    by_id = {e["uuid"]: e for e in entries if isinstance(e.get("uuid"), str)}
    main = [e for e in entries if not e.get("isSidechain")]
    if not main or not by_id:
        return entries
    chain: set[str] = set()
    current: dict | None = main[-1]
    while current is not None and current.get("uuid") not in chain:
        chain.add(current.get("uuid"))
        parent = current.get("parentUuid") or current.get("logicalParentUuid")
        current = by_id.get(parent) if isinstance(parent, str) else None
    return [e for e in entries if e.get("isSidechain") or e.get("uuid") in chain]


class _Turns:
    """Entries become turns; the streamed pieces of one reply are joined."""

    def __init__(self) -> None:
        self.turns: list[ImportedTurn] = []
        self.model: str | None = None
        self._reply_id: object = None

    def add(self, entry: dict) -> None:
        message = entry.get("message") if isinstance(entry.get("message"), dict) else {}
        created = timestamp(entry.get("timestamp"))
        if entry.get("type") == "system":
            text = block_text(entry.get("content"))
            self._append(Role.SYSTEM, text, "Claude Code", created, hidden=True)
            return
        # A sub-agent's work is a tool run; meta entries are Claude Code's own notes.
        aside = (
            (Role.TOOL, "Sub-agent")
            if entry.get("isSidechain")
            else (Role.SYSTEM, "Claude Code")
            if entry.get("isMeta")
            else None
        )
        content = message.get("content")
        if entry.get("type") == "user":
            self._user(content, created, aside)
        else:
            self._assistant(message, content, created, aside)

    def _user(self, content: object, created, aside: tuple[str, str] | None) -> None:
        self._reply_id = None
        role, speaker = aside or (Role.USER, "")
        if isinstance(content, str):
            self._append(role, content, speaker, created, hidden=aside is not None)
            return
        texts: list[str] = []
        images: list[ImportedAttachment] = []
        for block in content if isinstance(content, list) else []:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "tool_result":
                result = tool_result_text(block.get("content"))
                label = "Tool error" if block.get("is_error") else "Tool result"
                self._append(Role.TOOL, result, label, created, hidden=True)
            elif kind == "image":
                images.append(_image(block, len(images) + 1))
            elif isinstance(block, dict | str):
                texts.append(block_text(block))
        text = "\n\n".join(t for t in texts if t.strip())
        if images and not text:
            text = f"[Uploaded: {', '.join(image.name for image in images)}]"
        self._append(role, text, speaker, created, hidden=aside is not None, attachments=images)

    def _assistant(
        self, message: dict, content: object, created, aside: tuple[str, str] | None
    ) -> None:
        role, speaker = aside or (Role.ASSISTANT, SPEAKER)
        model = message.get("model") if isinstance(message.get("model"), str) else None
        if model and not model.startswith("<"):
            self.model = self.model or model
        same_reply = message.get("id") is not None and message.get("id") == self._reply_id
        self._reply_id = message.get("id")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks if isinstance(blocks, list) else []:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "thinking":
                thought = block.get("thinking") if isinstance(block.get("thinking"), str) else ""
                self._append(Role.REASONING, thought, f"{SPEAKER} (thinking)", created, hidden=True)
            elif kind == "tool_use":
                call = tool_call_text(str(block.get("name") or "tool"), block.get("input"))
                self._append(
                    Role.TOOL, call, f"Tool call ({block.get('name')})", created, hidden=True
                )
            elif kind == "text":
                text = block_text(block)
                last = self.turns[-1] if self.turns else None
                if same_reply and last is not None and last.role == role:
                    last.text = f"{last.text}\n\n{text.strip()}" if text.strip() else last.text
                    continue
                hidden = aside is not None
                self._append(role, text, speaker, created, hidden=hidden, model=model)

    def _append(
        self,
        role: str,
        text: str,
        speaker: str,
        created,
        *,
        hidden: bool = False,
        model: str | None = None,
        attachments: list[ImportedAttachment] | None = None,
    ) -> None:
        if not text.strip() and not attachments:
            return
        self.turns.append(
            ImportedTurn(
                role=role,
                text=text.strip("\n"),
                speaker=speaker,
                model=model,
                created_at=created,
                attachments=attachments or [],
                hidden=hidden,
            )
        )


def _image(block: dict, number: int) -> ImportedAttachment:
    source = block.get("source") if isinstance(block.get("source"), dict) else {}
    mime = str(source.get("media_type") or "image/png")
    data = None
    if source.get("type") == "base64" and isinstance(source.get("data"), str):
        try:
            data = base64.b64decode(source["data"], validate=True)
        except binascii.Error:
            data = None
    extension = mime.rsplit("/", 1)[-1]
    return ImportedAttachment(f"image-{number}.{extension}", mime, data, alt="Pasted image")
