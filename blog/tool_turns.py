"""A coding agent's stored tool turn said in one line, with its detail: `Bash: npm test`,
`Edit src/app.py (+3 −1)` with the diff, a plan as a checklist, a command's output clipped.
Pure.

Reads the text the format readers store (`formats.blocks.tool_call_text`, Codex's patch
fence): a call is the tool's name in backticks, then its arguments as a JSON fence (or a
`diff` fence holding a Codex patch, its other arguments in a JSON fence after it); a result
is the tool's output as text. A turn the author rewrote out of that shape is said as what it
is, a tool turn, with its own rendered HTML as the detail.

Decisions worth knowing:
- Every piece of text is escaped here and the markup is fixed (classes only); the caller still
  passes it through the allowlist.
- A result's exit code is read from the lines Codex puts before a command's output
  ("Exit code: 1", "Process exited with code 1") and from Claude Code's "Exit code 1"; a
  Claude Code result marked as an error says "error" when no code is given.
- Paths are shown relative to the session's root (the folder every path shares), which the
  caller works out once for the session and passes in as `short`.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from .diff_html import FileChange, counts, edit_change, patch_changes, render_changes, write_change

# How much of a tool's output is shown before the rest is folded.
SHOWN_OUTPUT_LINES = 20
SHOWN_OUTPUT_CHARS = 3000
LABEL_CHARS = 120
_CALL = re.compile(
    r"\A`(?P<name>[^`\n]+)`\n\n(?P<fence>`{3,})(?P<lang>[\w-]*)\n(?P<body>.*?)\n(?P=fence)"
    r"(?:\n\n(?P<fence2>`{3,})json\n(?P<rest>.*?)\n(?P=fence2))?\Z",
    re.DOTALL,
)
# The lines Codex writes before a command's output, up to "Output:".
_CODEX_HEADER = re.compile(
    r"(Exit code: (?P<exit>-?\d+)|Wall time: (?P<wall>[\d.]+) seconds?|Total output lines: \d+"
    r"|Chunk ID: \S+|Process exited with code (?P<exited>-?\d+)"
    r"|Process running with session ID (?P<session>\S+)|Original token count: \d+)"
)
_CLAUDE_EXIT = re.compile(r"(?:Error: )?Exit code (?P<exit>-?\d+)")
_SHELLS = {"bash", "sh", "zsh", "/bin/bash", "/bin/sh", "/bin/zsh", "/usr/bin/bash"}
_SHELL_TOOLS = {
    "Bash": "command",
    "shell": "command",
    "shell_command": "command",
    "local_shell": "command",
    "exec_command": "cmd",
    "container.exec": "command",
}
_READ_TOOLS = {
    "Read": "file_path",
    "read_file": "file_path",
    "NotebookRead": "notebook_path",
    "view_image": "path",
}
_SEARCH_TOOLS = {"Grep": "Grep", "Glob": "Glob", "grep_files": "Grep", "search_files": "Grep"}
_LIST_TOOLS = {"LS": "path", "list_dir": "dir_path"}
_PLAN_WORDS = {"completed": "done", "in_progress": "in progress", "pending": "to do"}


@dataclass
class ToolCall:
    """A call as the readers stored it: the tool's name, its arguments, a patch it carries."""

    name: str
    arguments: object
    patch: str = ""

    def argument(self, key: str) -> str:
        value = self.arguments.get(key) if isinstance(self.arguments, dict) else None
        return value if isinstance(value, str) else ""

    def paths(self) -> list[str]:
        """The file paths the call names, for working out the session's root."""
        if self.patch:
            return [change.path for change in patch_changes(self.patch)]
        if not isinstance(self.arguments, dict):
            return []
        keys = ("file_path", "notebook_path", "path", "dir_path", "workdir")
        return [v for k in keys if isinstance(v := self.arguments.get(k), str) and v]


@dataclass
class ToolLine:
    """What one tool turn says: its line, its detail, and what the session page counts."""

    kind: str  # "call", "result" or "other"
    label: str  # an HTML fragment, one line
    detail: str = ""  # an HTML fragment
    name: str = ""  # the tool's name, for a call
    group: str = ""  # calls of one group in a row are listed together: "read", "search"
    counted: bool = False  # whether its result's line count says something ("→ 12 lines")
    changes: list[FileChange] = field(default_factory=list)  # files the call changes
    status: str = ""  # a result's outcome: "exit 1", "error"
    failed: bool = False
    line_count: int = 0


