"""Claude Code session logs: `~/.claude/projects/<folder>/<session>.jsonl`, one entry a line.

The conversation is read as the app showed it: every entry in FILE ORDER. Entries link by
`uuid` / `parentUuid`, but real logs break any walk along those links (a compaction starts a
new root, parallel tool calls fork the chain, progress lines and missing entries leave gaps),
so the links are used for one thing only: a prompt rewound and sent again (two prompts with
one parent) keeps the earlier prompt as an alternative and leaves out what followed it.
One reply is streamed as several entries sharing `message.id`; its text pieces are joined.

How each entry is read (`type`, then `subtype` / `attachment.type` / content):

| Entry | Read as |
|---|---|
| `user`: a prompt typed by the person | a user turn |
| `user`: text pasted into a prompt, kept between `<pasted_content id=…>` tags | the paste, without the tags |
| `user`: `tool_result` blocks | hidden tool turns |
| `user`: `isCompactSummary`, or "This session is being continued…" | the compaction summary, hidden system turn |
| `user`: a slash command with the person's words after it (`/review the login flow`) | a user turn, `/name args` as typed |
| `user`: `isMeta`, a bare slash command or its output, `!` shell input/output | hidden system turn |
| `user`: "[Request interrupted by user…]" | hidden system turn "Interrupted" |
| `user`: `<task-notification>` (a background task ended) | hidden system turn |
| `user`: a block Claude Code added to a message (`<system-reminder>`, `<ide_selection>`, …) | hidden system turn |
| `user`: `<user-memory-input>` (a `#` note to memory) | hidden system turn "Memory note" |
| `assistant`: text / thinking / `tool_use` | a reply, hidden reasoning, hidden tool call |
| `assistant`: `isApiErrorMessage`, model `<synthetic>` | hidden system turn "API error" / "Claude Code" (never a reply) |
| `isSidechain` entries inside a session | hidden tool turns "Sub-agent" |
| `system` `compact_boundary`, `local_command`, `informational`, `away_summary`, `scheduled_task_fire`, none | hidden system turn |
| `system` `api_error` (a retry), `turn_duration`, `stop_hook_summary`, `init` | left out: bookkeeping |
| `attachment` `queued_command` typed while Claude worked | a user turn (unless sent again as a prompt) |
| `attachment` `hook_*` with output, `file`, `nested_memory`, `edited_text_file`, … | hidden system turn |
| `attachment` `queued_command` Claude Code queued (a task notice, a command) | hidden system turn |
| `attachment` reminders and listings (`task_reminder`, `skill_listing`, …), `hook_*` with no output | left out: context Claude Code gives the model |
| `summary`, `ai-title`, `custom-title` | the title (the person's own name first) |
| `progress`, `last-prompt`, `mode`, `permission-mode`, `queue-operation`, `file-history-*`, … | left out: bookkeeping |
| an entry whose `uuid` came before (copied again) | read once, said in the warnings |
| a `system` entry of another subtype | a hidden system turn if it has text, else left out; named in the warnings |
| any other type or attachment kind | left out, named in the import's warnings |

A sub-agent's own file (`<session>/subagents/agent-<id>.jsonl`, every entry `isSidechain`)
reads as a conversation of its own: the prompt Claude Code wrote for the agent, then its work.
Read with its session (a zip or folder of the project: `code_project`), each such run
is folded under the `Agent` / `Task` call that started it. A log with no message at all (older
versions' files of session summaries) is no conversation, said as such.

`claude -p --output-format stream-json` writes the same user and assistant entries
without `uuid` (`session_id` instead of `sessionId`, `parent_tool_use_id` for sub-agent
work), between an `init` entry and a `result` entry; its prompt is not in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from blog.formats.base import (
    ImportedConversation,
    ImportFormatError,
    NotAConversationFile,
    version_span,
)
from blog.formats.blocks import left_out_warnings, timestamp
from blog.formats.claude.code_entries import Entry, Kind, classify
from blog.formats.claude.code_turns import SOURCE_KIND, SUB_AGENT_NOTE, SubAgentRun, TurnBuilder
from blog.formats.naming import title_from_turns

__all__ = ["NO_MESSAGES", "SOURCE_KIND", "SubAgentRun", "parse_claude_code"]

NO_MESSAGES = "a Claude Code log with no messages in it, only Claude Code's own records"

# Entries that hold the conversation or what Claude Code folded into it, and the progress
# lines that sit in the parent chain between them (read for the chain only).
_THREADED = {"user", "assistant", "system", "attachment", "progress"}
_TITLES = {"summary", "ai-title", "custom-title"}
# Entry types left out on purpose: each says nothing a reader of the conversation needs.
_BOOKKEEPING = {
    "last-prompt",
    "mode",
    "permission-mode",
    "queue-operation",  # what was queued arrives as a prompt or a `queued_command`
    "file-history-snapshot",
    "file-history-delta",
    "bridge-session",
    "agent-name",
    "atis-latch",
    "frame-link",
    "cost-state",
    "pr-link",
    "result",  # `claude -p`: the run's end, repeating its last reply
    "stream_event",  # `claude -p --include-partial-messages`: pieces of a reply sent whole after
}


def parse_claude_code(
    items: Iterable[object], runs: Sequence[SubAgentRun] = ()
) -> Iterator[ImportedConversation]:
    """The session a Claude Code log holds, as one conversation, with the runs of its
    sub-agents (read from their own files) folded under the calls that started them."""
    log = _Log()
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ImportFormatError("each line must be a JSON object", f"line {number}")
        log.add(item)
    conversation = log.conversation(runs) if log.entries else None
    if conversation is None or not conversation.turns:
        # Older versions write files of session summaries alone; a log may hold only records.
        raise NotAConversationFile(NO_MESSAGES)
    yield conversation


class _Log:
    """A log's entries in file order, and what it says about the session beside them."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.summaries: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        self.unknown: Counter[str] = Counter()
        self.repeated = 0
        self.held: set[str] = set()  # every uuid in the file: progress lines sit in the chain too

    def add(self, item: dict) -> None:
        kind = item.get("type")
        uuid = item.get("uuid") if isinstance(item.get("uuid"), str) else None
        if uuid is not None and uuid in self.held:
            self.repeated += 1  # the same entry written again (a resumed session)
            return
        if uuid is not None:
            self.held.add(uuid)
        if kind in _THREADED:
            self.entries.append(Entry(item, len(self.entries)))
            return
        if kind == "summary" and isinstance(item.get("summary"), str):
            self.summaries[str(item.get("leafUuid"))] = item["summary"]
        elif kind == "ai-title" and isinstance(item.get("aiTitle"), str):
            self.titles["ai"] = item["aiTitle"]
        elif kind == "custom-title" and isinstance(item.get("customTitle"), str):
            self.titles["custom"] = item["customTitle"]
        elif kind not in _BOOKKEEPING and kind not in _TITLES:
            self.unknown[str(kind)] += 1

    def conversation(self, runs: Sequence[SubAgentRun]) -> ImportedConversation:
        messages = [e for e in self.entries if e.type in ("user", "assistant")]
        # A sub-agent's own file: every message is its work, and the first is its prompt.
        agent_file = bool(messages) and all(e.raw.get("isSidechain") is True for e in messages)
        for entry in self.entries:
            entry.kind = classify(entry, agent_file)
        _drop_queued_sent_again(self.entries)
        branches = _Branches(self.entries)
        turns = TurnBuilder(agent_file, runs)
        for entry in self.entries:
            if entry.index not in branches.left_out:
                turns.add(entry, branches.alternatives.get(entry.index, []))
        folded = turns.finish()
        # A resumed session's file may open with entries copied from the one it resumed:
        # the file's own session is the one its last entries belong to.
        ids = (s for e in reversed(self.entries) if isinstance(s := _session_id(e), str))
        session = next(ids, None)
        agent = next((a for e in messages if isinstance(a := e.raw.get("agentId"), str)), None)
        if agent_file and session:
            session = f"{session}/agent-{agent or 'unknown'}"
        times = [_first_time(self.entries), _first_time(reversed(self.entries))]
        return ImportedConversation(
            title=self._title() or title_from_turns(turns.turns),
            turns=turns.turns,
            source_kind=SOURCE_KIND,
            source_id=session,
            created_at=times[0],
            updated_at=times[1],
            model=turns.model,
            agent="Claude Code",
            agent_version=version_span(str(e.raw.get("version") or "") for e in self.entries),
            warnings=self._warnings(turns, branches, agent_file, agent) + folded,
        )

    def _title(self) -> str:
        """The person's own name for the session, else Claude Code's, else a summary of it."""
        for key in ("custom", "ai"):
            if self.titles.get(key, "").strip():
                return self.titles[key].strip()
        # A file may open with the summaries of other sessions: only one of its own entries' counts.
        for entry in reversed(self.entries):
            summary = self.summaries.get(str(entry.raw.get("uuid")), "")
            if summary.strip():
                return summary.strip()
        return ""

    def _warnings(
        self, turns: TurnBuilder, branches: _Branches, agent_file: bool, agent: str | None
    ) -> list[str]:
        warnings: list[str] = []
        if agent_file:
            warnings.append(
                f"{SUB_AGENT_NOTE} (agent {agent or 'unknown'}): its first prompt was "
                "written by Claude Code for the sub-agent, not by you; import the session's "
                "folder to see it under the call that started it"
            )
        elif not turns.typed:
            # `claude -p` logs its replies only: say so rather than publish them as if asked nothing.
            warnings.append("the log holds no prompt of yours, only Claude Code's side")
        if branches.replaced:
            warnings.append(
                f"{_count(branches.replaced, 'earlier version')} of a prompt (rewound in Claude "
                "Code and sent again) kept as alternatives of the prompt that replaced it; "
                f"{_count(branches.entries, 'entry', 'entries')} that followed "
                f"{'it' if branches.replaced == 1 else 'them'} left out"
            )
        missing = _missing_parents(self.entries, self.held)
        if missing:
            warnings.append(
                f"{_count(missing, 'entry', 'entries')} point to an earlier entry the log does "
                "not hold (the session may go on from another file); kept in file order"
            )
        if self.repeated:
            warnings.append(
                f"{_count(self.repeated, 'entry', 'entries')} written twice in the log read once"
            )
        warnings += [
            f'{_count(n, "entry", "entries")} of a type this importer does not read ("{kind}") '
            "left out"
            for kind, n in sorted(self.unknown.items())
        ]
        warnings += turns.notes()
        return warnings + left_out_warnings(turns.unshown)


