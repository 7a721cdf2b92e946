"""Claude Code session logs imported whole, in the shapes real logs have: compactions that
start a new root, parallel tool calls that fork the chain, parents missing from the file,
sub-agent files, the newer entry types, API errors, and prompts rewound and sent again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blog.formats.detect import detect_format, read_conversations

SESSION = "7d3f0c52-9a41-4b8e-a6d2-3c5e8f1b2a90"
MODEL = "claude-opus-4-5-20251101"
NEWER = "claude_code_newer_session.jsonl"  # written in Claude Code 2.1's shapes


class Log:
    """A session log written entry by entry, each with the envelope Claude Code gives it;
    an entry's parent is the entry before it unless said otherwise."""

    def __init__(self, session: str = SESSION, **envelope) -> None:
        self.lines: list[dict] = []
        self.last: str | None = None
        self.session = session
        self.envelope = envelope
        self.count = 0

    def entry(self, kind: str, parent: str | None | bool = True, **fields) -> str:
        self.count += 1
        uuid = f"{kind[:2]}-{self.count:03d}"
        self.lines.append(
            {
                "parentUuid": self.last if parent is True else parent,
                "isSidechain": False,
                "userType": "external",
                "cwd": "/home/ana/src/ledger",
                "sessionId": self.session,
                "version": "2.1.229",
                "gitBranch": "main",
                "type": kind,
                "uuid": uuid,
                "timestamp": f"2026-08-24T10:{self.count // 60:02d}:{self.count % 60:02d}.000Z",
                **self.envelope,
                **fields,
            }
        )
        self.last = uuid
        return uuid

    def prompt(self, content, parent: str | None | bool = True, **fields) -> str:
        message = {"role": "user", "content": content}
        return self.entry("user", parent, message=message, promptId="p", **fields)

    def reply(self, block: dict | str, message_id: str, parent=True, **fields) -> str:
        if isinstance(block, str):
            block = {"type": "text", "text": block}
        message = {
            "model": fields.pop("model", MODEL),
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "content": [block],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 9},
        }
        return self.entry("assistant", parent, message=message, requestId="req_1", **fields)

    def call(self, tool_id: str, name: str, arguments: dict, message_id: str, parent=True) -> str:
        block = {"type": "tool_use", "id": tool_id, "name": name, "input": arguments}
        return self.reply(block, message_id, parent)

    def result(self, tool_id: str, output, parent: str | bool = True, **fields) -> str:
        block = {"tool_use_id": tool_id, "type": "tool_result", "content": output}
        source = self.last if parent is True else parent
        message = {"role": "user", "content": [block]}
        return self.entry("user", parent, message=message, sourceToolAssistantUUID=source, **fields)

    def flat(self, **fields) -> None:
        """A sidecar line: no uuid, no place in the chain."""
        self.lines.append({"sessionId": self.session, **fields})

    def write(self, folder: Path, name: str = f"{SESSION}.jsonl") -> Path:
        path = folder / name
        path.write_text("".join(json.dumps(line) + "\n" for line in self.lines), "utf-8")
        return path


def read(path: Path):
    (conversation,) = read_conversations(path)
    return conversation


def shown(conversation) -> list[tuple[str, str]]:
    return [(t.role, t.text) for t in conversation.turns if not t.hidden]


def hidden(conversation) -> list[tuple[str, str, str]]:
    return [(t.role, t.speaker, t.text) for t in conversation.turns if t.hidden]


def test_a_newer_session_keeps_every_prompt_and_reply_in_the_order_it_was_written():
    (session,) = read_conversations(Path(__file__).parent / "fixtures" / NEWER)

    assert session.title == "Fix -0.00 for empty ledger accounts"
    assert session.source_id == "3b9d2f6e-8c41-4a7e-9f05-1d2c3b4a5e6f"
    assert session.model == MODEL
    assert shown(session) == [
        ("user", "Why does `ledger balance` print -0.00 for an empty account?"),
        ("assistant", "Let me look at the formatting code and its callers."),
        (
            "assistant",
            "`format_amount` divides by 100 as a float, and `-0.0` formats as `-0.00`. "
            "Shall I format whole cents instead?",
        ),
        ("user", "y"),
        ("user", "try again"),
        ("assistant", "Fixed: an empty account now prints `0.00`."),
        ("user", "Add a test, and check report.rs uses it right."),
        ("assistant", "Added `tests/zero.rs`; report.rs already passes cents."),
    ]
    assert [speaker for _, speaker, _ in hidden(session)] == [
        "Hook (SessionStart:startup)",
        "Claude Code (thinking)",
        "Tool call (Read)",
        "Tool call (Grep)",
        "Tool result",
        "Tool result",
        "API error",
        "Tool call (Edit)",
        "Tool result",
        "Claude Code",  # Conversation compacted
        "Compaction summary",
        "Tool call (Agent)",
        "Tool result",
        "Tool call (Write)",
        "Tool result",
        "Recap",
    ]
    assert session.warnings == []