def parse_call(source: str) -> ToolCall | None:
    """The call a stored tool turn holds, or None when its text is not in the call's shape."""
    match = _CALL.match(source.strip("\n"))
    if match is None:
        return None
    name, lang, body = match["name"], match["lang"], match["body"]
    if lang == "diff":
        rest = _json(match["rest"]) if match["rest"] else {}
        return ToolCall(name, rest if rest is not None else match["rest"], patch=body)
    if lang == "json":
        arguments = _json(body)
        return ToolCall(name, arguments if arguments is not None else body)
    return ToolCall(name, body)


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def is_result(speaker: str) -> bool:
    """Whether a tool turn that is no call is a result, by the label the readers give it."""
    return speaker.startswith(("Tool result", "Tool error"))


def describe_call(call: ToolCall, short: Callable[[str], str] = str) -> ToolLine:
    """A call's one line and detail."""
    name = call.name
    if call.patch:
        return _patch_line(call, short)
    if name in _SHELL_TOOLS:
        return _shell_line(call, _SHELL_TOOLS[name])
    if name in ("Edit", "MultiEdit", "Write", "NotebookEdit"):
        return _edit_line(call, short)
    if name in ("TodoWrite", "update_plan"):
        return _plan_line(call)
    if name in _READ_TOOLS:
        path = call.argument(_READ_TOOLS[name]) or call.argument("path")
        lines = _range(call.arguments)
        label = _label("Read", path and short(path), code=True) + lines
        return ToolLine("call", label, _arguments_html(call), name, "read", counted=True)
    if name in _SEARCH_TOOLS:
        pattern = call.argument("pattern") or call.argument("query")
        where = call.argument("path")
        label = _label(_SEARCH_TOOLS[name], f'"{pattern}"', code=True)
        if where:
            label += f" in <code>{escape(_clip(short(where)))}</code>"
        return ToolLine("call", label, _arguments_html(call), name, "search", counted=True)
    if name in _LIST_TOOLS:
        path = call.argument(_LIST_TOOLS[name])
        label = _label("List", short(path) if path else ".", code=True)
        return ToolLine("call", label, _arguments_html(call), name, "search", counted=True)
    return _other_call(call, short)


def _label(verb: str, argument: str = "", *, code: bool = False, sep: str = " ") -> str:
    head = f'<span class="tool__name">{escape(verb)}</span>'
    if not argument:
        return head
    shown = escape(_clip(argument))
    return f"{head}{sep}<code>{shown}</code>" if code else f"{head}{sep}{shown}"


def _clip(text: str, limit: int = LABEL_CHARS) -> str:
    """The first line of `text`, cut to `limit` characters."""
    lines = text.strip().splitlines() or [""]
    first = lines[0]
    cut = len(first) > limit or len(lines) > 1
    return (first[:limit].rstrip() + " …") if cut else first


def _range(arguments: object) -> str:
    if not isinstance(arguments, dict):
        return ""
    offset, limit = arguments.get("offset"), arguments.get("limit")
    if isinstance(offset, int) and isinstance(limit, int):
        return f" (lines {offset}–{offset + limit - 1})"
    if isinstance(offset, int):
        return f" (from line {offset})"
    return ""


def command_of(arguments: object, key: str) -> str:
    """A shell call's command as one would type it (`bash -lc "…"` unwrapped)."""
    value = arguments.get(key) if isinstance(arguments, dict) else arguments
    if isinstance(arguments, dict) and value is None and key == "command":
        value = arguments.get("cmd")
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        if len(value) >= 3 and value[0] in _SHELLS and value[1] in ("-lc", "-c"):
            return value[2]
        return shlex.join(value)
    return value if isinstance(value, str) else ""


def _shell_line(call: ToolCall, key: str) -> ToolLine:
    command = command_of(call.arguments, key)
    if not command:
        return _other_call(call, str)
    detail = f'<pre class="tool__command"><code>{escape(command)}</code></pre>'
    notes = [call.argument(k) for k in ("description", "justification") if call.argument(k)]
    workdir = call.argument("workdir")
    if workdir:
        notes.append(f"in {workdir}")
    if notes:
        detail += f'<div class="tool__meta">{escape(" · ".join(notes))}</div>'
    label = _label(call.name, command, code=True, sep=": ")
    return ToolLine("call", label, detail, call.name, counted=True)


