"""A coding agent's session laid out for readers: each shown tool call with its result as
one line that opens to the detail, reads in a row grouped, and the session's facts (prompts,
tool calls, files changed, time, models, agent) for the top of the page. Pure.

Computed when a revision is recorded (Publish, Update) from the turns it holds, and stored
in the revision's JSON under "session", so the reader's page prints stored HTML; the
author's preview computes it the same way without storing it.

Decisions worth knowing:
- A result is paired with the oldest call before it that has none yet, within the stretch
  of turns since the last prompt: Claude Code logs parallel calls first and their results
  after, in the same order. The pairing looks at every turn, shown or not, so a hidden
  result never lends its place to the next one.
- Only tool turns the author shows are laid out; a run of them is broken wherever the page
  says the author left turns out, so that note stays where it belongs.
- The facts count every tool call of the session (the disclosure already says those not
  shown exist), but name only the files whose changes are shown.
"""

from __future__ import annotations

import posixpath
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from .allowlist import sanitize
from .diff_html import FileChange
from .disclosure import agent_named, omitted_notes
from .model_names import display_name
from .tool_turns import (
    ToolCall,
    ToolLine,
    describe_call,
    describe_other,
    describe_result,
    is_result,
    parse_call,
)
from .vocabulary import Role

# The sources whose posts are laid out as sessions, and how readers know the agent.
AGENTS = {"claude-code": "Claude Code", "codex": "Codex CLI"}
_GROUPS = {"read": ("Read", "file", "files"), "search": ("Searched", "time", "times")}


class SessionTurn(Protocol):
    id: int
    role: str
    speaker: str
    model: str
    source: str
    html: str
    text: str
    excluded: bool
    edited: bool
    created_at: datetime | None


def session_layout(
    turns: Sequence[SessionTurn], source_kind: str, agent: tuple[str, str] = ("", "")
) -> dict | None:
    """The session's facts and the layout of its shown tool turns; None for other posts.
    `agent` is the agent's name and version as the log stated them, when it did."""
    if source_kind not in AGENTS:
        return None
    calls = {t.id: call for t in turns if t.role == Role.TOOL and (call := parse_call(t.source))}
    short = _shortener([path for call in calls.values() for path in call.paths()])
    results = _pairs(turns, calls)
    lines = {
        t.id: _line(t, calls.get(t.id), short) for t in turns if t.role == Role.TOOL and t.excluded
    } | {t.id: _line(t, calls.get(t.id), short, detail=True) for t in _shown_tools(turns)}
    blocks, inside = _blocks(turns, lines, results)
    _sanitize(blocks)
    return {
        "summary": _summary(turns, agent_named(*agent) or AGENTS[source_kind], calls, lines),
        "blocks": blocks,
        "inside": inside,
    }


def _shown_tools(turns: Sequence[SessionTurn]) -> list[SessionTurn]:
    return [t for t in turns if t.role == Role.TOOL and not t.excluded]


def _line(
    turn: SessionTurn, call: ToolCall | None, short: Callable[[str], str], detail: bool = False
) -> ToolLine:
    if call is not None:
        line = describe_call(call, short)
    elif is_result(turn.speaker):
        line = describe_result(turn.speaker, turn.source)
    else:
        line = describe_other(turn.speaker, turn.text or turn.source, turn.html)
    if not detail:
        line.detail = ""  # a hidden turn is counted, never shown
    return line


def _pairs(turns: Sequence[SessionTurn], calls: dict[int, ToolCall]) -> dict[int, int]:
    """Each call's result: call id → result id."""
    paired: dict[int, int] = {}
    waiting: list[int] = []
    for turn in turns:
        if turn.role == Role.USER:
            waiting = []
        elif turn.id in calls:
            waiting.append(turn.id)
        elif turn.role == Role.TOOL and is_result(turn.speaker) and waiting:
            paired[waiting.pop(0)] = turn.id
    return paired


def _blocks(
    turns: Sequence[SessionTurn], lines: dict[int, ToolLine], results: dict[int, int]
) -> tuple[dict[str, dict], list[int]]:
    """Each run of shown tool turns as a block, stored under its first turn's id; the ids of
    the turns a block shows after its first."""
    notes = omitted_notes(turns)
    numbers = {t.id: n for n, t in enumerate((t for t in turns if not t.excluded), start=1)}
    runs: list[list[SessionTurn]] = []
    previous: SessionTurn | None = None
    for turn in (t for t in turns if not t.excluded):
        joins = previous is not None and previous.role == Role.TOOL and turn.id not in notes
        if turn.role == Role.TOOL:
            if joins and runs:
                runs[-1].append(turn)
            else:
                runs.append([turn])
        previous = turn
    blocks: dict[str, dict] = {}
    inside: list[int] = []
    for run in runs:
        items = _items(run, lines, results, numbers)
        blocks[str(run[0].id)] = {"items": _grouped(items)}
        inside += [t.id for t in run[1:]]
    return blocks, inside


def _items(
    run: list[SessionTurn],
    lines: dict[int, ToolLine],
    results: dict[int, int],
    numbers: dict[int, int],
) -> list[dict]:
    in_run = {t.id for t in run}
    shown_with_call = {results[t.id] for t in run if results.get(t.id) in in_run}
    calls = {result: call for call, result in results.items()}
    by_id = {t.id: t for t in run}
    items: list[dict] = []
    for turn in run:
        if turn.id in shown_with_call:
            continue
        line = lines[turn.id]
        label = line.label
        parts = [_part(turn, numbers, line)]
        result = results.get(turn.id)
        said = ""
        failed = False
        if result in in_run:
            outcome = lines[result]
            parts.append(_part(by_id[result], numbers, outcome))
            said, failed = _outcome_said(line, outcome), outcome.failed
        elif line.kind == "result":
            # Shown apart from its call (a notice stood between them): named by the call.
            if turn.id in calls:
                label = f"{label} of {lines[calls[turn.id]].label}"
            said, failed = line.status or _said_briefly(turn, line), line.failed
        items.append(
            {
                "label": label,
                "status": said,
                "failed": failed,
                "group": line.group,
                "edited": any(part["edited"] for part in parts),
                "parts": parts,
            }
        )
    return items