def test_an_older_compaction_with_no_logical_parent_keeps_every_prompt(tmp_path):
    log = Log()
    log.prompt("Why does `ledger balance` print -0.00?")
    log.reply("Because -0.0 formats with its sign.", "msg_1")
    log.prompt("Fix it then.")
    log.reply("Fixed in `format_amount`.", "msg_2")
    # Older versions: the boundary and the summary each start a root, with no logicalParentUuid.
    log.entry("system", None, subtype="compact_boundary", content="Conversation compacted")
    log.prompt(
        "This session is being continued from a previous conversation that ran out of "
        "context. The conversation is summarized below: the sign of zero was fixed.",
        None,
        isCompactSummary=True,
        isVisibleInTranscriptOnly=True,
    )
    log.prompt("Now add a test for it.")
    log.reply("Added `test_zero_has_no_sign`.", "msg_3")

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [
        ("user", "Why does `ledger balance` print -0.00?"),
        ("assistant", "Because -0.0 formats with its sign."),
        ("user", "Fix it then."),
        ("assistant", "Fixed in `format_amount`."),
        ("user", "Now add a test for it."),
        ("assistant", "Added `test_zero_has_no_sign`."),
    ]
    # The compaction stays where it happened, folded.
    assert [(t.role, t.hidden, t.speaker) for t in conversation.turns[4:6]] == [
        ("system", True, "Claude Code"),
        ("system", True, "Compaction summary"),
    ]
    assert conversation.turns[5].text.endswith("the sign of zero was fixed.")
    assert conversation.warnings == []


def test_parallel_tool_calls_keep_every_prompt_and_result(tmp_path):
    log = Log()
    log.prompt("Read both config files and tell me which port wins.")
    log.reply("Reading both.", "msg_1")
    first = log.call("toolu_1", "Read", {"file_path": "/app/a.toml"}, "msg_1")
    second = log.call("toolu_2", "Read", {"file_path": "/app/b.toml"}, "msg_1")
    # Each result hangs off its own call: the chain forks where the person never branched.
    answered = log.result("toolu_1", "port = 8080", first)
    log.result("toolu_2", "port = 9090", second)
    log.reply("b.toml wins: 9090.", "msg_2", answered)
    log.prompt("y")
    log.reply("Done: 9090 everywhere.", "msg_3")
    log.prompt("k")

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [
        ("user", "Read both config files and tell me which port wins."),
        ("assistant", "Reading both."),
        ("assistant", "b.toml wins: 9090."),
        ("user", "y"),
        ("assistant", "Done: 9090 everywhere."),
        ("user", "k"),
    ]
    assert [text for role, _, text in hidden(conversation) if role == "tool"][2:] == [
        "port = 8080",
        "port = 9090",
    ]
    assert conversation.warnings == []


def test_a_parent_missing_from_the_file_loses_nothing_and_is_said(tmp_path):
    log = Log()
    log.last = "a-gone"  # the session began in an entry this file does not hold
    log.prompt("Where is the rounding done?")
    log.reply("In `src/money.rs`, line 12.", "msg_1")
    log.prompt("Thanks.")

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [
        ("user", "Where is the rounding done?"),
        ("assistant", "In `src/money.rs`, line 12."),
        ("user", "Thanks."),
    ]
    assert conversation.warnings == [
        "1 entry point to an earlier entry the log does not hold (the session may go on "
        "from another file); kept in file order"
    ]


def test_a_one_prompt_session_in_the_newer_shape(tmp_path):
    log = Log()
    log.flat(type="permission-mode", permissionMode="default")
    log.flat(type="file-history-snapshot", messageId="m0", snapshot={}, isSnapshotUpdate=False)
    log.prompt("What does `git rebase --onto` do?")
    log.entry("attachment", attachment={"type": "skill_listing", "content": "x", "skillCount": 3})
    log.reply({"type": "thinking", "thinking": "", "signature": "EqQB"}, "msg_1")
    log.reply("It replays commits onto a new base.", "msg_1")
    log.entry("system", subtype="turn_duration", durationMs=5210, messageCount=4, isMeta=False)
    log.flat(type="last-prompt", lastPrompt="What does", leafUuid=log.last)
    log.flat(type="ai-title", aiTitle="Explain git rebase --onto")

    assert detect_format(log.write(tmp_path).read_bytes()) == "claude-code"
    conversation = read(log.write(tmp_path))

    assert conversation.title == "Explain git rebase --onto"
    assert (conversation.created_at.isoformat(), conversation.updated_at.isoformat()) == (
        "2026-08-24T10:00:01+00:00",
        "2026-08-24T10:00:05+00:00",
    )
    assert [(t.role, t.hidden, t.text) for t in conversation.turns] == [
        ("user", False, "What does `git rebase --onto` do?"),
        ("assistant", False, "It replays commits onto a new base."),
    ]
    assert conversation.model == MODEL
    assert conversation.warnings == []


