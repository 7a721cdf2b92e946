"""Codex CLI session logs: /review, interrupted turns, patches, titles, and a rule for every kind."""

from __future__ import annotations

import json
from pathlib import Path

from blog.formats.codex import rollout as codex
from blog.formats.detect import read_conversations

FIXTURES = Path(__file__).parent / "fixtures"
SESSION = {"timestamp": "2026-02-02T10:00:00Z", "type": "session_meta"}


def _log(tmp_path: Path, entries: list[dict], name: str = "test") -> Path:
    path = tmp_path / f"rollout-2026-02-02T10-00-00-{name}.jsonl"
    lines = [{**SESSION, "payload": {"id": "s-1", "cwd": "/work/app"}}, *entries]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _item(payload: dict) -> dict:
    return {"timestamp": "2026-02-02T10:00:01Z", "type": "response_item", "payload": payload}


def _event(payload: dict) -> dict:
    return {"timestamp": "2026-02-02T10:00:02Z", "type": "event_msg", "payload": payload}


def _prompt(text: str) -> dict:
    return _item(
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )


def _reply(text: str) -> dict:
    return _item(
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text}],
        }
    )


def _read(path: Path):
    (conversation,) = read_conversations(path)
    return conversation


def test_a_review_session_reads_as_prompts_replies_and_folded_work():
    session = _read(FIXTURES / "codex_review_session.jsonl")

    assert session.title == "Fix the first finding, please."
    assert session.model == "gpt-5.1-codex"
    assert session.warnings == []
    assert [(t.role, t.hidden, t.speaker) for t in session.turns] == [
        ("system", True, "Codex context"),  # developer permissions
        ("system", True, "Codex context"),  # AGENTS.md
        ("system", True, "Codex context"),  # environment
        ("user", False, ""),  # the custom prompt's expansion, as sent
        ("reasoning", True, "Codex (reasoning)"),
        ("tool", True, "Tool call (apply_patch)"),
        ("tool", True, "Tool result"),
        ("assistant", False, "Codex"),
        ("user", False, ""),  # /review
        ("reasoning", True, "Codex (reasoning)"),  # the reviewer's, only in an event
        ("system", True, "Codex context"),  # <user_action> with the results
        ("assistant", False, "Codex"),  # the findings
        ("system", True, "Codex (review as text)"),
        ("user", False, ""),
        ("tool", True, "Tool call (shell_command)"),
        ("system", False, "Codex"),  # the interruption, in place
        ("tool", True, "Tool result"),
        ("system", True, "Codex context"),  # <turn_aborted>
        ("user", False, ""),
        ("tool", True, "Tool call (apply_patch)"),
        ("tool", True, "Tool result"),
        ("assistant", False, "Codex"),
    ]
    prompts = [t.text for t in session.turns if t.role == "user"]
    assert prompts[1:] == [
        "Review current changes",
        "Fix the first finding, please.",
        "Skip the tests for now; just key the totals by year and month.",
    ]
    assert prompts[0].startswith("## User Input\n\n```text\nAdd a monthly summary command\n```")
    assert [t.text for t in session.turns if t.role == "assistant"] == [
        "Added `ledger summary`: it prints each month's total in cents, oldest first.",
        "**Verdict:** patch is incorrect (confidence 0.78)\n\n"
        "The summary merges the same month of different years.\n\n"
        "- **Months of different years are added together** — `src/summary.rs:5-7`"
        " (P1, confidence 0.82)\n\n"
        "  `monthly` keys the totals by `e.month` alone, so March 2024 and March 2025 land"
        " in one bucket.\n"
        "  Key by `(year, month)`.\n\n"
        "- **No test covers the new command** — `src/main.rs:41` (P3, confidence 0.55)\n\n"
        "  Add a test with entries in two different years.",
        "Done: totals are now keyed by `(year, month)`, so March 2024 and March 2025 stay apart.",
    ]
    assert session.turns[15].text == "Interrupted by the user."
    assert session.turns[9].text == "**Reading the diff of src/summary.rs**"


