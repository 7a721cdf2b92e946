"""Claude Code and Codex session logs, Open WebUI and LibreChat exports: every prompt, reply,
tool call and result, and every piece of reasoning, as a turn of the right kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from blog.formats.detect import detect_format, read_conversations

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str):
    return list(read_conversations(FIXTURES / name))


def kinds(conversation) -> list[tuple[str, bool]]:
    return [(turn.role, turn.hidden) for turn in conversation.turns]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("claude_code_session.jsonl", "claude-code"),
        ("claude_code_newer_session.jsonl", "claude-code"),
        ("codex_rollout.jsonl", "codex"),
        ("codex_rollout_legacy.jsonl", "codex"),
        ("open_webui_export.json", "open-webui"),
        ("librechat_export.json", "librechat"),
    ],
)
def test_each_new_source_is_recognised_from_its_content(name, fmt):
    assert detect_format((FIXTURES / name).read_bytes()[:65536], name) == fmt
    assert detect_format((FIXTURES / name).read_bytes()[:65536]) == fmt


def test_claude_code_session():
    (session,) = read("claude_code_session.jsonl")

    assert session.title == "Fix the failing date parser test"
    assert session.source_kind == "claude-code"
    assert session.source_id == "5f1c2a9e-3b7d-4e21-9c0a-7d1e8f2b4a60"
    assert session.model == "claude-sonnet-4-20250514"
    assert kinds(session) == [
        ("system", True),  # isMeta caveat
        ("user", False),
        ("reasoning", True),
        ("assistant", False),
        ("tool", True),  # Bash call
        ("tool", True),  # its error result
        ("assistant", False),
        ("tool", True),  # sub-agent task
        ("tool", True),  # sub-agent answer
        ("user", False),
        ("assistant", False),
        ("system", True),  # compaction notice
        ("user", False),
    ]
    turns = session.turns
    assert turns[4].text.startswith(
        '`Bash`\n\n```json\n{\n  "command": "pytest -q tests/test_dates.py'
    )
    assert turns[5].speaker == "Tool error"
    assert "Invalid isoformat string: '2025-W31'" in turns[5].text
    # Two streamed pieces of one reply (same message id) are one turn.
    assert turns[10].text == (
        "The CI traceback shows the same `ValueError`, so the fix above covers it."
        "\n\nShall I apply it?"
    )
    (image,) = turns[9].attachments
    assert (image.mime_type, image.data[:4]) == ("image/png", b"\x89PNG")


def test_codex_rollout_skips_event_messages_that_repeat_items():
    (session,) = read("codex_rollout.jsonl")

    assert session.source_kind == "codex"
    assert session.source_id == "0198a1c2-7e44-7d10-9b3e-5c2f1a0e9d77"
    assert session.model == "gpt-5-codex"
    assert session.title == "Why does ledger balance print -0.00 for an empty account?"
    assert kinds(session) == [
        ("system", True),  # environment context
        ("user", False),
        ("reasoning", True),
        ("tool", True),
        ("tool", True),
        ("assistant", False),
        ("user", False),
        ("tool", True),  # apply_patch (its reasoning had no summary)
        ("tool", True),
        ("assistant", False),
    ]
    turns = session.turns
    assert turns[2].text.startswith("**Looking for the formatting code**")
    assert turns[4].text == "src/money.rs:12:pub fn format_amount(cents: i64) -> String {"
    assert turns[7].text.startswith("`apply_patch`\n\n```diff\n*** Begin Patch")
    assert [t.text for t in turns if t.role == "assistant"] == [
        "`format_amount` divides by 100 as a float, and `-0.0` formats as `-0.00`. "
        "Round to integer cents and format the sign yourself.",
        "Fixed: an empty account now prints `0.00`.",
    ]


def test_codex_legacy_rollout_with_a_header_line():
    (session,) = read("codex_rollout_legacy.jsonl")

    assert session.source_id == "6a0f3f5e-1b8c-4c1a-a0a5-2d8c7f3b9e10"
    assert kinds(session) == [
        ("user", False),
        ("reasoning", True),
        ("tool", True),
        ("tool", True),
        ("assistant", False),
    ]
    assert session.turns[3].text == "README.md\nsrc"


def test_open_webui_follows_the_current_branch_and_splits_reasoning_and_tools():
    first, second = read("open_webui_export.json")

    assert first.title == "Boiling water at altitude"
    assert first.source_kind == "open-webui"
    assert first.model == "qwen3:8b"
    assert kinds(first) == [
        ("user", False),
        ("reasoning", True),
        ("assistant", False),
        ("user", False),
        ("attachment", True),  # the uploaded CSV, named but not in the export
        ("tool", True),
        ("tool", True),
        ("assistant", False),
    ]
    reply = first.turns[2]
    assert reply.text == (
        "At 2000 m, water boils at about **93.4 °C**, because the air pressure is only "
        "about 79.5 kPa."
    )
    assert reply.alternatives == ["About 93 °C."]
    assert first.turns[1].text == (
        "Pressure drops with altitude; at 2000 m it is about 79.5 kPa.\n"
        "Water boils near 93.4 °C at that pressure."
    )
    assert (
        first.turns[4].text
        == "- altitude-table.csv (application/octet-stream), not included in the export"
    )
    assert first.turns[5].text == (
        '`web_search`\n\n```json\n{\n  "query": "boiled egg time high altitude"\n}\n```'
    )
    assert first.turns[6].text == "Add about 1 minute per 300 m above sea level."
    assert [a.name for a in first.turns[3].attachments] == ["altitude-table.csv"]
    assert [(t.role, t.text, t.speaker) for t in second.turns] == [
        ("user", "Say hi in French.", ""),
        ("assistant", "Bonjour !", "Llama 3.2 3B"),
    ]


def test_librechat_follows_the_branch_to_the_last_message():
    (conversation,) = read("librechat_export.json")

    assert conversation.title == "Regex for UK postcodes"
    assert conversation.source_kind == "librechat"
    assert conversation.model == "claude-sonnet-4-20250514"
    assert kinds(conversation) == [
        ("user", False),
        ("reasoning", True),
        ("assistant", False),
        ("user", False),
        ("tool", True),
        ("tool", True),
        ("assistant", False),
    ]
    reply = conversation.turns[2]
    assert reply.text.startswith("Use this pattern, case-insensitively:")
    assert reply.alternatives == ["Try `^[A-Z]{1,2}\\d[A-Z\\d]? ?\\d[A-Z]{2}$`."]
    assert conversation.turns[5].text == "stdout:\nTrue"
    assert conversation.turns[6].text == "Yes: it matches `SW1A 1AA`."


@pytest.mark.parametrize(
    "name",
    [
        "claude_code_session.jsonl",
        "claude_code_newer_session.jsonl",
        "codex_rollout.jsonl",
        "open_webui_export.json",
        "librechat_export.json",
    ],
)
def test_each_new_source_saves_its_hidden_turns_as_excluded(app, runner, owner, name):
    from blog.extensions import db
    from blog.models import Turn

    result = runner.invoke(args=["import", str(FIXTURES / name)])

    assert result.exit_code == 0, result.output
    assert "hidden   " in result.output
    expected = [kind for conversation in read(name) for kind in kinds(conversation)]
    with app.app_context():
        rows = db.session.execute(
            db.select(Turn.role, Turn.excluded).order_by(Turn.post_id, Turn.position)
        ).all()
    assert [(role, excluded) for role, excluded in rows] == expected


def _log(tmp_path, name: str, lines: list[dict], tail: str = "") -> Path:
    """A JSON-lines log written from these entries, then `tail` (a line cut short)."""
    import json

    path = tmp_path / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + tail, encoding="utf-8")
    return path


def _claude_code_entry(kind: str, uuid: str, parent: str | None, content, **extra) -> dict:
    message = {"role": kind, "content": content, **extra.pop("message", {})}
    return {
        "type": kind,
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": "s-1",
        "isSidechain": False,
        "timestamp": "2025-10-01T10:00:00Z",
        "message": message,
        **extra,
    }


def test_claude_code_reads_only_the_authors_prompts_as_prompts(tmp_path):
    reply = {"id": "msg_1", "model": "claude-opus-4-1"}
    path = _log(
        tmp_path,
        "session.jsonl",
        [
            {"type": "file-history-snapshot", "messageId": "m0", "snapshot": {}},
            {"type": "queue-operation", "operation": "enqueue", "sessionId": "s-1"},
            _claude_code_entry("user", "a1", None, "<command-name>/model</command-name>"),
            _claude_code_entry(
                "user", "a2", "a1", "<local-command-stdout>Set model</local-command-stdout>"
            ),
            _claude_code_entry("user", "a3", "a2", [{"type": "text", "text": "Tidy the parser"}]),
            {"type": "attachment", "uuid": "x", "parentUuid": "a3", "attachment": {}},
            {"type": "last-prompt", "lastPrompt": "Tidy the parser", "sessionId": "s-1"},
            _claude_code_entry(
                "assistant",
                "a4",
                "a3",
                [{"type": "thinking", "thinking": "", "signature": "x"}],
                message=reply,
            ),
            _claude_code_entry(
                "assistant", "a5", "a4", [{"type": "text", "text": "Reading it."}], message=reply
            ),
            _claude_code_entry(
                "assistant",
                "a6",
                "a5",
                [{"type": "tool_use", "id": "t1", "name": "Read", "input": {"file_path": "/p"}}],
                message=reply,
            ),
            _claude_code_entry(
                "user",
                "a7",
                "a6",
                [
                    {
                        "tool_use_id": "t1",
                        "type": "tool_result",
                        "content": [{"type": "text", "text": "def parse(): ..."}],
                        "is_error": False,
                    }
                ],
            ),
            _claude_code_entry("user", "a8", "a7", "[Request interrupted by user for tool use]"),
            _claude_code_entry(
                "user",
                "a8b",
                "a8",
                "This session is being continued from a previous conversation. Summary: ...",
                isCompactSummary=True,
            ),
            _claude_code_entry(
                "assistant",
                "a9",
                "a8b",
                [{"type": "text", "text": "Stopped."}],
                message={"id": "msg_2"},
            ),
        ],
        tail='{"type": "user", "uuid": "a10", "message": {"content": "and th',
    )

    (session,) = read_conversations(path)

    assert session.title == "Tidy the parser"
    assert [(t.role, t.hidden, t.text) for t in session.turns] == [
        ("system", True, "<command-name>/model</command-name>"),
        ("system", True, "<local-command-stdout>Set model</local-command-stdout>"),
        ("user", False, "Tidy the parser"),
        ("assistant", False, "Reading it."),
        ("tool", True, '`Read`\n\n```json\n{\n  "file_path": "/p"\n}\n```'),
        ("tool", True, "def parse(): ..."),
        ("system", True, "[Request interrupted by user for tool use]"),
        (
            "system",
            True,
            "This session is being continued from a previous conversation. Summary: ...",
        ),
        ("assistant", False, "Stopped."),
    ]
    assert session.warnings == [
        "line 15, the last, is cut short (the log may still have been being written) "
        "and was left out"
    ]


def test_a_last_line_cut_inside_a_character_is_left_out_too(tmp_path):
    entry = '{"type": "user", "uuid": "a1", "sessionId": "s", "message": {"content": "hi"}}\n'
    path = tmp_path / "session.jsonl"
    path.write_bytes(entry.encode() + '{"type": "user", "message": {"content": "🙂'.encode()[:-1])

    (session,) = read_conversations(path)

    assert [t.text for t in session.turns] == ["hi"]
    assert session.warnings[0].startswith("line 2, the last, is cut short")


def test_a_line_cut_short_before_the_last_is_still_refused(tmp_path):
    from blog.formats.base import ImportFormatError

    path = tmp_path / "session.jsonl"
    entry = '{"type": "user", "uuid": "a1", "sessionId": "s", "message": {"content": "hi"}}\n'
    path.write_text(entry + '{"type": "user", "uuid": "a2\n' + entry, encoding="utf-8")

    with pytest.raises(ImportFormatError, match="session.jsonl: line 2 is not valid JSON"):
        list(read_conversations(path))


def test_claude_print_stream_json_imports_and_says_the_prompt_is_not_in_it(tmp_path):
    def said(kind, content, message_id=None, parent_tool=None):
        message = {"role": kind, "content": content, "model": "claude-sonnet-4-5"}
        if message_id:
            message["id"] = message_id
        return {
            "type": kind,
            "message": message,
            "parent_tool_use_id": parent_tool,
            "session_id": "s-2",
        }

    path = _log(
        tmp_path,
        "print.jsonl",
        [
            {"type": "system", "subtype": "init", "session_id": "s-2", "tools": ["Bash"]},
            said("assistant", [{"type": "text", "text": "Let me look."}], "msg_a"),
            said(
                "assistant",
                [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls"}}],
                "msg_a",
            ),
            said(
                "user",
                [
                    {
                        "tool_use_id": "t1",
                        "type": "tool_result",
                        "content": "a\nb",
                        "is_error": False,
                    }
                ],
            ),
            said("assistant", [{"type": "text", "text": "Two files."}], "msg_b"),
            {"type": "result", "subtype": "success", "result": "Two files.", "session_id": "s-2"},
        ],
    )

    assert detect_format(path.read_bytes()) == "claude-code"
    (session,) = read_conversations(path)

    assert session.source_id == "s-2"
    assert [(t.role, t.hidden, t.text) for t in session.turns] == [
        ("assistant", False, "Let me look."),
        ("tool", True, '`Bash`\n\n```json\n{\n  "command": "ls"\n}\n```'),
        ("tool", True, "a\nb"),
        ("assistant", False, "Two files."),
    ]
    assert session.warnings == ["the log holds no prompt of yours, only Claude Code's side"]


def _librechat_message(number: int, parent: int, text: str, user: bool, **extra) -> dict:
    return {
        "messageId": f"m{number}",
        "parentMessageId": f"m{parent}" if parent else "00000000-0000-0000-0000-000000000000",
        "conversationId": "c-1",
        "sender": "User" if user else "GPT-4o",
        "model": None if user else "gpt-4o",
        "text": text,
        "isCreatedByUser": user,
        "createdAt": f"2025-01-01T10:00:0{number}.000Z",
        **extra,
    }


def test_librechat_recursive_export_reads_its_messages_tree(tmp_path):
    import json

    reply = _librechat_message(
        2,
        1,
        "",
        False,
        content=[
            {"type": "think", "think": "Greet back."},
            {"type": "text", "text": {"value": "Hi!"}},
        ],
    )
    failed = _librechat_message(
        4, 3, "An error occurred while processing the request: 429", False, error=True
    )
    again = _librechat_message(3, 2, "Again, please", True, children=[failed])
    reply["children"] = [again]
    tree = [_librechat_message(1, 0, "Hello", True, children=[reply])]
    path = tmp_path / "librechat.json"
    export = {"conversationId": "c-1", "title": "Hello", "recursive": True, "messagesTree": tree}
    path.write_text(json.dumps(export), encoding="utf-8")

    assert detect_format(path.read_bytes()) == "librechat"
    (conversation,) = read_conversations(path)

    assert conversation.model == "gpt-4o"
    assert [(t.role, t.hidden, t.speaker, t.text) for t in conversation.turns] == [
        ("user", False, "", "Hello"),
        ("reasoning", True, "GPT-4o (thinking)", "Greet back."),
        ("assistant", False, "GPT-4o", "Hi!"),
        ("user", False, "", "Again, please"),
        # The failed request's notice is not the model's reply.
        ("system", True, "Error", "An error occurred while processing the request: 429"),
    ]


def test_librechat_unfinished_reply_is_kept_with_a_warning_and_its_error_hidden(tmp_path):
    import json

    messages = [
        _librechat_message(1, 0, "Write a poem", True),
        _librechat_message(
            2,
            1,
            "Roses are",
            False,
            unfinished=True,
            content=[
                {"type": "text", "text": "Roses are"},
                {"type": "error", "error": "Connection lost"},
            ],
        ),
    ]
    path = tmp_path / "librechat.json"
    path.write_text(json.dumps({"conversationId": "c-1", "messages": messages}), "utf-8")

    (conversation,) = read_conversations(path)

    assert [(t.role, t.hidden, t.text) for t in conversation.turns] == [
        ("user", False, "Write a poem"),
        ("assistant", False, "Roses are"),
        ("system", True, "Connection lost"),
    ]
    assert conversation.warnings == ["reply 1 was cut off before it finished"]


def test_open_webui_reads_a_chat_with_only_its_flat_messages_or_no_current_message(tmp_path):
    import json

    def said(key, parent, role, content, stamp, children=()):
        return {
            "id": key,
            "parentId": parent,
            "childrenIds": list(children),
            "role": role,
            "content": content,
            "timestamp": stamp,
        }

    flat = [
        said("a", None, "user", "Why is the sky blue?", 1717000000, "b"),
        said("b", "a", "assistant", "Rayleigh scattering.", 1717000005),
    ]
    tree = {
        "x": said("x", None, "user", "Hi", 1717000000, "yz"),
        "y": said("y", "x", "assistant", "Hello", 1717000001),
        "z": said("z", "x", "assistant", "Hello again", 1717000009),
    }
    chats = [
        {"id": "c1", "title": "Flat", "chat": {"messages": flat}},
        {"id": "c2", "title": "Tree", "chat": {"history": {"messages": tree, "currentId": None}}},
    ]
    path = tmp_path / "open-webui.json"
    path.write_text(json.dumps(chats), encoding="utf-8")

    flat_chat, tree_chat = read_conversations(path)

    assert [(t.role, t.text) for t in flat_chat.turns] == [
        ("user", "Why is the sky blue?"),
        ("assistant", "Rayleigh scattering."),
    ]
    # Without a current message: the branch written last, not an empty chat.
    assert [(t.role, t.text, t.alternatives) for t in tree_chat.turns] == [
        ("user", "Hi", []),
        ("assistant", "Hello again", ["Hello"]),
    ]


def test_an_image_in_a_tool_result_is_named_not_written_out_as_base64(tmp_path):
    screenshot = {"type": "image", "source": {"type": "base64", "data": "iVBORw0K" * 1000}}
    result = {
        "tool_use_id": "t1",
        "type": "tool_result",
        "content": [{"type": "text", "text": "Took a screenshot."}, screenshot],
    }
    only_image = {**result, "content": [screenshot]}
    path = _log(
        tmp_path,
        "session.jsonl",
        [
            _claude_code_entry("user", "a1", None, "Look at the page"),
            _claude_code_entry("user", "a2", "a1", [result]),
            _claude_code_entry("user", "a3", "a2", [only_image]),
        ],
    )

    (session,) = read_conversations(path)

    assert [t.text for t in session.turns] == [
        "Look at the page",
        "Took a screenshot.\n\n[image]",
        "[image]",
    ]


def test_librechat_other_versions_of_an_empty_reply_are_not_hung_on_the_prompt(tmp_path):
    import json

    messages = [
        _librechat_message(1, 0, "Hi", True),
        _librechat_message(2, 1, "Hello!", False),
        {**_librechat_message(3, 1, "", False), "messageId": "m3"},  # the later, empty retry
    ]
    path = tmp_path / "librechat.json"
    path.write_text(json.dumps({"conversationId": "c-1", "messages": messages}), "utf-8")

    (conversation,) = read_conversations(path)

    assert [(t.role, t.text, t.alternatives) for t in conversation.turns] == [("user", "Hi", [])]


def test_claude_code_title_comes_from_this_sessions_summary_only(tmp_path):
    def summary(text: str, leaf: str) -> dict:
        return {"type": "summary", "summary": text, "leafUuid": leaf}

    entries = [
        _claude_code_entry("user", "a1", None, "Tidy the parser"),
        _claude_code_entry("assistant", "a2", "a1", [{"type": "text", "text": "Done."}]),
    ]
    other = _log(tmp_path, "other.jsonl", [summary("Plan the trip", "elsewhere"), *entries])
    own = _log(
        tmp_path,
        "own.jsonl",
        [summary("Plan the trip", "elsewhere"), summary("Parser tidy", "a2"), *entries],
    )

    assert [c.title for c in read_conversations(other)] == ["Tidy the parser"]
    assert [c.title for c in read_conversations(own)] == ["Parser tidy"]


def test_codex_keeps_a_pasted_image_and_names_what_it_cannot_show(app, runner, owner, tmp_path):
    import base64

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
    image = "data:image/png;base64," + base64.b64encode(png).decode()

    def item(payload: dict) -> dict:
        return {"timestamp": "2026-03-01T10:00:00Z", "type": "response_item", "payload": payload}

    path = _log(
        tmp_path,
        "rollout-2026-03-01T10-00-00-images.jsonl",
        [
            {"timestamp": "2026-03-01T10:00:00Z", "type": "session_meta", "payload": {"id": "s"}},
            item(
                {
                    "type": "message",
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "Why is this button cut off?"},
                        {"type": "input_image", "image_url": image},
                    ],
                }
            ),
            # A prompt that is only a screenshot is a prompt all the same.
            item(
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_image", "image_url": image}],
                }
            ),
            item({"type": "image_generation_call", "result": "…"}),
            item({"type": "ghost_snapshot", "ghost_commit": {"id": "abc"}}),
            {
                "timestamp": "2026-03-01T10:00:01Z",
                "type": "compacted",
                "payload": {
                    "message": "The user asked about a cut-off button.",
                    "window_number": 1,
                },
            },
            {
                "timestamp": "2026-03-01T10:00:02Z",
                "type": "event_msg",
                "payload": {"type": "error", "message": "stream disconnected before completion"},
            },
            {
                "timestamp": "2026-03-01T10:00:02Z",
                "type": "event_msg",
                "payload": {"type": "agent_message", "message": "repeats the item below"},
            },
            item(
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [
                        {"type": "output_text", "text": "The container has a fixed width."}
                    ],
                }
            ),
        ],
    )

    (conversation,) = read_conversations(path)

    prompts = [turn for turn in conversation.turns if turn.role == "user"]
    assert [turn.text for turn in prompts] == ["Why is this button cut off?", ""]
    assert [(a.name, a.mime_type, a.data) for a in prompts[0].attachments] == [
        ("image-1.png", "image/png", png)
    ]
    assert prompts[1].attachments[0].data == png
    hidden = [(t.speaker, t.text) for t in conversation.turns if t.role == "system"]
    assert hidden == [
        ("Codex (context compacted)", "The user asked about a cut-off button."),
        ("Error", "stream disconnected before completion"),
    ]
    assert [t.text for t in conversation.turns if t.role == "assistant"] == [
        "The container has a fixed width."
    ]
    assert conversation.warnings == [
        '1 content block of a kind this importer does not show ("image_generation_call") left out'
    ]
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "image_generation_call" in result.output


def test_librechat_keeps_images_and_assistant_tool_calls_and_names_unknown_parts(tmp_path):
    import json

    reply = _librechat_message(
        2,
        1,
        "",
        False,
        content=[
            {
                "type": "tool_call",
                "tool_call": {
                    "id": "call_1",
                    "type": "code_interpreter",
                    "code_interpreter": {
                        "input": "print(6 * 7)",
                        "outputs": [{"type": "logs", "logs": "42"}],
                    },
                },
            },
            {"type": "image_file", "image_file": {"file_id": "f1", "filename": "plot.png"}},
            {"type": "text", "text": {"value": "Here is the plot."}},
            {"type": "agent_update", "agent_update": {"agentId": "a1"}},
        ],
        attachments=[
            {"file_id": "f1", "filename": "plot.png", "type": "image/png"},
            {"file_id": "f2", "filename": "data.csv", "type": "text/csv"},
        ],
    )
    path = tmp_path / "librechat.json"
    path.write_text(
        json.dumps(
            {
                "conversationId": "c-1",
                "title": "Plot",
                "endpoint": "assistants",
                "messages": [_librechat_message(1, 0, "Plot it", True), reply],
            }
        )
    )

    (conversation,) = read_conversations(path)

    call, output = [t for t in conversation.turns if t.role == "tool"]
    assert call.speaker == "Tool call (code_interpreter)" and "print(6 * 7)" in call.text
    assert "42" in output.text
    said = [t for t in conversation.turns if t.role == "assistant"]
    assert said[0].text == "Here is the plot."
    assert [a.name for a in said[0].attachments] == ["plot.png", "data.csv"]
    assert conversation.warnings == [
        '1 content block of a kind this importer does not show ("agent_update") left out'
    ]


def test_open_webui_keeps_a_failed_reply_as_its_error_and_names_unknown_roles(tmp_path):
    import json

    def message(key: str, parent: str | None, role: str, content: str, **extra) -> dict:
        return {"id": key, "parentId": parent, "role": role, "content": content, **extra}

    messages = {
        "u": message("u", None, "user", "Hello?"),
        "a": message("a", "u", "assistant", "", error={"content": "Ollama: 500, model not found"}),
        "t": message("t", "a", "tool", "lookup result"),
        "b": message("b", "t", "assistant", "Hello!"),
    }
    path = tmp_path / "open-webui.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "chat-1",
                    "title": "Errors",
                    "chat": {"history": {"messages": messages, "currentId": "b"}},
                }
            ]
        )
    )

    (conversation,) = read_conversations(path)

    assert [(t.role, t.text, t.hidden) for t in conversation.turns] == [
        ("user", "Hello?", False),
        ("system", "Ollama: 500, model not found", True),
        ("assistant", "Hello!", False),
    ]
    assert conversation.warnings == [
        "1 message with the role 'tool', which this importer does not show, left out"
    ]


def test_claude_code_keeps_documents_and_server_tools_and_names_unknown_blocks(tmp_path):
    import base64

    pdf = b"%PDF-1.7\n"
    prompt = [
        {"type": "text", "text": "What does this report conclude?"},
        {
            "type": "document",
            "source": {
                "type": "base64",
                "media_type": "application/pdf",
                "data": base64.b64encode(pdf).decode(),
            },
        },
        {"type": "mystery_block", "value": 1},
    ]
    reply = [
        {"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {"query": "q"}},
        {
            "type": "web_search_tool_result",
            "tool_use_id": "srv_1",
            "content": [{"type": "text", "text": "A page about the report."}],
        },
        {"type": "redacted_thinking", "data": "c2VjcmV0"},
        {"type": "text", "text": "It concludes that costs fell."},
        {"type": "container_upload", "file_id": "f"},
    ]
    path = _log(
        tmp_path,
        "session.jsonl",
        [
            _claude_code_entry("user", "u1", None, prompt),
            _claude_code_entry("assistant", "a1", "u1", reply, message={"id": "msg_1"}),
        ],
    )

    (conversation,) = read_conversations(path)

    asked = conversation.turns[0]
    assert asked.text == "What does this report conclude?"
    assert [(a.name, a.mime_type, a.data) for a in asked.attachments] == [
        ("document-1.pdf", "application/pdf", pdf)
    ]
    tools = [t.text for t in conversation.turns if t.role == "tool"]
    assert "web_search" in tools[0] and tools[1] == "A page about the report."
    assert conversation.turns[-1].text == "It concludes that costs fell."
    assert conversation.warnings == [
        '1 content block of a kind this importer does not show ("container_upload") left out',
        '1 content block of a kind this importer does not show ("mystery_block") left out',
    ]


def test_open_webui_replies_end_with_the_web_pages_they_cited(tmp_path):
    import json

    sources = [
        {
            "source": {"name": "web search", "type": "web_search"},
            "document": ["Water boils at lower temperatures at altitude."],
            "metadata": [
                {"source": "https://example.org/boiling", "title": "Boiling [point]"},
                {"source": "javascript:alert(1)", "title": "Not a page"},
            ],
        },
        {"source": {"name": "handbook.pdf"}, "metadata": [{"source": "file-abc123"}]},
    ]
    messages = {
        "u": {"id": "u", "parentId": None, "role": "user", "content": "Why?"},
        "a": {
            "id": "a",
            "parentId": "u",
            "role": "assistant",
            "content": "Lower pressure [1].",
            "sources": sources,
        },
    }
    path = tmp_path / "open-webui.json"
    path.write_text(
        json.dumps([{"id": "c", "title": "Sources", "chat": {"history": {"messages": messages}}}])
    )

    (conversation,) = read_conversations(path)

    assert conversation.turns[-1].text == (
        "Lower pressure [1].\n\n**Sources**\n\n- [Boiling (point)](https://example.org/boiling)"
    )


def test_librechat_reads_streamed_text_and_keeps_a_context_summary_hidden(tmp_path):
    import json

    reply = _librechat_message(
        2,
        1,
        "",
        False,
        content=[
            {
                "type": "summary",
                "content": [{"type": "text", "text": "Earlier: the user set up nginx."}],
            },
            {"type": "text_delta", "text_delta": "Reload nginx "},
            {"type": "text_delta", "text": {"value": "after each change."}},
        ],
    )
    path = tmp_path / "librechat.json"
    path.write_text(
        json.dumps(
            {"conversationId": "c", "messages": [_librechat_message(1, 0, "How?", True), reply]}
        )
    )

    (conversation,) = read_conversations(path)

    assert [(t.role, t.hidden, t.text) for t in conversation.turns] == [
        ("user", False, "How?"),
        ("system", True, "Earlier: the user set up nginx."),
        ("assistant", False, "Reload nginx after each change."),
    ]
    assert conversation.warnings == []