def test_api_errors_and_interruptions_are_not_replies(tmp_path):
    log = Log()
    log.prompt("Summarise the changelog.")
    log.entry("system", subtype="api_error", level="error", error={"status": 502}, retryAttempt=1)
    log.reply(
        "API Error: 502 Bad Gateway",
        "msg_err1",
        model="<synthetic>",
        isApiErrorMessage=True,
        apiErrorStatus=502,
        error="server_error",
    )
    log.prompt("Try again.")
    log.reply(
        "API Error: 429 You've reached your daily limit · resets 9pm",
        "msg_err2",
        model="<synthetic>",
        isApiErrorMessage=True,
        error="rate_limit",
    )
    log.prompt("[Request interrupted by user]")
    log.reply("No response requested.", "msg_syn", model="<synthetic>")

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [("user", "Summarise the changelog."), ("user", "Try again.")]
    assert hidden(conversation) == [
        ("system", "API error", "API Error: 502 Bad Gateway"),
        ("system", "API error", "API Error: 429 You've reached your daily limit · resets 9pm"),
        ("system", "Interrupted", "[Request interrupted by user]"),
        ("system", "Claude Code", "No response requested."),
    ]
    assert conversation.model is None
    assert conversation.warnings == []


def test_each_newer_entry_type_is_shown_folded_or_left_out_by_its_rule(tmp_path):
    log = Log()
    log.flat(type="mode", mode="normal")
    log.flat(type="queue-operation", operation="enqueue", content="also the docs")
    log.entry(
        "attachment",
        attachment={
            "type": "hook_success",
            "hookName": "SessionStart:startup",
            "hookEvent": "SessionStart",
            "content": "Branch: main, 2 files changed",
            "stdout": "Branch: main, 2 files changed",
            "exitCode": 0,
        },
    )
    log.entry("attachment", attachment={"type": "hook_success", "hookName": "Stop", "content": ""})
    log.prompt("Rename `total` to `sum_cents`.")
    log.entry(
        "attachment",
        attachment={
            "type": "file",
            "filename": "/app/ledger.py",
            "displayPath": "ledger.py",
            "content": "total = 0",
        },
    )
    log.entry("attachment", attachment={"type": "task_reminder", "content": [], "itemCount": 0})
    log.entry("progress", data={"type": "bash_progress", "output": "..."}, toolUseID="toolu_1")
    log.call("toolu_1", "Edit", {"file_path": "/app/ledger.py"}, "msg_1")
    log.result("toolu_1", "The file has been updated.")
    log.entry(
        "attachment",
        attachment={
            "type": "queued_command",
            "prompt": "also the docs",
            "commandMode": "prompt",
            "origin": {"kind": "human"},
        },
    )
    log.reply("Renamed, and the docs too.", "msg_2")
    log.entry("system", subtype="stop_hook_summary", hookCount=1, hookInfos=[], hookErrors=[])
    log.entry(
        "attachment",
        attachment={
            "type": "queued_command",
            "prompt": "<task-notification>\n<task-id>b0</task-id>\n</task-notification>",
            "commandMode": "task-notification",
            "origin": {"kind": "task-notification"},
        },
    )
    log.prompt(
        "<task-notification>\n<task-id>b1</task-id>\n<status>completed</status>\n"
        "<summary>Tests passed</summary>\n</task-notification>",
        origin={"kind": "task-notification"},
    )
    log.entry(
        "system",
        subtype="local_command",
        content="<command-name>/model</command-name>\n<command-args>opus</command-args>",
        level="info",
    )
    log.entry("system", subtype="away_summary", content="Goal: rename. Next: release.")
    log.entry("system", subtype="brand_new_notice", content="Something new")
    log.entry("attachment", attachment={"type": "brand_new_reminder", "text": "x"})
    log.flat(type="brand-new-sidecar", value=1)
    log.flat(type="custom-title", customTitle="Rename total")
    log.flat(type="ai-title", aiTitle="Rename a ledger field")

    conversation = read(log.write(tmp_path))

    assert conversation.title == "Rename total"
    assert [(t.role, t.hidden, t.speaker, t.text) for t in conversation.turns] == [
        ("system", True, "Hook (SessionStart:startup)", "Branch: main, 2 files changed"),
        ("user", False, "", "Rename `total` to `sum_cents`."),
        ("system", True, "File (ledger.py)", "total = 0"),
        (
            "tool",
            True,
            "Tool call (Edit)",
            '`Edit`\n\n```json\n{\n  "file_path": "/app/ledger.py"\n}\n```',
        ),
        ("tool", True, "Tool result", "The file has been updated."),
        ("user", False, "", "also the docs"),
        ("assistant", False, "Claude Code", "Renamed, and the docs too."),
        (
            "system",
            True,
            "Background task",
            "<task-notification>\n<task-id>b0</task-id>\n</task-notification>",
        ),
        (
            "system",
            True,
            "Background task",
            "<task-notification>\n<task-id>b1</task-id>\n<status>completed</status>\n"
            "<summary>Tests passed</summary>\n</task-notification>",
        ),
        (
            "system",
            True,
            "Claude Code",
            "<command-name>/model</command-name>\n<command-args>opus</command-args>",
        ),
        ("system", True, "Recap", "Goal: rename. Next: release."),
        ("system", True, "Claude Code", "Something new"),
    ]
    assert conversation.warnings == [
        '1 entry of a type this importer does not read ("brand-new-sidecar") left out',
        '1 attachment entry of a kind this importer does not read ("brand_new_reminder") left out',
        '1 system entry of a subtype this importer does not know ("brand_new_notice") kept hidden',
    ]