def test_a_patch_is_kept_as_a_diff_fence_in_every_shape_codex_sends_it(tmp_path):
    patch = "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = 2\n*** End Patch"
    path = _log(
        tmp_path,
        [
            _prompt("Set x to 2."),
            _item(
                {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch", "input": patch}
            ),
            _item({"type": "custom_tool_call_output", "call_id": "c1", "output": "Done!"}),
            _item(
                {
                    "type": "function_call",
                    "name": "shell",
                    "arguments": json.dumps({"command": ["apply_patch", patch], "workdir": "/w"}),
                    "call_id": "c2",
                }
            ),
            _item(
                {
                    "type": "function_call",
                    "name": "apply_patch",
                    "arguments": json.dumps({"input": patch}),
                    "call_id": "c3",
                }
            ),
            _item(
                {
                    "type": "function_call",
                    "name": "shell_command",
                    "arguments": json.dumps({"command": f"apply_patch <<'EOF'\n{patch}\nEOF"}),
                    "call_id": "c4",
                }
            ),
        ],
    )

    tools = [t for t in _read(path).turns if t.role == "tool"]

    diff = f"```diff\n{patch}\n```"
    assert [t.text for t in tools] == [
        f"`apply_patch`\n\n{diff}",
        "Done!",
        f"`shell`\n\n{diff}\n\n```json\n"
        '{\n  "command": [\n    "apply_patch",\n    "(the patch above)"\n  ],\n'
        '  "workdir": "/w"\n}\n```',
        f"`apply_patch`\n\n{diff}",
        f"`shell_command`\n\n{diff}\n\n```json\n"
        '{\n  "command": "apply_patch <<\'EOF\'\\n(the patch above)\\nEOF"\n}\n```',
    ]
    assert all(t.hidden for t in tools)


def test_an_older_review_request_and_a_review_cut_short(tmp_path):
    path = _log(
        tmp_path,
        [
            _event(
                {
                    "type": "entered_review_mode",
                    "prompt": "Check the error handling in the parser.",
                    "user_facing_hint": "Check the error handling in the parser.",
                }
            ),
            # The reviewer's work is recorded only as events, so they are read here.
            _event({"type": "user_message", "message": "Check the error handling in the parser."}),
            _event({"type": "agent_message", "message": "Reading parser.rs first."}),
            _event({"type": "exited_review_mode", "review_output": None}),
            _event(
                {
                    "type": "entered_review_mode",
                    "target": {"type": "commit", "sha": "4be1c0d9e8f7", "title": "Round cents"},
                }
            ),
            _event({"type": "turn_aborted", "reason": "interrupted"}),
            _event({"type": "exited_review_mode", "review_output": None}),
            _reply("Review was interrupted. Please re-run /review and wait for it to complete."),
        ],
    )

    conversation = _read(path)

    assert [(t.role, t.hidden, t.text) for t in conversation.turns] == [
        ("user", False, "Check the error handling in the parser."),
        ("system", True, "Check the error handling in the parser."),
        ("system", True, "Reading parser.rs first."),
        ("system", False, "The review was interrupted before it finished."),
        ("user", False, "Review commit 4be1c0d: Round cents"),
        ("system", False, "Interrupted by the user."),
        (
            "system",
            True,
            "Review was interrupted. Please re-run /review and wait for it to complete.",
        ),
    ]
    # Instructions the person wrote are a typed prompt; a commit picked from a list is not.
    assert conversation.title == "Check the error handling in the parser."


def test_the_title_skips_a_review_picked_from_the_menu_and_a_custom_prompts_expansion(tmp_path):
    expansion = (
        "## User Input\n\n```text\nSpeed up the import\n```\n\n"
        "You **MUST** consider the user input before proceeding (if not empty)."
    )
    review = [
        _event({"type": "entered_review_mode", "target": {"type": "uncommittedChanges"}}),
        _event({"type": "exited_review_mode", "review_output": {"findings": []}}),
    ]
    typed_later = _log(tmp_path, [*review, _prompt(expansion), _prompt("Why is it slow?")], "a")
    only_expansion = _log(tmp_path, [_prompt(expansion)], "b")
    only_review = _log(tmp_path, review, "c")
    template = "# Review\n\nLook for unchecked errors in the diff.\n\n## Output\n\nA list."
    only_template = _log(tmp_path, [_prompt(template), _reply("None found.")], "d")

    assert _read(typed_later).title == "Why is it slow?"
    assert _read(only_expansion).title == "Speed up the import"
    assert _read(only_review).title == "Review current changes"
    assert _read(only_template).title == "Look for unchecked errors in the diff."


def test_a_reviewers_own_log_answers_with_its_findings(tmp_path):
    answer = {
        "findings": [
            {
                "title": "[P2] The cache is never invalidated",
                "body": "Entries stay after the file changes.",
                "confidence_score": 0.6,
                "priority": 2,
                "code_location": {
                    "absolute_file_path": "/work/app/cache.py",
                    "line_range": {"start": 10, "end": 12},
                },
            }
        ],
        "overall_correctness": "patch is incorrect",
        "overall_explanation": "Stale entries are served.",
        "overall_confidence_score": 0.6,
    }
    path = _log(
        tmp_path,
        [
            {
                **SESSION,
                "payload": {"id": "s-2", "cwd": "/work/app", "source": {"subagent": "review"}},
            },
            _prompt("Review the current code changes and provide prioritized findings."),
            _reply(json.dumps(answer)),
        ],
    )

    turns = _read(path).turns

    assert [(t.role, t.hidden, t.speaker) for t in turns] == [
        ("user", False, ""),
        ("system", True, "Codex (review as JSON)"),
        ("assistant", False, "Codex"),
    ]
    assert turns[2].text == (
        "**Verdict:** patch is incorrect (confidence 0.6)\n\nStale entries are served.\n\n"
        "- **The cache is never invalidated** — `cache.py:10-12` (P2, confidence 0.6)\n\n"
        "  Entries stay after the file changes."
    )


def test_text_codex_writes_in_the_users_place_is_folded_not_a_prompt(tmp_path):
    written = [
        "<user_shell_command>\n<command>\nls\n</command>\n</user_shell_command>",
        "<skill>\n<name>pdf</name>\nRead PDFs with pdftotext.\n</skill>",
        "<subagent_notification>\n{}\n</subagent_notification>",
    ]
    path = _log(tmp_path, [*map(_prompt, written), _prompt("Summarise report.pdf.")])

    conversation = _read(path)

    assert [(t.role, t.hidden) for t in conversation.turns] == [("system", True)] * 3 + [
        ("user", False)
    ]
    assert conversation.title == "Summarise report.pdf."


def test_a_user_item_is_a_prompt_when_codex_logged_that_the_person_sent_it(tmp_path):
    def said(text: str) -> dict:
        return _event({"type": "user_message", "message": text, "images": []})

    handoff = "Another language model started to solve this problem; here is its summary."
    agents = "# AGENTS.md instructions for /work/app\n\n<INSTRUCTIONS>\nBe brief.\n</INSTRUCTIONS>"
    path = _log(
        tmp_path,
        [
            _prompt(handoff),  # written by Codex after a compaction: no event
            _prompt(agents),
            said(agents),  # an older client's event for its own context confirms nothing
            said("Where were we?"),  # an event written before its item
            _prompt("Where were we?"),
            _prompt("What does this show?\n\n<image>"),
            said("What does this show?"),  # the same input, told without the image tag
            _reply("A chart."),
        ],
    )

    turns = _read(path).turns

    assert [(t.role, t.hidden, t.text) for t in turns] == [
        ("system", True, handoff),
        ("system", True, agents),
        ("user", False, "Where were we?"),
        ("user", False, "What does this show?\n\n<image>"),
        ("assistant", False, "A chart."),
    ]


def test_snapshots_are_left_out_by_rule_and_unknown_kinds_are_named(tmp_path):
    path = _log(
        tmp_path,
        [
            _prompt("Hello"),
            _item({"type": "ghost_snapshot", "ghost_commit": {"id": "abc", "parent": None}}),
            _item({"type": "compaction", "encrypted_content": "gAAAA"}),
            _event({"type": "token_count", "info": None, "rate_limits": None}),
            _event({"type": "thread_rolled_back", "num_turns": 2}),
            _event({"type": "realtime_conversation_started"}),
            _event({"type": "realtime_conversation_started"}),
            {"timestamp": "2026-02-02T10:00:03Z", "type": "world_state", "payload": {}},
            _item({"type": "image_generation_call", "id": "ig_1", "result": "…"}),
            _reply("Hi"),
        ],
    )

    conversation = _read(path)

    assert [(t.role, t.hidden, t.text) for t in conversation.turns] == [
        ("user", False, "Hello"),
        ("system", True, "Codex dropped the last 2 turns from its context here."),
        ("assistant", False, "Hi"),
    ]
    assert conversation.warnings == [
        '1 content block of a kind this importer does not show ("image_generation_call") left out',
        '2 Codex log entries of a kind this importer does not know ("event_msg '
        'realtime_conversation_started") left out',
        '1 Codex log entry of a kind this importer does not know ("world_state") left out',
    ]


def test_every_kind_the_reader_has_a_rule_for_is_in_its_table():
    documented = codex.__doc__ or ""
    named = (
        codex._CALLS
        | codex._OUTPUTS
        | {"ghost_snapshot", "compaction", "message", "reasoning"}
        | set(codex._NOTICES)
        | {"entered_review_mode", "exited_review_mode", "turn_aborted", "thread_rolled_back"}
        | {"session_meta", "turn_context", "compacted", "undo_completed"}
    )
    assert [kind for kind in sorted(named) if f"`{kind}`" not in documented] == []


def test_the_import_report_names_what_was_left_out(app, runner, owner, tmp_path):
    path = _log(tmp_path, [_prompt("Hello"), _event({"type": "brand_new_event"}), _reply("Hi")])

    result = runner.invoke(args=["import", str(path)])

    assert result.exit_code == 0, result.output
    assert "brand_new_event" in result.output


def test_prompts_are_matched_to_their_events_in_linear_time():
    from blog.formats.codex.rollout import parse_codex
    from tests.complexity import growth

    def make(n: int) -> list[dict]:
        # Items no event names, events no item matches, and one prompt sent over and over.
        notes = [_prompt(f"note {i}") for i in range(n)]
        unmatched = [_event({"type": "user_message", "message": f"m {i}"}) for i in range(n)]
        again = [_event({"type": "user_message", "message": "go on"}) for _ in range(n)]
        return notes + unmatched + again + [_prompt("go on") for _ in range(n)]

    assert growth(lambda entries: list(parse_codex(entries)), make, 300) < 30


def test_a_review_session_saves_with_its_interruption_shown_and_its_work_folded(app, runner, owner):
    from blog.extensions import db
    from blog.models import Post, Turn

    result = runner.invoke(args=["import", str(FIXTURES / "codex_review_session.jsonl")])

    assert result.exit_code == 0, result.output
    expected = [(t.role, t.hidden) for t in _read(FIXTURES / "codex_review_session.jsonl").turns]
    with app.app_context():
        (title,) = db.session.execute(db.select(Post.title)).scalars().all()
        rows = db.session.execute(
            db.select(Turn.role, Turn.excluded, Turn.text).order_by(Turn.position)
        ).all()
    assert title == "Fix the first finding, please."
    assert [(role, excluded) for role, excluded, _ in rows] == expected
    shown = [(role, text) for role, excluded, text in rows if not excluded and role == "system"]
    assert shown == [("system", "Interrupted by the user.")]


def test_the_tags_codex_writes_around_an_image_are_not_part_of_the_prompt():
    # Codex sends each image between text blocks of its own: `<image>` for a pasted one,
    # `<image name=[Image #1]>` for a file; the person typed only the text beside them.
    (conversation,) = read_conversations(FIXTURES / "codex_rollout_images.jsonl")

    prompts = [t for t in conversation.turns if t.role == "user" and not t.hidden]

    assert [t.text for t in prompts] == ["Why is the <button> cut off here?", "And this one?"]
    assert [[a.mime_type for a in t.attachments] for t in prompts] == [["image/png"]] * 2
    assert [t.text for t in conversation.turns if t.role == "assistant"] == [
        "The header has `overflow: hidden` and a fixed height of 40px.",
        "Same cause: the menu sits inside that header.",
    ]


def test_an_image_tag_typed_as_text_with_no_image_beside_it_is_kept(tmp_path):
    typed = [{"type": "input_text", "text": "Is <image> valid HTML?"}]
    lone = [{"type": "input_text", "text": "<image>"}]
    path = _log(
        tmp_path,
        [
            _item({"type": "message", "role": "user", "content": typed + lone}),
            _event({"type": "user_message", "message": "Is <image> valid HTML?\n<image>"}),
            _reply("No."),
        ],
    )

    assert _read(path).turns[0].text.endswith("<image>")