class _Branches:
    """Prompts rewound and sent again: two prompts answering one parent entry.

    The later prompt is the one the session went on from; each earlier one is kept as its
    alternative, and the entries that descend from the earlier one are left out. A sibling
    whose descendants run past the next prompt is no abandoned branch and stays in place.
    """

    def __init__(self, entries: list[Entry]) -> None:
        self.left_out: set[int] = set()
        self.alternatives: dict[int, list[str]] = {}
        self.replaced = 0
        children: dict[str, list[Entry]] = {}
        prompts: dict[str, list[Entry]] = {}
        for entry in entries:
            parent = entry.raw.get("parentUuid")
            if isinstance(parent, str):
                children.setdefault(parent, []).append(entry)
                if entry.kind.prompt and entry.type == "user":
                    prompts.setdefault(parent, []).append(entry)
        # Outer branches first: a branch inside one left out goes with it.
        for siblings in sorted(prompts.values(), key=lambda group: group[0].index):
            if len(siblings) > 1:
                self._place(siblings, children)
        self.entries = len(self.left_out) - self.replaced

    def _place(self, siblings: list[Entry], children: dict[str, list[Entry]]) -> None:
        abandoned: list[Entry] = []
        for earlier, after in zip(siblings, siblings[1:], strict=False):
            if earlier.index in self.left_out:
                continue
            branch = _descendants(earlier, children)
            if max(e.index for e in branch) < after.index:
                self.left_out.update(e.index for e in branch)
                abandoned.append(earlier)
        for earlier in abandoned:
            # The prompt that replaced it: the next of its siblings still in the conversation.
            kept = next(
                (s for s in siblings if s.index > earlier.index and s.index not in self.left_out),
                None,
            )
            if kept is not None:
                self.alternatives.setdefault(kept.index, []).append(earlier.kind.text)
                self.replaced += 1