def test_a_queued_message_also_logged_as_a_prompt_is_read_once(tmp_path):
    log = Log()
    log.prompt("Run the tests.")
    log.call("toolu_1", "Bash", {"command": "pytest -q"}, "msg_1")
    log.entry(
        "attachment",
        attachment={"type": "queued_command", "prompt": "and lint", "commandMode": "prompt"},
    )
    log.result("toolu_1", "3 passed")
    log.prompt("and lint")

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [("user", "Run the tests."), ("user", "and lint")]


def test_a_prompt_rewound_and_sent_again_keeps_the_first_as_an_alternative(tmp_path):
    log = Log()
    log.prompt("Name the new module.")
    answer = log.reply("`ledger.money`.", "msg_1")
    first = log.prompt("Make it shorter")
    log.entry("progress", data={"type": "hook_progress", "hookEvent": "UserPromptSubmit"})
    log.reply("`money`.", "msg_2")  # its parent is the progress line
    log.prompt("Shorter still")
    log.reply("`m`.", "msg_3")
    # Rewound to before "Make it shorter" and asked differently: same parent, a real branch.
    log.prompt("Make it more descriptive", answer)
    log.reply("`ledger.currency_amounts`.", "msg_4")

    conversation = read(log.write(tmp_path))

    assert [(t.role, t.text, t.alternatives) for t in conversation.turns] == [
        ("user", "Name the new module.", []),
        ("assistant", "`ledger.money`.", []),
        ("user", "Make it more descriptive", ["Make it shorter"]),
        ("assistant", "`ledger.currency_amounts`.", []),
    ]
    assert first == "us-003"
    assert conversation.warnings == [
        "1 earlier version of a prompt (rewound in Claude Code and sent again) kept as "
        "alternatives of the prompt that replaced it; 4 entries that followed it left out"
    ]


def test_a_sub_agent_file_alone_imports_as_its_own_conversation(tmp_path):
    agent = Log(isSidechain=True, agentId="a96cf8a57447af436")
    agent.prompt("Find every call to `format_amount` and report file:line.", None)
    agent.reply(
        {"type": "thinking", "thinking": "Grep for it.", "signature": "x"},
        "msg_s1",
        attributionAgent="Explore",
    )
    agent.call("toolu_s1", "Grep", {"pattern": "format_amount"}, "msg_s1")
    agent.result("toolu_s1", "src/money.rs:12\nsrc/report.rs:40")
    agent.reply("Two calls: src/money.rs:12 and src/report.rs:40.", "msg_s2")
    folder = tmp_path / SESSION / "subagents"
    folder.mkdir(parents=True)

    conversation = read(agent.write(folder, "agent-a96cf8a57447af436.jsonl"))

    assert [(t.role, t.hidden, t.speaker) for t in conversation.turns] == [
        ("user", False, "Claude Code (to the sub-agent)"),
        ("reasoning", True, "Claude Code (thinking)"),
        ("tool", True, "Tool call (Grep)"),
        ("tool", True, "Tool result"),
        ("assistant", False, "Claude Code (sub-agent)"),
    ]
    assert shown(conversation) == [
        ("user", "Find every call to `format_amount` and report file:line."),
        ("assistant", "Two calls: src/money.rs:12 and src/report.rs:40."),
    ]
    # Its entries carry the parent session's id: the agent's id keeps the two imports apart.
    assert conversation.source_id == f"{SESSION}/agent-a96cf8a57447af436"
    assert conversation.warnings == [
        "this is a sub-agent's log (agent a96cf8a57447af436): its first prompt was written "
        "by Claude Code for the sub-agent, not by you; import the session's folder to see it "
        "under the call that started it"
    ]


def test_sidechain_entries_inside_a_session_stay_folded_where_they_ran(tmp_path):
    log = Log()
    log.prompt("Check the other callers too.")
    log.call("toolu_t", "Task", {"prompt": "Search for callers.", "description": "d"}, "msg_1")
    side = Log(isSidechain=True)
    side.count = log.count
    side.prompt("Search for callers.", None)
    side.reply("One more in io.py.", "msg_s")
    log.lines += side.lines
    log.count = side.count
    log.result("toolu_t", [{"type": "text", "text": "One more in io.py."}])
    log.reply("There is one more caller, in io.py.", "msg_2")

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [
        ("user", "Check the other callers too."),
        ("assistant", "There is one more caller, in io.py."),
    ]
    assert [(speaker, text) for _, speaker, text in hidden(conversation)][1:3] == [
        ("Sub-agent", "Search for callers."),
        ("Sub-agent", "One more in io.py."),
    ]


def test_the_no_prompt_note_is_given_only_when_nothing_was_typed(tmp_path):
    commands = Log()
    commands.prompt("<command-name>/compact</command-name>\n<command-args></command-args>")
    commands.prompt("<local-command-stdout>Compacted</local-command-stdout>")

    assert read(commands.write(tmp_path)).warnings == []


