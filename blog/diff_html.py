"""File changes as coloured diffs: an edit's old and new text, a written file, or a Codex
patch, each as lines marked added, removed or context, rendered to HTML. Pure.

Decisions worth knowing:
- Every piece of text is escaped here; the markup is fixed (classes only, no styles, since the
  page's CSP forbids inline styles), and the caller still passes it through the allowlist.
- An edit's old and new strings are fragments of a file, so the line numbers a diff of them
  would print are wrong for the file: hunks are separated by a gap line, never numbered.
- A long diff shows its first lines and folds the rest, so a rewritten file does not bury the
  session around it.
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from html import escape

# How many lines of one file's diff are shown before the rest is folded.
SHOWN_LINES = 60
_MINUS = "\u2212"  # the minus sign, which reads as one beside a plus
_PATCH_ACTIONS = {"Add File": "add", "Delete File": "delete", "Update File": "update"}
_ACTION_WORDS = {"add": "Add", "delete": "Delete", "update": "Update", "write": "Write"}


@dataclass
class FileChange:
    """One file's change: its path, what was done, and the marked lines."""

    path: str
    action: str  # "update", "add", "delete" or "write"
    lines: list[tuple[str, str]] = field(default_factory=list)  # (add|del|ctx|gap, text)
    moved_to: str = ""

    @property
    def added(self) -> int:
        return sum(1 for kind, _ in self.lines if kind == "add")

    @property
    def removed(self) -> int:
        return sum(1 for kind, _ in self.lines if kind == "del")


def counts(added: int, removed: int) -> str:
    """Lines added and removed as people write them: "+3 −1"."""
    return f"+{added} {_MINUS}{removed}" if removed else f"+{added}"


def edit_change(path: str, old: str, new: str) -> FileChange:
    """An edit that replaced `old` by `new` in the file at `path`."""
    change = FileChange(path, "update")
    before, after = old.splitlines(), new.splitlines()
    diff = difflib.unified_diff(before, after, n=3, lineterm="")
    # The first two lines are the file headers, which name nothing here.
    for line in itertools.islice(diff, 2, None):
        if line.startswith("@@"):
            if change.lines:
                change.lines.append(("gap", "…"))
            continue
        change.lines.append(_marked(line))
    return change


def write_change(path: str, content: str) -> FileChange:
    """A file written whole: every line added."""
    return FileChange(path, "write", [("add", line) for line in content.splitlines()])


def patch_changes(patch: str) -> list[FileChange]:
    """The files a Codex patch (`*** Begin Patch` … `*** End Patch`) changes, in order."""
    changes: list[FileChange] = []
    current: FileChange | None = None
    for line in patch.splitlines():
        header = _patch_header(line)
        if header is not None:
            action, path = header
            current = FileChange(path, action)
            changes.append(current)
        elif line.startswith("*** Move to:") and current is not None:
            current.moved_to = line.removeprefix("*** Move to:").strip()
        elif line.startswith("***") or current is None:
            continue  # Begin/End Patch, End of File: the grammar's own marks
        elif line.startswith("@@"):
            heading = line[2:].strip()
            if current.lines or heading:
                current.lines.append(("gap", heading or "…"))
        else:
            current.lines.append(_marked(line))
    return changes


def _patch_header(line: str) -> tuple[str, str] | None:
    if not line.startswith("*** "):
        return None
    name, _, path = line[4:].partition(":")
    action = _PATCH_ACTIONS.get(name.strip())
    return (action, path.strip()) if action and path.strip() else None


def _marked(line: str) -> tuple[str, str]:
    if line.startswith("+"):
        return "add", line[1:]
    if line.startswith("-"):
        return "del", line[1:]
    return "ctx", line[1:] if line.startswith(" ") else line


def render_changes(changes: list[FileChange], shown: int = SHOWN_LINES) -> str:
    """The changes as HTML: each file's name and counts, then its lines (the rest folded)."""
    return "".join(_render_change(change, shown) for change in changes)


def _render_change(change: FileChange, shown: int) -> str:
    action = _ACTION_WORDS.get(change.action, change.action)
    moved = f" → <code>{escape(change.moved_to)}</code>" if change.moved_to else ""
    head = (
        f'<div class="diff__file"><span class="diff__action">{action}</span> '
        f"<code>{escape(change.path)}</code>{moved} "
        f'<span class="diff__counts">{counts(change.added, change.removed)}</span></div>'
    )
    if not change.lines:
        return f'<div class="diff">{head}</div>'
    body = _lines_html(change.lines[:shown])
    rest = change.lines[shown:]
    if rest:
        more = len(rest)
        body += (
            f'<details class="diff__more"><summary>Show {more} more line'
            f"{'s' if more != 1 else ''}</summary>{_lines_html(rest)}</details>"
        )
    return f'<div class="diff">{head}{body}</div>'


def _lines_html(lines: list[tuple[str, str]]) -> str:
    signs = {"add": "+", "del": "-", "ctx": " ", "gap": ""}
    spans = "".join(
        f'<span class="diff__line diff__line--{kind}">{signs[kind]}{escape(text)}</span>'
        for kind, text in lines
    )
    return f'<pre class="diff__lines">{spans}</pre>'
