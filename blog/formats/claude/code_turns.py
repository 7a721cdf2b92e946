"""Claude Code log entries become turns; the streamed pieces of one reply are joined."""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from blog.formats.base import ImportedAttachment, ImportedTurn
from blog.formats.blocks import (
    TEXT_TYPES,
    append_turn,
    as_written,
    block_text,
    timestamp,
    tool_call_text,
    tool_result_text,
)
from blog.formats.claude.code_entries import SPEAKER, Entry, is_reminder, unpasted
from blog.vocabulary import Role

SOURCE_KIND = "claude-code"
# The (role, speaker) of a message shown as something other than itself, or None.
Aside = tuple[str, str] | None
SUB_AGENT_NOTE = "this is a sub-agent's log"
# The tools that start a sub-agent: `Task` in older versions, `Agent` in newer ones.
AGENT_TOOLS = {"Task", "Agent"}


@dataclass
class SubAgentRun:
    """A sub-agent's own log, read as a conversation, to be folded under the call that
    started it: matched by that call's id (its `.meta.json`), its `agentId` (the call's
    result), or its prompt (the call's `input.prompt`)."""

    agent_id: str
    turns: list[ImportedTurn]
    tool_use_id: str | None = None
    agent_type: str = ""
    notes: list[str] = field(default_factory=list)  # what reading its own log had to say
    placed: bool = field(default=False, compare=False)

    @property
    def prompt(self) -> str:
        first = next((t for t in self.turns if t.role == Role.USER), None)
        return first.text.strip() if first is not None else ""

    def folded(self) -> list[ImportedTurn]:
        """Its turns as hidden material of the session: prompt and replies as tool turns."""
        label = f"Sub-agent ({self.agent_type})" if self.agent_type else "Sub-agent"
        speakers = {Role.USER: f"{label}: prompt", Role.ASSISTANT: label}
        return [
            ImportedTurn(
                Role.TOOL if t.role in speakers else t.role,
                t.text,
                speaker=speakers.get(t.role, t.speaker),
                created_at=t.created_at,
                attachments=t.attachments,
                hidden=True,
            )
            for t in self.turns
        ]