def test_the_person_s_title_comes_before_claude_code_s_and_the_summary(tmp_path):
    log = Log()
    log.lines.append({"type": "summary", "summary": "Another session", "leafUuid": "elsewhere"})
    log.prompt("Plan the release.")
    leaf = log.reply("Tag, build, publish.", "msg_1")
    log.lines.append({"type": "summary", "summary": "Release plan", "leafUuid": leaf})
    path = log.write(tmp_path)
    assert read(path).title == "Release plan"

    log.flat(type="ai-title", aiTitle="Plan a release")
    assert read(log.write(tmp_path)).title == "Plan a release"

    log.flat(type="custom-title", customTitle="v2 release")
    assert read(log.write(tmp_path)).title == "v2 release"


def test_an_entry_written_twice_is_read_once(tmp_path):
    log = Log()
    log.prompt("Hello")
    log.reply("Hi.", "msg_1")
    log.lines += [dict(line) for line in log.lines]

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [("user", "Hello"), ("assistant", "Hi.")]
    assert conversation.warnings == ["2 entries written twice in the log read once"]


def test_a_zipped_project_folds_each_sub_agent_run_under_the_call_that_started_it(tmp_path):
    import zipfile

    log = Log()
    log.prompt("Who calls `format_amount`, and is it tested?")
    log.call("toolu_a", "Agent", {"prompt": "Find the callers.", "description": "c"}, "msg_1")
    log.call("toolu_b", "Task", {"prompt": "Find the tests.", "description": "t"}, "msg_1")
    log.result(
        "toolu_a",
        [{"type": "text", "text": "Two callers."}],
        toolUseResult={"status": "completed", "prompt": "Find the callers.", "agentId": "aaa1"},
    )
    log.result(
        "toolu_b",
        [{"type": "text", "text": "One test."}],
        toolUseResult={"status": "completed", "prompt": "Find the tests.", "agentId": "bbb2"},
    )
    log.reply("Two callers, and one test covers them.", "msg_2")
    project = tmp_path / "-home-ana-src-ledger"
    agents = project / SESSION / "subagents"
    agents.mkdir(parents=True)
    log.write(project)

    def agent_log(agent_id: str, prompt: str, answer: str) -> Log:
        agent = Log(isSidechain=True, agentId=agent_id)
        agent.prompt(prompt, None)
        agent.call(f"toolu_{agent_id}", "Grep", {"pattern": "format_amount"}, f"msg_{agent_id}")
        agent.result(f"toolu_{agent_id}", "src/money.rs:12")
        agent.reply(answer, f"msg_{agent_id}_2")
        return agent

    # Matched by its meta file's call id; the other by the call's prompt; a workflow's by neither.
    agent_log("aaa1", "Find the callers.", "Two callers.").write(agents, "agent-aaa1.jsonl")
    meta = {"agentType": "Explore", "description": "c", "toolUseId": "toolu_a"}
    (agents / "agent-aaa1.meta.json").write_text(json.dumps(meta), "utf-8")
    agent_log("bbb2", "Find the tests.", "One test.").write(agents, "agent-bbb2.jsonl")
    (agents / "agent-ddd4.meta.json").write_text('{"agentType": "Plan"}', "utf-8")
    workflow = agents / "workflows" / "wf_1"
    workflow.mkdir(parents=True)
    agent_log("ccc3", "Step one.", "Done.").write(workflow, "agent-ccc3.jsonl")
    (workflow / "journal.jsonl").write_text('{"type":"started","agentId":"ccc3"}\n', "utf-8")
    (project / SESSION / "tool-results").mkdir()
    (project / SESSION / "tool-results" / "b1x2c3d4e.txt").write_text("long output", "utf-8")
    archive = tmp_path / "ledger.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(project.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(tmp_path).as_posix())
    notes: list[str] = []

    (conversation,) = read_conversations(archive, notes=notes)

    assert shown(conversation) == [
        ("user", "Who calls `format_amount`, and is it tested?"),
        ("assistant", "Two callers, and one test covers them."),
    ]
    assert [(t.speaker, t.text) for t in conversation.turns if t.speaker.startswith("Sub")] == [
        ("Sub-agent (Explore): prompt", "Find the callers."),
        ("Sub-agent (Explore)", "Two callers."),
        ("Sub-agent: prompt", "Find the tests."),
        ("Sub-agent", "One test."),
        ("Sub-agent: prompt", "Step one."),
        ("Sub-agent", "Done."),
    ]
    speakers = [t.speaker for t in conversation.turns]
    # Each run sits right under its call, before the call's result.
    first_call = speakers.index("Tool call (Agent)")
    assert speakers[first_call + 1 : first_call + 6] == [
        "Sub-agent (Explore): prompt",
        "Tool call (Grep)",
        "Tool result",
        "Sub-agent (Explore)",
        "Tool call (Task)",
    ]
    assert conversation.warnings == [
        "2 sub-agent runs folded under the calls that started them",
        "1 sub-agent log (ccc3) matched no call in the session; added, folded, at its end",
    ]
    beside = "skipped (Claude Code's own record beside a session, not a conversation)"
    assert notes == [
        f"ledger.zip, entry -home-ana-src-ledger/{SESSION}/subagents/agent-ddd4.meta.json: "
        "skipped (a sub-agent's description, whose log is not beside it)",
        f"ledger.zip, entry -home-ana-src-ledger/{SESSION}/subagents/workflows/wf_1/"
        f"journal.jsonl: {beside}",
        f"ledger.zip, entry -home-ana-src-ledger/{SESSION}/tool-results/b1x2c3d4e.txt: {beside}",
    ]


