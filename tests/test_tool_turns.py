"""Tool turns said in one line with their detail, diffs as marked lines, and a session laid out:
pure functions over the text the Claude Code and Codex readers store."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from blog.diff_html import edit_change, patch_changes, render_changes, write_change
from blog.formats.blocks import fence, tool_call_text
from blog.formats.detect import read_conversations
from blog.sessions import session_layout
from blog.tool_turns import (
    SHOWN_OUTPUT_LINES,
    command_of,
    describe_call,
    describe_result,
    parse_call,
)

FIXTURES = Path(__file__).parent / "fixtures"


def line_of(name: str, arguments: object, short=str) -> str:
    call = parse_call(tool_call_text(name, arguments))
    assert call is not None
    return describe_call(call, short).label


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("&quot;", '"').replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("name", "arguments", "said"),
    [
        ("Bash", {"command": "npm test", "description": "Run the tests"}, "Bash: npm test"),
        ("Bash", {"command": "make\nmake install"}, "Bash: make …"),
        ("Read", {"file_path": "/p/src/app.py"}, "Read /p/src/app.py"),
        ("Read", {"file_path": "a.py", "offset": 10, "limit": 5}, "Read a.py (lines 10–14)"),
        ("Grep", {"pattern": "TODO", "path": "src"}, 'Grep "TODO" in src'),
        ("Glob", {"pattern": "**/*.py"}, 'Glob "**/*.py"'),
        ("LS", {"path": "/p"}, "List /p"),
        (
            "Edit",
            {"file_path": "app.py", "old_string": "a\nb", "new_string": "a\nc\nd"},
            "Edit app.py (+2 −1)",
        ),
        ("Write", {"file_path": "new.py", "content": "x = 1\ny = 2\n"}, "Write new.py (+2)"),
        (
            "MultiEdit",
            {
                "file_path": "m.py",
                "edits": [
                    {"old_string": "one", "new_string": "1"},
                    {"old_string": "two", "new_string": "2"},
                ],
            },
            "Edit m.py (+2 −2, 2 edits)",
        ),
        (
            "TodoWrite",
            {
                "todos": [
                    {"content": "Read", "status": "completed", "activeForm": "Reading"},
                    {"content": "Fix", "status": "in_progress", "activeForm": "Fixing"},
                ]
            },
            "Plan: 1 of 2 done · now: Fix",
        ),
        (
            "Task",
            {"description": "Find callers", "prompt": "…", "subagent_type": "Explore"},
            "Task (Explore): Find callers",
        ),
        (
            "WebFetch",
            {"url": "https://example.org/x", "prompt": "Sum up"},
            "WebFetch: https://example.org/x",
        ),
        ("mcp__github__create_issue", {"title": "Crash"}, "github · create_issue: Crash"),
        ("shell", {"command": ["bash", "-lc", "cargo test"], "workdir": "/p"}, "shell: cargo test"),
        ("shell", {"command": ["rg", "-n", "a b"]}, "shell: rg -n 'a b'"),
        ("shell_command", {"command": "ls -la"}, "shell_command: ls -la"),
        ("exec_command", {"cmd": "npm test", "yield_time_ms": 1000}, "exec_command: npm test"),
        (
            "update_plan",
            {"plan": [{"step": "A", "status": "completed"}, {"step": "B", "status": "pending"}]},
            "Plan: 1 of 2 done",
        ),
        ("read_file", {"file_path": "/p/x.rs"}, "Read /p/x.rs"),
        ("web_search", {"type": "search", "query": "rust csv"}, "web_search: rust csv"),
    ],
)
def test_each_call_says_what_it_does_in_one_line(name, arguments, said):
    assert plain(line_of(name, arguments)) == said


def test_paths_are_shown_from_the_sessions_root():
    short = {"/home/ana/p/src/app.py": "src/app.py"}.get
    assert plain(line_of("Read", {"file_path": "/home/ana/p/src/app.py"}, short)) == (
        "Read src/app.py"
    )


def test_a_label_is_escaped():
    label = line_of("Bash", {"command": "echo '<script>alert(1)</script>'"})
    assert "<script>" not in label and "&lt;script&gt;" in label


def test_a_codex_patch_is_one_line_for_its_files():
    patch = (
        "*** Begin Patch\n*** Update File: src/a.py\n@@ def f():\n-    return 1\n+    return 2\n"
        "*** Add File: b.py\n+x = 1\n+y = 2\n*** Delete File: c.py\n"
        "*** Update File: d.py\n*** Move to: e.py\n@@\n context\n-old\n+new\n*** End Patch"
    )
    call = parse_call(f"`apply_patch`\n\n{fence(patch, 'diff')}")
    line = describe_call(call)
    assert plain(line.label) == "apply_patch: 4 files (+4 −2)"
    assert [(c.path, c.action, c.moved_to) for c in line.changes] == [
        ("src/a.py", "update", ""),
        ("b.py", "add", ""),
        ("c.py", "delete", ""),
        ("d.py", "update", "e.py"),
    ]
    assert '<span class="diff__line diff__line--gap">def f():</span>' in line.detail
    assert '<span class="diff__line diff__line--ctx"> context</span>' in line.detail
    # Its other arguments, when the call had some, are kept beside the diff.
    call = parse_call(
        f"`shell`\n\n{fence(patch, 'diff')}\n\n{fence(json.dumps({'workdir': '/w'}), 'json')}"
    )
    assert call.patch == patch and call.arguments == {"workdir": "/w"}
    assert "/w" in describe_call(call).detail


def test_an_edit_diff_marks_lines_without_wrong_line_numbers():
    change = edit_change("f.py", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "a\nB\nc\nd\ne\nf\ng\nh\ni\nJ\n")
    kinds = [kind for kind, _ in change.lines]
    assert kinds.count("add") == 2 and kinds.count("del") == 2
    assert "gap" in kinds and not any(text.startswith("@@") for _, text in change.lines)
    html = render_changes([change])
    assert '<span class="diff__line diff__line--del">-b</span>' in html
    assert '<span class="diff__line diff__line--add">+B</span>' in html
    assert "style=" not in html


def test_a_removed_line_that_starts_with_dashes_is_kept():
    change = edit_change("q.sql", "-- a comment\nselect 1;\n", "select 1;\n")
    assert change.lines == [("del", "-- a comment"), ("ctx", "select 1;")]


def test_a_long_diff_folds_after_its_first_lines():
    html = render_changes([write_change("big.txt", "\n".join(map(str, range(100))))], shown=60)
    assert html.count("diff__line--add") == 100
    assert '<details class="diff__more"><summary>Show 40 more lines</summary>' in html


@pytest.mark.parametrize(
    ("speaker", "source", "status", "failed", "output"),
    [
        (
            "Tool result",
            "Exit code: 1\nWall time: 1.2 seconds\nOutput:\nboom\n",
            "exit 1",
            True,
            "boom",
        ),
        ("Tool result", "Exit code: 0\nWall time: 0 seconds\nOutput:\nok", "exit 0", False, "ok"),
        (
            "Tool result",
            "Chunk ID: 1a\nWall time: 0.0521 seconds\nProcess exited with code 2\n"
            "Original token count: 3\nOutput:\nno such file",
            "exit 2",
            True,
            "no such file",
        ),
        (
            "Tool result",
            "Chunk ID: 1a\nWall time: 10.0 seconds\nProcess running with session ID 7\n"
            "Original token count: 0\nOutput:\n",
            "still running (session 7)",
            False,
            "",
        ),
        ("Tool error", "Exit code 127\nbash: nope: command not found", "exit 127", True, "nope"),
        ("Tool error", "Error: Exit code 1\nFAILED", "exit 1", True, "FAILED"),
        (
            "Tool error",
            "<tool_use_error>File does not exist.</tool_use_error>",
            "error",
            True,
            "File",
        ),
        ("Tool result", "Exit code: 3 is what the docs say", "", False, "Exit code: 3"),
    ],
)
def test_a_result_says_how_it_ended(speaker, source, status, failed, output):
    line = describe_result(speaker, source)
    assert (line.status, line.failed) == (status, failed)
    assert output in line.detail
    assert "Chunk ID" not in line.detail and "Original token count" not in line.detail


def test_long_output_shows_its_first_lines_and_folds_the_rest():
    source = "\n".join(f"line {n}" for n in range(50))
    detail = describe_result("Tool result", source).detail
    shown, folded = detail.split("<details", 1)
    assert f"line {SHOWN_OUTPUT_LINES - 1}" in shown and f"line {SHOWN_OUTPUT_LINES}" not in shown
    assert f"Show {50 - SHOWN_OUTPUT_LINES} more lines" in folded and "line 49" in folded


def test_a_shell_command_is_unwrapped_from_bash_lc():
    assert command_of({"command": ["bash", "-lc", "ls && pwd"]}, "command") == "ls && pwd"
    assert command_of({"command": ["ls", "my dir"]}, "command") == "ls 'my dir'"
    assert command_of({"cmd": "make"}, "cmd") == "make"


def test_text_not_in_the_call_shape_is_no_call():
    assert parse_call("I ran `ls` for you.") is None
    assert parse_call("`Bash`\n\n```json\n{\n```\n\nmore") is None
    call = parse_call("`Bash`\n\n```json\n{not json}\n```")
    assert call is not None and call.arguments == "{not json}"


def turns_of(name: str, shown=lambda turn: True) -> tuple[list, str]:
    path = FIXTURES / name
    with path.open("rb") as stream:
        conversation = next(iter(read_conversations(stream, name)))
    turns = [
        SimpleNamespace(
            id=100 + index,
            role=t.role,
            speaker=t.speaker,
            model=t.model or "",
            source=t.text,
            html="<p>stored</p>",
            text=t.text,
            excluded=not shown(t),
            created_at=t.created_at,
        )
        for index, t in enumerate(conversation.turns)
    ]
    return turns, conversation.source_kind


def lines_of(layout: dict) -> list[str]:
    said = []
    for block in layout["blocks"].values():
        for item in block["items"]:
            said.append(plain(item["label"]) + (f" → {item['status']}" if item["status"] else ""))
            said += ["  " + plain(sub["label"]) for sub in item.get("items", [])]
    return said


def test_parallel_calls_are_paired_with_their_results_in_order():
    turns, kind = turns_of("claude_code_newer_session.jsonl")
    layout = session_layout(turns, kind)
    first = layout["blocks"]["104"]["items"]
    assert [plain(i["label"]) for i in first] == ["Read src/money.rs", 'Grep "format_amount"']
    read, grep = first
    assert [p["kind"] for p in read["parts"]] == ["call", "result"]
    assert "pub fn format_amount" in read["parts"][1]["html"]
    assert "src/report.rs:40" in grep["parts"][1]["html"]


def test_a_hidden_result_keeps_its_place_in_the_pairing():
    def shown(turn):
        return not turn.hidden or (
            turn.role == "tool" and "fn format_amount(cents" not in turn.text
        )

    turns, kind = turns_of("claude_code_newer_session.jsonl", shown)
    layout = session_layout(turns, kind)
    first = layout["blocks"]["104"]["items"]
    # The Read's own result is hidden: the Grep's is not given to it.
    assert [p["kind"] for p in first[0]["parts"]] == ["call"]
    assert "src/report.rs:40" in first[1]["parts"][1]["html"]


def test_a_run_breaks_where_the_author_left_out_a_turn():
    turns, kind = turns_of(
        "claude_code_tool_session.jsonl", lambda t: t.role == "tool" or not t.hidden
    )
    grep_text = next(
        t for t in turns if t.role == "assistant" and "stops one row early" in t.source
    )
    whole = session_layout(turns, kind)
    grep_text.excluded = True  # the author leaves out the prose between two runs
    cut = session_layout(turns, kind)
    assert len(cut["blocks"]) == len(whole["blocks"])
    assert lines_of(cut) == lines_of(whole)


def test_reads_in_a_row_are_grouped_and_the_facts_counted():
    turns, kind = turns_of(
        "claude_code_tool_session.jsonl", lambda t: t.role == "tool" or not t.hidden
    )
    layout = session_layout(turns, kind)
    assert lines_of(layout)[1:5] == [
        "Read 3 files",
        "  Read src/csvkit/export.py",
        "  Read src/csvkit/rows.py",
        "  Read tests/test_export.py (lines 1–40)",
    ]
    summary = layout["summary"]
    assert summary["agent"] == "Claude Code" and summary["models"] == ["Claude Sonnet 4.5"]
    assert (summary["prompts"], summary["calls"], summary["calls_shown"]) == (1, 11, 11)
    assert [(f["path"], f["added"], f["removed"]) for f in summary["files"]] == [
        ("src/csvkit/export.py", 2, 2),
        ("src/csvkit/rows.py", 2, 1),
        ("tests/test_last_row.py", 9, 0),
    ]
    assert summary["duration"] == "3 min"


def test_hidden_turns_are_counted_but_carry_no_detail():
    turns, kind = turns_of("codex_tool_session.jsonl", lambda t: not t.hidden)
    layout = session_layout(turns, kind)
    assert layout["blocks"] == {} and layout["inside"] == []
    assert layout["summary"]["calls"] == 7 and layout["summary"]["calls_shown"] == 0
    assert all(not f["shown"] for f in layout["summary"]["files"])


def test_other_posts_have_no_session_layout():
    turns, _ = turns_of("codex_tool_session.jsonl")
    assert session_layout(turns, "chatgpt") is None


def test_durations_are_said_as_people_say_them():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    turns = [
        SimpleNamespace(
            id=n, role="user", speaker="", model="", source="hi", html="", text="hi",
            excluded=False, created_at=start + offset,
        )
        for n, offset in enumerate([timedelta(0), timedelta(hours=2, minutes=5)])
    ]  # fmt: skip
    assert session_layout(turns, "codex")["summary"]["duration"] == "2 h 5 min"


def test_a_patch_without_files_is_no_change():
    assert patch_changes("*** Begin Patch\n*** End Patch") == []


def test_what_the_layout_stores_has_passed_the_allowlist():
    def turn(number, role, speaker, source, html=""):
        return SimpleNamespace(
            id=number, role=role, speaker=speaker, model="", source=source, html=html,
            text=source, excluded=False, created_at=None,
        )  # fmt: skip

    hostile = "<img src=x onerror=alert(1)>"
    turns = [
        turn(1, "user", "", "Run it"),
        turn(2, "tool", "Tool call (Bash)", tool_call_text("Bash", {"command": hostile})),
        turn(3, "tool", "Tool result", f"<script>alert(1)</script>\n{hostile}"),
        turn(4, "tool", "Sub-agent", "Done", html='<p onclick="x()">Done</p><script>x()</script>'),
    ]
    layout = session_layout(turns, "claude-code")
    stored = json.dumps(layout)
    assert "<script" not in stored and "<img" not in stored and "onclick" not in stored
    assert "&lt;img src=x onerror=alert(1)&gt;" in stored
    items = layout["blocks"]["2"]["items"]
    assert plain(items[0]["label"]) == "Bash: &lt;img src=x onerror=alert(1)&gt;"
    assert items[1]["parts"][0]["html"] == "<p>Done</p>"


def test_a_result_shown_apart_from_its_call_is_named_by_it():
    # Codex logged "Interrupted by the user." between the call and its result.
    turns, kind = turns_of("codex_review_session.jsonl", lambda t: t.role == "tool" or not t.hidden)
    said = lines_of(session_layout(turns, kind))
    assert said[1:3] == [
        "shell_command: cargo test summary",
        "Result of shell_command: cargo test summary → aborted",
    ]