class TurnBuilder:
    """Turns from entries read in file order (`agent_file`: a sub-agent's own log), with
    the sub-agent runs of the session folded in under the calls that started them."""

    def __init__(self, agent_file: bool = False, runs: Sequence[SubAgentRun] = ()) -> None:
        self.turns: list[ImportedTurn] = []
        self.model: str | None = None
        self.typed = False  # whether the person typed anything: a prompt, a command
        self.unshown: Counter[str] = Counter()  # blocks of a kind no rule here reads
        self.unknown: Counter[tuple[str, str]] = Counter()  # entries no rule here reads
        self._agent_file = agent_file
        self._reply_id: object = None
        self._runs = list(runs)

    def add(self, entry: Entry, alternatives: list[str]) -> None:
        kind = entry.kind
        self.typed = self.typed or kind.typed
        if kind.unknown:
            self.unknown[kind.unknown] += 1
        created = timestamp(entry.raw.get("timestamp"))
        if kind.rule == "folded" and kind.aside is not None:
            role, speaker = kind.aside
            hidden = role != Role.USER
            append_turn(self.turns, role, kind.text, speaker, created, hidden=hidden)
            if not hidden:
                self._reply_id = None
            return
        if kind.rule != "message":
            return
        message = entry.raw.get("message") if isinstance(entry.raw.get("message"), dict) else {}
        content = message.get("content")
        if entry.type == "user":
            result = entry.raw.get("toolUseResult")
            if isinstance(result, dict) and isinstance(result.get("agentId"), str):
                self._place(lambda run: run.agent_id == result["agentId"])
            before = len(self.turns)
            self._user(content, created, kind.aside)
            shown = [t for t in self.turns[before:] if t.role == Role.USER]
            if shown and alternatives:
                shown[-1].alternatives = [as_written(a) for a in alternatives if a.strip()]
        else:
            self._assistant(message, content, created, kind.aside)

    def notes(self) -> list[str]:
        """A warning for each kind of entry no rule here reads, by count."""
        return [
            f"{n} {what} {'entry' if n == 1 else 'entries'} {done}"
            for (what, done), n in sorted(self.unknown.items())
        ]

    def finish(self) -> list[str]:
        """The sub-agent runs no call of the session started, added at its end; what was done."""
        left = [run for run in self._runs if not run.placed]
        for run in left:
            self.turns.extend(run.folded())
        placed = len(self._runs) - len(left)
        told = [f"sub-agent {run.agent_id}: {note}" for run in self._runs for note in run.notes]
        notes: list[str] = []
        if placed:
            runs = "1 sub-agent run" if placed == 1 else f"{placed} sub-agent runs"
            calls = "the call that started it" if placed == 1 else "the calls that started them"
            notes.append(f"{runs} folded under {calls}")
        if left:
            names = ", ".join(run.agent_id for run in left)
            notes.append(
                f"{len(left)} sub-agent log{'s' if len(left) != 1 else ''} ({names}) matched no "
                "call in the session; added, folded, at its end"
            )
        return notes + told

    def _place(self, matches: Callable[[SubAgentRun], bool]) -> None:
        """Fold the first run not yet placed that `matches` in at this point."""
        run = next((r for r in self._runs if not r.placed and matches(r)), None)
        if run is not None:
            run.placed = True
            self.turns.extend(run.folded())

    def _user(self, content: object, created: datetime | None, aside: Aside) -> None:
        self._reply_id = None
        role, speaker = aside or (Role.USER, "")
        if aside is None and self._agent_file:
            # In a sub-agent's log the prompts are the main agent's, not the person's.
            speaker = f"{SPEAKER} (to the sub-agent)"
        if isinstance(content, str):
            text = content if aside else unpasted(content)
            append_turn(self.turns, role, text, speaker, created, hidden=aside is not None)
            return
        texts: list[str] = []
        images: list[ImportedAttachment] = []
        for block in content if isinstance(content, list) else []:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "tool_result":
                result = tool_result_text(block.get("content"))
                label = "Tool error" if block.get("is_error") else "Tool result"
                append_turn(self.turns, Role.TOOL, result, label, created, hidden=True)
            elif kind in ("image", "document"):
                images.append(_file(block, len(images) + 1))
            elif isinstance(block, str) or (isinstance(block, dict) and kind in TEXT_TYPES):
                text = block_text(block)
                if aside is None and is_reminder(text):
                    append_turn(self.turns, Role.SYSTEM, text, SPEAKER, created, hidden=True)
                else:
                    texts.append(text if aside else unpasted(text))
            else:
                self.unshown[str(kind)] += 1
        text = "\n\n".join(t for t in texts if t.strip())
        if images and not text:
            text = f"[Uploaded: {', '.join(image.name for image in images)}]"
        append_turn(
            self.turns, role, text, speaker, created, hidden=aside is not None, attachments=images
        )

    def _assistant(
        self, message: dict, content: object, created: datetime | None, aside: Aside
    ) -> None:
        speaker = f"{SPEAKER} (sub-agent)" if self._agent_file else SPEAKER
        role, speaker = aside or (Role.ASSISTANT, speaker)
        model = message.get("model") if isinstance(message.get("model"), str) else None
        if model and not model.startswith("<") and aside is None:
            self.model = self.model or model
        same_reply = message.get("id") is not None and message.get("id") == self._reply_id
        self._reply_id = message.get("id")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks if isinstance(blocks, list) else []:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "thinking":
                thought = block.get("thinking") if isinstance(block.get("thinking"), str) else ""
                label = f"{SPEAKER} (thinking)"
                append_turn(self.turns, Role.REASONING, thought, label, created, hidden=True)
            elif kind in ("tool_use", "server_tool_use"):
                call = tool_call_text(str(block.get("name") or "tool"), block.get("input"))
                label = f"Tool call ({block.get('name')})"
                append_turn(self.turns, Role.TOOL, call, label, created, hidden=True)
                if block.get("name") in AGENT_TOOLS:
                    self._place_for_call(block)
            elif kind == "text":
                text = block_text(block)
                last = self.turns[-1] if self.turns else None
                if same_reply and last is not None and last.role == role:
                    last.text = f"{last.text}\n\n{as_written(text)}" if text.strip() else last.text
                    continue
                hidden = aside is not None
                append_turn(self.turns, role, text, speaker, created, hidden=hidden, model=model)
            elif isinstance(kind, str) and kind.endswith("_tool_result"):
                # A server tool's result (web search, web fetch) comes back inside the reply.
                result = tool_result_text(block.get("content"))
                append_turn(self.turns, Role.TOOL, result, "Tool result", created, hidden=True)
            elif kind != "redacted_thinking":  # encrypted by the API: nothing readable in it
                self.unshown[str(kind)] += 1

    def _place_for_call(self, block: dict) -> None:
        arguments = block.get("input") if isinstance(block.get("input"), dict) else {}
        prompt = arguments.get("prompt") if isinstance(arguments.get("prompt"), str) else None
        self._place(
            lambda run: (
                (run.tool_use_id is not None and run.tool_use_id == block.get("id"))
                or (run.tool_use_id is None and prompt is not None and run.prompt == prompt.strip())
            )
        )


def _file(block: dict, number: int) -> ImportedAttachment:
    """A pasted image or document (a PDF) with its bytes when the log holds them."""
    source = block.get("source") if isinstance(block.get("source"), dict) else {}
    image = block.get("type") == "image"
    mime = str(source.get("media_type") or ("image/png" if image else "application/pdf"))
    data = None
    if source.get("type") == "base64" and isinstance(source.get("data"), str):
        try:
            data = base64.b64decode(source["data"], validate=True)
        except binascii.Error:
            data = None
    extension = mime.rsplit("/", 1)[-1]
    if not image:
        title = block.get("title") if isinstance(block.get("title"), str) else ""
        return ImportedAttachment(title or f"document-{number}.{extension}", mime, data)
    return ImportedAttachment(f"image-{number}.{extension}", mime, data, alt="Pasted image")