def test_a_resumed_session_is_known_by_its_own_id_not_the_one_it_copied(tmp_path):
    copied = Log(session="0aa1-earlier")
    copied.prompt("Start the migration.")
    copied.reply("Started.", "msg_1")
    log = Log()
    log.lines, log.last, log.count = copied.lines, copied.last, copied.count
    log.prompt("Carry on.")
    log.reply("Done.", "msg_2")

    conversation = read(log.write(tmp_path))

    assert conversation.source_id == SESSION
    assert [text for _, text in shown(conversation)] == [
        "Start the migration.",
        "Started.",
        "Carry on.",
        "Done.",
    ]


def test_importing_a_project_folder_reads_each_session_with_its_sub_agents(
    app, runner, owner, tmp_path
):
    from blog.extensions import db
    from blog.models import Post, Turn

    log = Log()
    log.prompt("Who calls `format_amount`?")
    log.call("toolu_a", "Agent", {"prompt": "Find the callers.", "description": "c"}, "msg_1")
    log.result("toolu_a", [{"type": "text", "text": "Two callers."}])
    log.reply("Two callers: money.rs and report.rs.", "msg_2")
    project = tmp_path / "projects" / "-home-ana-src-ledger"
    agents = project / SESSION / "subagents"
    agents.mkdir(parents=True)
    log.write(project)
    agent = Log(isSidechain=True, agentId="aaa1")
    agent.prompt("Find the callers.", None)
    agent.reply("Two callers.", "msg_s")
    agent.write(agents, "agent-aaa1.jsonl")
    meta = {"agentType": "Explore", "description": "c", "toolUseId": "toolu_a"}
    (agents / "agent-aaa1.meta.json").write_text(json.dumps(meta), "utf-8")
    other = Log(session="0bb2c3d4-other")
    other.prompt("Rename the crate.")
    other.reply("Renamed.", "msg_o")
    other.write(project, "0bb2c3d4-other.jsonl")
    # Older versions wrote files of session summaries alone beside the sessions.
    summaries = {"type": "summary", "summary": "Ledger rounding", "leafUuid": "elsewhere"}
    (project / "0cc3-summaries.jsonl").write_text(json.dumps(summaries) + "\n", "utf-8")

    result = runner.invoke(args=["import", str(tmp_path / "projects")])

    assert result.exit_code == 0, result.output
    assert "Imported 2 new" in result.output
    assert (
        "skipped  0cc3-summaries.jsonl: a Claude Code log with no messages in it, only "
        "Claude Code's own records"
    ) in result.output
    with app.app_context():
        posts = db.session.scalars(db.select(Post).order_by(Post.title)).all()
        assert [p.title for p in posts] == ["Rename the crate.", "Who calls format_amount?"]
        speakers = db.session.scalars(
            db.select(Turn.speaker).where(Turn.post_id == posts[1].id).order_by(Turn.position)
        ).all()
    assert speakers[:4] == [
        "",
        "Tool call (Agent)",
        "Sub-agent (Explore): prompt",
        "Sub-agent (Explore)",
    ]


def test_a_prompt_rewound_twice_keeps_both_earlier_versions_oldest_first(tmp_path):
    log = Log()
    start = log.prompt("Pick a name.")
    answer = log.reply("`ledger`.", "msg_1", start)
    log.prompt("Shorter", answer)
    log.reply("`ldg`.", "msg_2")
    log.prompt("Friendlier", answer)
    log.reply("`pennywise`.", "msg_3")
    log.prompt("Plainer", answer)
    log.reply("`accounts`.", "msg_4")

    conversation = read(log.write(tmp_path))

    assert [(t.text, t.alternatives) for t in conversation.turns] == [
        ("Pick a name.", []),
        ("`ledger`.", []),
        ("Plainer", ["Shorter", "Friendlier"]),
        ("`accounts`.", []),
    ]


def test_two_prompts_with_one_parent_are_no_branch_when_the_first_goes_on_after_the_second(
    tmp_path,
):
    log = Log()
    asked = log.reply("Which file should I start with?", "msg_0")
    first = log.prompt("a.py", asked)
    working = log.reply("Starting with a.py.", "msg_1", first)
    # Sent while Claude worked, logged under the question it answered: no rewind, since the
    # first prompt's thread goes on after it.
    log.prompt("then b.py", asked)
    log.reply("a.py done; b.py next.", "msg_2", working)

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [
        ("assistant", "Which file should I start with?"),
        ("user", "a.py"),
        ("assistant", "Starting with a.py."),
        ("user", "then b.py"),
        ("assistant", "a.py done; b.py next."),
    ]
    assert all(not t.alternatives for t in conversation.turns)
    assert conversation.warnings == []