def _part(turn: SessionTurn, numbers: dict[int, int], line: ToolLine) -> dict:
    return {
        "id": turn.id,
        "number": numbers[turn.id],
        "kind": line.kind,
        "html": line.detail,
        # The author changed what the agent ran or got back: the line says so, as a turn does.
        "edited": bool(getattr(turn, "edited", False)),
    }


def _sanitize(blocks: dict[str, dict]) -> None:
    """Every line and detail of the blocks through the allowlist, in one call: most of the
    time nh3 takes over a short fragment is its own setting up (0.5 ms), which a session of
    hundreds of shown calls would pay at each."""
    slots: list[tuple[dict, str]] = []
    for block in blocks.values():
        for item in block["items"]:
            for entry in (item, *item.get("items", ())):
                slots.append((entry, "label"))
                slots += [(part, "html") for part in entry.get("parts", ())]
    if not slots:
        return
    mark = f'<hr class="split-{secrets.token_hex(8)}">'
    pieces = sanitize(mark.join(entry[key] for entry, key in slots)).split(mark)
    if len(pieces) != len(slots):  # a fragment the parser did not keep apart: one at a time
        pieces = [sanitize(entry[key]) for entry, key in slots]
    for (entry, key), piece in zip(slots, pieces, strict=True):
        entry[key] = piece


def _outcome_said(call: ToolLine, result: ToolLine) -> str:
    """What the call's line says of its result: the exit code or error, else (for a command,
    a read or a search) how many lines it gave."""
    if result.status:
        return result.status
    return _count(result.line_count) if call.counted else ""


def _said_briefly(turn: SessionTurn, line: ToolLine) -> str:
    """A result of one short line said as itself ("aborted"), else by its length."""
    text = turn.source.strip()
    if line.line_count == 1 and len(text) <= 40:
        return text
    return _count(line.line_count)


def _count(lines: int) -> str:
    return f"{lines} line{'s' if lines != 1 else ''}" if lines else "no output"


def _grouped(items: list[dict]) -> list[dict]:
    """Two or more calls of one group in a row (reads, searches) under one line."""
    grouped: list[dict] = []
    for item in items:
        last = grouped[-1] if grouped else None
        group = item["group"]
        if group and last is not None and last.get("group") == group:
            if "items" not in last:
                grouped[-1] = last = {"group": group, "items": [last]}
            last["items"].append(item)
        else:
            grouped.append(item)
    for index, item in enumerate(grouped):
        if "items" in item:
            verb, one, many = _GROUPS[item["group"]]
            count = len(item["items"])
            failed = sum(1 for sub in item["items"] if sub["failed"])
            item["label"] = f'<span class="tool__name">{verb}</span> {count} {many}'
            item["status"] = f"{failed} failed" if failed else ""
            item["failed"] = bool(failed)
            item["edited"] = any(sub["edited"] for sub in item["items"])
            grouped[index] = item
    return grouped


def _shortener(paths: list[str]) -> Callable[[str], str]:
    """Paths shown relative to the folder every absolute path of the session shares."""
    absolute = {posixpath.normpath(p) for p in paths if p.startswith("/")}
    if not absolute:
        return str
    root = posixpath.commonpath(absolute)
    if len(absolute) == 1:
        root = posixpath.dirname(root)  # one file: shown by its name
    if root.count("/") < 2:  # "/" or "/home": too short to be a project's folder
        return str

    def short(path: str) -> str:
        if path.startswith(root + "/"):
            return path[len(root) + 1 :]
        return "." if path == root else path

    return short


def _summary(
    turns: Sequence[SessionTurn],
    agent: str,
    calls: dict[int, ToolCall],
    lines: dict[int, ToolLine],
) -> dict:
    shown = {t.id for t in turns if not t.excluded}
    times = [t.created_at for t in turns if t.created_at is not None]
    models: list[str] = []
    for turn in turns:
        if turn.role == Role.ASSISTANT and turn.model and not turn.model.startswith("<"):
            name = display_name(turn.model)
            if name not in models:
                models.append(name)
    files: dict[str, dict] = {}
    for call_id in calls:
        for change in lines[call_id].changes:
            entry = files.setdefault(change.path, {"path": change.path, "shown": False})
            entry["added"] = entry.get("added", 0) + change.added
            entry["removed"] = entry.get("removed", 0) + change.removed
            entry["shown"] = entry["shown"] or call_id in shown
    return {
        "agent": agent,
        "models": models,
        "prompts": sum(1 for t in turns if t.role == Role.USER and t.id in shown),
        "calls": len(calls),
        "calls_shown": sum(1 for call_id in calls if call_id in shown),
        "files": list(files.values()),
        "started": min(times).isoformat() if times else None,
        "ended": max(times).isoformat() if times else None,
        "duration": _duration(min(times), max(times)) if times else "",
    }


def _duration(start: datetime, end: datetime) -> str:
    """A span of time as people say it: "45 s", "12 min", "2 h 5 min", "3 days"."""
    seconds = int((end - start).total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


__all__ = ["AGENTS", "FileChange", "session_layout"]