def _descendants(root: Entry, children: dict[str, list[Entry]]) -> list[Entry]:
    found = [root]
    seen = {root.index}
    for entry in found:  # grows as it goes: a breadth-first walk without recursion
        for child in children.get(str(entry.raw.get("uuid")), []):
            if child.index not in seen:
                seen.add(child.index)
                found.append(child)
    return found


def _drop_queued_sent_again(entries: list[Entry]) -> None:
    """A message queued while Claude worked that the log also holds as a prompt, later, is
    read once: as the prompt."""
    sent: set[str] = set()
    for entry in reversed(entries):
        text = entry.kind.text.strip()
        if entry.kind.prompt and entry.type == "user":
            sent.add(text)
        elif entry.kind.prompt and text in sent:
            entry.kind = Kind("left out")


def _missing_parents(entries: list[Entry], held: set[str]) -> int:
    """How many entries name a parent the log does not hold."""
    return sum(
        1 for e in entries if isinstance(p := e.raw.get("parentUuid"), str) and p not in held
    )


def _first_time(entries: Iterable[Entry]) -> datetime | None:
    return next((t for e in entries if (t := timestamp(e.raw.get("timestamp")))), None)


def _session_id(entry: Entry) -> object:
    return entry.raw.get("sessionId", entry.raw.get("session_id"))


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