def _edit_line(call: ToolCall, short: Callable[[str], str]) -> ToolLine:
    arguments = call.arguments if isinstance(call.arguments, dict) else {}
    path = call.argument("file_path") or call.argument("notebook_path")
    shown = short(path) if path else "a file"
    changes: list[FileChange] = []
    if call.name == "Write":
        changes = [write_change(shown, call.argument("content"))]
    elif call.name == "NotebookEdit":
        change = write_change(shown, call.argument("new_source"))
        change.action = "update"
        changes = [change]
    else:
        edits = arguments.get("edits") if call.name == "MultiEdit" else [arguments]
        for edit in edits if isinstance(edits, list) else []:
            if isinstance(edit, dict):
                old, new = edit.get("old_string"), edit.get("new_string")
                changes.append(edit_change(shown, str(old or ""), str(new or "")))
    if not changes:
        return _other_call(call, short)
    added = sum(c.added for c in changes)
    removed = sum(c.removed for c in changes)
    verb = "Write" if call.name == "Write" else "Edit"
    several = f", {len(changes)} edits" if len(changes) > 1 else ""
    label = _label(verb, shown, code=True) + f" ({counts(added, removed)}{several})"
    detail = render_changes(changes)
    if arguments.get("replace_all") is True:
        detail = '<div class="tool__meta">Every occurrence replaced.</div>' + detail
    merged = FileChange(shown, changes[0].action, [line for c in changes for line in c.lines])
    return ToolLine("call", label, detail, call.name, changes=[merged])


def _patch_line(call: ToolCall, short: Callable[[str], str]) -> ToolLine:
    changes = patch_changes(call.patch)
    for change in changes:
        change.path = short(change.path)
        change.moved_to = short(change.moved_to) if change.moved_to else ""
    added = sum(c.added for c in changes)
    removed = sum(c.removed for c in changes)
    if len(changes) == 1:
        what = f"<code>{escape(_clip(changes[0].path))}</code>"
    else:
        what = f"{len(changes)} files"
    label = (
        f'<span class="tool__name">{escape(call.name)}</span>: {what} ({counts(added, removed)})'
    )
    detail = render_changes(changes) or _pre(call.patch)
    if isinstance(call.arguments, dict) and call.arguments:
        detail += _arguments_html(call)
    return ToolLine("call", label, detail, call.name, changes=changes)


def _plan_line(call: ToolCall) -> ToolLine:
    arguments = call.arguments if isinstance(call.arguments, dict) else {}
    steps = arguments.get("todos") if call.name == "TodoWrite" else arguments.get("plan")
    items = [
        (str(s.get("content") or s.get("step") or ""), str(s.get("status") or "pending"))
        for s in (steps if isinstance(steps, list) else [])
        if isinstance(s, dict)
    ]
    if not items:
        return _other_call(call, str)
    done = sum(1 for _, status in items if status == "completed")
    label = f'<span class="tool__name">Plan</span>: {done} of {len(items)} done'
    now = next((text for text, status in items if status == "in_progress"), "")
    if now:
        label += f" · now: {escape(_clip(now, 80))}"
    detail = ""
    explanation = call.argument("explanation")
    if explanation:
        detail += f'<div class="tool__meta">{escape(explanation)}</div>'
    detail += '<ul class="plan">' + "".join(_plan_item(t, s) for t, s in items) + "</ul>"
    return ToolLine("call", label, detail, call.name)


def _plan_item(text: str, status: str) -> str:
    box = "☑" if status == "completed" else "☐"
    word = _PLAN_WORDS.get(status, status)
    kind = status if status in _PLAN_WORDS else "other"
    said = (
        f' <span class="plan__status">({escape(word)})</span>'
        if status != "completed" and status != "pending"
        else f'<span class="visually-hidden"> ({escape(word)})</span>'
    )
    return (
        f'<li class="plan__item plan__item--{kind}"><span class="plan__box">{box}</span> '
        f'<span class="plan__text">{escape(text)}</span>{said}</li>'
    )