def test_a_log_of_records_alone_is_no_conversation_and_says_so(tmp_path):
    from blog.formats.base import NotAConversationFile

    log = Log()
    log.lines.append({"type": "summary", "summary": "Ledger rounding", "leafUuid": "x"})
    log.flat(type="file-history-snapshot", messageId="m0", snapshot={}, isSnapshotUpdate=False)
    log.entry("attachment", attachment={"type": "task_reminder", "content": [], "itemCount": 0})

    with pytest.raises(NotAConversationFile, match="no messages in it"):
        read(log.write(tmp_path))


def test_a_log_that_opens_with_a_long_run_of_records_is_recognised(tmp_path):
    log = Log()
    log.flat(type="permission-mode", permissionMode="default")
    listing = {"type": "skill_listing", "content": "skill " * 20_000, "skillCount": 400}
    for _ in range(3):
        log.entry("attachment", attachment=listing)
    log.prompt("Hello")
    head = log.write(tmp_path).read_bytes()[:65536]

    assert b'"type": "user"' not in head
    assert detect_format(head) == "claude-code"


def test_braces_in_an_unknown_kind_s_name_are_reported_as_written(tmp_path):
    log = Log()
    log.prompt("Hi")
    log.entry("system", subtype="{0}{x}", content="")
    log.entry("attachment", attachment={"type": "{}", "text": "x"})

    conversation = read(log.write(tmp_path))

    assert conversation.warnings == [
        '1 attachment entry of a kind this importer does not read ("{}") left out',
        '1 system entry of a subtype this importer does not know ("{0}{x}") left out',
    ]


def test_a_sub_agent_started_by_a_sub_agent_is_folded_inside_the_run_that_started_it(tmp_path):
    import zipfile

    log = Log()
    log.prompt("Audit the money code.")
    log.call("toolu_a", "Agent", {"prompt": "Audit src/.", "description": "a"}, "msg_1")
    log.result("toolu_a", "Audited.")
    log.reply("The audit found nothing.", "msg_2")
    project = tmp_path / "-home-ana-src-ledger"
    agents = project / SESSION / "subagents"
    agents.mkdir(parents=True)
    log.write(project)
    outer = Log(isSidechain=True, agentId="aaa1")
    outer.prompt("Audit src/.", None)
    outer.call("toolu_n", "Agent", {"prompt": "Audit src/money.rs.", "description": "n"}, "m1")
    outer.result("toolu_n", "money.rs is fine.")
    outer.reply("Audited.", "m2")
    outer.write(agents, "agent-aaa1.jsonl")
    inner = Log(isSidechain=True, agentId="nnn2")
    inner.prompt("Audit src/money.rs.", None)
    inner.reply("money.rs is fine.", "m3")
    inner.write(agents, "agent-nnn2.jsonl")
    metas = {
        "aaa1": {"agentType": "general-purpose", "toolUseId": "toolu_a", "spawnDepth": 1},
        "nnn2": {
            "agentType": "Explore",
            "toolUseId": "toolu_n",
            "parentAgentId": "aaa1",
            "spawnDepth": 2,
        },
    }
    for agent, meta in metas.items():
        (agents / f"agent-{agent}.meta.json").write_text(json.dumps(meta), "utf-8")
    archive = tmp_path / "ledger.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(project.rglob("*")):
            zipped.write(path, path.relative_to(tmp_path).as_posix())

    (conversation,) = read_conversations(archive)

    assert [(t.speaker, t.text) for t in conversation.turns if t.speaker.startswith("Sub")] == [
        ("Sub-agent (general-purpose): prompt", "Audit src/."),
        ("Sub-agent (Explore): prompt", "Audit src/money.rs."),
        ("Sub-agent (Explore)", "money.rs is fine."),
        ("Sub-agent (general-purpose)", "Audited."),
    ]
    assert conversation.warnings == [
        "1 sub-agent run folded under the call that started it",
        "sub-agent aaa1: 1 sub-agent run folded under the call that started it",
    ]


def test_reminders_claude_code_adds_to_a_user_message_are_not_the_person_s_words(tmp_path):
    reminder = "<system-reminder>\nThe task tools haven't been used recently.\n</system-reminder>"
    log = Log()
    log.prompt([{"type": "text", "text": reminder}])
    log.prompt([{"type": "text", "text": reminder}, {"type": "text", "text": "read HANDOFF.md"}])
    log.reply("Reading it.", "msg_1")
    opened = "<ide_opened_file>The user opened src/money.rs in the IDE.</ide_opened_file>"
    log.prompt([{"type": "text", "text": opened}, {"type": "text", "text": "and this one"}])
    log.prompt("<user-memory-input>Amounts are in cents</user-memory-input>")

    conversation = read(log.write(tmp_path))

    assert [(t.role, t.hidden, t.text) for t in conversation.turns] == [
        ("system", True, reminder),
        ("system", True, reminder),
        ("user", False, "read HANDOFF.md"),
        ("assistant", False, "Reading it."),
        ("system", True, opened),
        ("user", False, "and this one"),
        ("system", True, "<user-memory-input>Amounts are in cents</user-memory-input>"),
    ]
    assert conversation.title == "read HANDOFF.md"


def test_a_zip_of_sub_agent_logs_without_their_session_reads_each_on_its_own(tmp_path):
    import zipfile

    agent = Log(isSidechain=True, agentId="aaa1")
    agent.prompt("Find the callers.", None)
    agent.reply("Two callers.", "msg_s")
    archive = tmp_path / "subagents.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(
            "subagents/agent-aaa1.jsonl", "".join(json.dumps(line) + "\n" for line in agent.lines)
        )
        zipped.writestr(
            "subagents/agent-aaa1.meta.json", '{"agentType": "Explore", "toolUseId": "t"}'
        )
    notes: list[str] = []

    (conversation,) = read_conversations(archive, notes=notes)

    assert shown(conversation) == [("user", "Find the callers."), ("assistant", "Two callers.")]
    assert notes == [
        "subagents.zip, entry subagents/agent-aaa1.meta.json: skipped (a sub-agent's "
        "description, read only with the session that started the agent)"
    ]


def test_text_pasted_into_a_prompt_is_read_without_the_tags_claude_code_keeps_it_in():
    # Claude Code 2.1.2xx keeps a paste between `<pasted_content id=…>` tags; the person saw
    # what they pasted, as they pasted it.
    pasted = Path(__file__).parent / "fixtures" / "claude_code_pasted_session.jsonl"
    (conversation,) = read_conversations(pasted)

    prompts = [t for t in conversation.turns if t.role == "user" and not t.hidden]

    assert [t.text for t in prompts] == [
        "Run the command: echo hook fixture run",
        "Why does this fail?\n\nTraceback (most recent call last):\n"
        "  File \"app.py\", line 3\n    x = {'a': 1 <b>",
        "What is wrong with this layout?\nThe footer overlaps.",
    ]
    assert [len(t.attachments) for t in prompts] == [0, 0, 1]
    assert conversation.title == "Run the command: echo hook fixture run"
    assert [t.text for t in conversation.turns if t.role == "assistant"] == [
        "Output: `hook fixture run`",
        "The dict on line 3 is never closed.",
        "The footer is positioned absolutely.",
    ]


def test_a_paste_queued_while_claude_worked_is_read_once_without_its_tags(tmp_path):
    pasted = '\n\n<pasted_content id="5be1">\nalso check\n  the lint\n</pasted_content id="5be1">\n'
    log = Log()
    log.prompt("Run the tests.")
    log.call("toolu_1", "Bash", {"command": "pytest -q"}, "msg_1")
    log.entry(
        "attachment",
        attachment={"type": "queued_command", "prompt": pasted, "commandMode": "prompt"},
    )
    log.result("toolu_1", "3 passed")
    log.prompt(pasted)
    log.prompt('Ask <pasted_content id="9"> means nothing here.')

    conversation = read(log.write(tmp_path))

    assert shown(conversation) == [
        ("user", "Run the tests."),
        ("user", "also check\n  the lint"),
        ("user", 'Ask <pasted_content id="9"> means nothing here.'),
    ]


def test_a_slash_command_with_the_persons_words_is_their_prompt():
    entries = [
        {
            "type": "user",
            "uuid": "u1",
            "parentUuid": None,
            "sessionId": "s",
            "version": "2.1.39",
            "timestamp": "2026-02-01T10:00:00Z",
            "message": {
                "role": "user",
                "content": (
                    "<command-message>handgemacht:create-beads</command-message>\n"
                    "<command-name>/handgemacht:create-beads</command-name>\n"
                    "<command-args>websearch to learn how beads work</command-args>"
                ),
            },
        },
        {
            "type": "user",
            "uuid": "u2",
            "parentUuid": "u1",
            "sessionId": "s",
            "isMeta": True,
            "timestamp": "2026-02-01T10:00:00Z",
            "message": {
                "role": "user",
                "content": [{"type": "text", "text": "# Create beads\nThe expanded command."}],
            },
        },
        {
            "type": "assistant",
            "uuid": "a1",
            "parentUuid": "u2",
            "sessionId": "s",
            "timestamp": "2026-02-01T10:00:05Z",
            "message": {
                "id": "m1",
                "role": "assistant",
                "model": "claude-sonnet-4-5-20250929",
                "content": [{"type": "text", "text": "Searching for how beads work."}],
            },
        },
        {
            "type": "user",
            "uuid": "u3",
            "parentUuid": "a1",
            "sessionId": "s",
            "timestamp": "2026-02-01T10:01:00Z",
            "message": {
                "role": "user",
                "content": "<command-name>/clear</command-name>\n<command-message>clear</command-message>\n<command-args></command-args>",
            },
        },
    ]
    data = "\n".join(json.dumps(entry) for entry in entries).encode()
    (conversation,) = read_conversations(data, "session.jsonl")
    shown = [(t.role, t.text) for t in conversation.turns if not t.hidden]
    assert shown == [
        ("user", "/handgemacht:create-beads websearch to learn how beads work"),
        ("assistant", "Searching for how beads work."),
    ]
    hidden = [t.text for t in conversation.turns if t.hidden]
    assert any("The expanded command." in text for text in hidden)
    assert any("/clear" in text for text in hidden)