def _other_call(call: ToolCall, short: Callable[[str], str]) -> ToolLine:
    """Any other tool: its name (an MCP tool's server and tool) and its leading argument."""
    name = call.name
    if name.startswith("mcp__"):
        name = " · ".join(part for part in name[5:].split("__") if part)
    arguments = call.arguments
    lead = ""
    if isinstance(arguments, dict):
        for key in ("description", "url", "query", "pattern", "prompt", "skill", "command"):
            if isinstance(arguments.get(key), str) and arguments[key].strip():
                lead = arguments[key]
                break
        else:
            lead = next((v for v in arguments.values() if isinstance(v, str) and v.strip()), "")
        agent = arguments.get("subagent_type")
        if call.name in ("Task", "Agent") and isinstance(agent, str) and agent:
            name = f"{name} ({agent})"
    elif isinstance(arguments, str):
        lead = arguments
    label = _label(name, lead, sep=": ")
    return ToolLine("call", label, _arguments_html(call), call.name)


def _arguments_html(call: ToolCall) -> str:
    """The call's arguments as they were sent: prose arguments as text, the rest as JSON."""
    arguments = call.arguments
    if isinstance(arguments, str):
        return _pre(arguments)
    if not isinstance(arguments, dict) or not arguments:
        return ""
    prose = {k: v for k, v in arguments.items() if isinstance(v, str) and "\n" in v}
    rest = {k: v for k, v in arguments.items() if k not in prose}
    html = ""
    if rest:
        html += _pre(json.dumps(rest, ensure_ascii=False, indent=2), "tool__arguments")
    for key, value in prose.items():
        html += f'<div class="tool__meta">{escape(key)}</div>{_pre(value)}'
    return html


def _pre(text: str, kind: str = "tool__output") -> str:
    return f'<pre class="{kind}">{escape(text)}</pre>'


def describe_result(speaker: str, source: str) -> ToolLine:
    """A result's outcome (exit code, error) and its output, clipped after the first lines."""
    failed = speaker.startswith("Tool error")
    output, status, facts = _outcome(source)
    if status.startswith("exit "):
        failed = status != "exit 0"
    elif failed:
        status = "error"
    lines = output.splitlines()
    detail = f'<div class="tool__meta">{escape(" · ".join(facts))}</div>' if facts else ""
    detail += clipped(output) if output.strip() else '<div class="tool__meta">No output.</div>'
    label = '<span class="tool__name">Result</span>'
    return ToolLine("result", label, detail, status=status, failed=failed, line_count=len(lines))


def _outcome(source: str) -> tuple[str, str, list[str]]:
    """The output without the lines that report on it, the status, and those facts."""
    lines = source.split("\n")
    status, facts = "", []
    header = 0
    for index, line in enumerate(lines):
        match = _CODEX_HEADER.fullmatch(line.strip())
        if match is None:
            header = index if line.strip() == "Output:" and index > 0 else 0
            break
        if match["exit"] or match["exited"]:
            status = f"exit {match['exit'] or match['exited']}"
        elif match["session"]:
            status = f"still running (session {match['session']})"
        elif match["wall"]:
            facts.append(f"took {float(match['wall']):g} s")
    if header:
        return "\n".join(lines[header + 1 :]), status, facts
    first = _CLAUDE_EXIT.fullmatch(lines[0].strip()) if lines else None
    if first is not None:
        return "\n".join(lines[1:]), f"exit {first['exit']}", []
    return source, "", []


def clipped(text: str) -> str:
    """Text as preformatted output: its first lines, the rest behind a fold."""
    lines = text.strip("\n").split("\n")
    head = "\n".join(lines[:SHOWN_OUTPUT_LINES])
    if len(head) > SHOWN_OUTPUT_CHARS:
        head = head[:SHOWN_OUTPUT_CHARS]
    rest = text.strip("\n")[len(head) :].lstrip("\n")
    if not rest:
        return _pre(head)
    more = rest.count("\n") + 1
    return (
        f'{_pre(head)}<details class="tool__more"><summary>Show {more} more line'
        f"{'s' if more != 1 else ''}</summary>{_pre(rest)}</details>"
    )


def describe_other(speaker: str, text: str, html: str) -> ToolLine:
    """A tool turn that is neither a call nor a result (a sub-agent's words): its speaker and
    first line, its stored HTML as the detail."""
    label = _label(speaker or "Tool", text, sep=": ")
    return ToolLine("other", label, html)
