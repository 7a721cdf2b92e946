"""Nothing is imported silently as nothing: every empty file, member or folder is named with its reason."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from blog.extensions import db
from blog.formats.base import NotAConversationFile
from blog.formats.detect import read_conversations
from blog.models import Post, Turn

CLAUDE_SAMPLES = Path("/work/shared/samples/claude")


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Post.id)))


def value_block_jsonl(count: int) -> bytes:
    """Records whose content blocks carry their text as `value`, not `text`."""
    lines = [
        json.dumps(
            {
                "id": f"chat-{n}",
                "messages": [
                    {"role": "user", "content": [{"type": "text", "value": f"Question {n}?"}]},
                    {
                        "role": "assistant",
                        "content": [{"type": "text", "text": {"value": f"Answer {n}."}}],
                    },
                ],
            }
        )
        for n in range(count)
    ]
    return "\n".join(lines).encode()


def test_content_blocks_with_value_are_read_not_dropped():
    imported = list(read_conversations(value_block_jsonl(50), "chats.jsonl"))

    assert len(imported) == 50
    assert [t.text for t in imported[7].turns] == ["Question 7?", "Answer 7."]


def test_cli_imports_a_value_block_jsonl(app, runner, owner, tmp_path):
    path = tmp_path / "chats.jsonl"
    path.write_bytes(value_block_jsonl(50))

    result = runner.invoke(args=["import", str(path)])

    assert result.exit_code == 0, result.output
    assert post_count(app) == 50


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("one-sided.jsonl", b'{"messages": [{"role": "user", "content": "only a prompt"}]}\n'),
        ("conversations.json", b"[]"),
    ],
)
def test_cli_exits_non_zero_when_a_file_yields_nothing(app, runner, owner, tmp_path, name, payload):
    path = tmp_path / name
    path.write_bytes(payload)

    result = runner.invoke(args=["import", str(path)])

    assert result.exit_code == 1
    assert f"Not imported: {path}" in result.output
    assert "no conversations found in it" in result.output
    assert post_count(app) == 0


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_holding_a_zip_of_nothing_is_refused_naming_the_member(app, runner, owner, tmp_path):
    inner = zip_of({"photo.png": b"\x89PNG\r\n\x1a\n", "notes.txt": b""})
    path = tmp_path / "outer.zip"
    path.write_bytes(zip_of({"inner.zip": inner}))

    result = runner.invoke(args=["import", str(path)])

    assert result.exit_code == 1
    assert "outer.zip" in result.output
    assert "entry inner.zip, entry notes.txt: the file is empty" in result.output
    assert post_count(app) == 0


def test_a_zip_holding_a_zip_export_is_read():
    claude = json.dumps(
        [
            {
                "uuid": "c-1",
                "name": "Nested",
                "chat_messages": [
                    {"sender": "human", "text": "Hi"},
                    {"sender": "assistant", "text": "Hello."},
                ],
            }
        ]
    ).encode()
    inner = zip_of({"conversations.json": claude, "users.json": b'[{"email_address": "a@b"}]'})
    notes: list[str] = []

    imported = list(read_conversations(zip_of({"export.zip": inner}), "outer.zip", notes=notes))

    assert [c.title for c in imported] == ["Nested"]
    assert notes == [
        "outer.zip, entry export.zip, entry users.json: skipped (account data, not a conversation)"
    ]


@pytest.mark.parametrize(
    "payload",
    [
        b'[{"uuid": "u", "full_name": "A", "email_address": "a@example.com"}]',
        b'[{"conversations_memory": "x", "account_uuid": "u"}]',
        b'[{"uuid": "p", "name": "P", "prompt_template": "", "docs": []}]',
    ],
)
def test_account_files_are_recognised_by_their_content(payload):
    with pytest.raises(NotAConversationFile, match="account data, not a conversation"):
        list(read_conversations(payload, "export-part.json"))


@pytest.mark.skipif(not CLAUDE_SAMPLES.exists(), reason="shared samples are not available here")
def test_claude_export_folder_lists_account_files_as_skipped_not_refused(
    app, runner, owner, tmp_path
):
    folder = tmp_path / "claude-export"
    folder.mkdir()
    for name in ("conversations", "users", "projects", "memories"):
        source = CLAUDE_SAMPLES / f"yaleman-{name}.json"
        (folder / f"{name}.json").write_bytes(source.read_bytes())

    result = runner.invoke(args=["import", str(folder)])

    assert result.exit_code == 0, result.output
    assert "0 files refused" in result.output
    for name in ("users", "projects", "memories"):
        assert f"skipped  {name}.json: account data, not a conversation" in result.output
    assert "hidden   " in result.output and "1 reasoning hidden" in result.output
    with app.app_context():
        roles = db.session.scalars(db.select(Turn.role).order_by(Turn.position)).all()
        excluded = db.session.scalars(db.select(Turn.excluded).order_by(Turn.position)).all()
    assert roles == ["user", "reasoning", "assistant"]
    assert excluded == [False, True, False]


def test_account_file_named_alone_is_refused_but_skipped_inside_a_folder(
    app, runner, owner, tmp_path
):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "users.json").write_text('[{"uuid": "u", "email_address": "me@example.com"}]')
    (folder / "file-PLOT.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    (folder / "conversations.json").write_text(
        json.dumps(
            [
                {
                    "uuid": "c-9",
                    "name": "Kept",
                    "chat_messages": [
                        {"sender": "human", "text": "Hi"},
                        {"sender": "assistant", "text": "Hello."},
                    ],
                }
            ]
        )
    )

    alone = runner.invoke(args=["import", str(folder / "users.json")])
    assert alone.exit_code == 1
    assert f"Not imported: {folder / 'users.json'}" in alone.output
    assert "account data, not a conversation" in alone.output

    whole = runner.invoke(args=["import", str(folder)])
    assert whole.exit_code == 0, whole.output
    assert "skipped  users.json: account data, not a conversation" in whole.output
    assert "skipped  file-PLOT.png: this looks like a PNG image" in whole.output
    assert "0 files refused" in whole.output
    assert post_count(app) == 1


@pytest.mark.parametrize(
    "block",
    [
        "Hello there",
        ["Hello there"],
        {"type": "text", "text": "Hello there"},
        [{"type": "text", "value": "Hello there"}],
        [{"type": "text", "content": "Hello there"}],
        [{"type": "text", "text": {"value": "Hello there", "annotations": []}}],
        [{"type": "input_text", "text": "Hello there"}],
    ],
)
@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "claude"])
def test_every_content_block_shape_is_read_in_every_json_format(fmt, block):
    if fmt == "openai":
        document = {
            "messages": [
                {"role": "user", "content": block},
                {"role": "assistant", "content": block},
            ]
        }
    elif fmt == "sharegpt":
        document = {
            "conversations": [{"from": "human", "value": block}, {"from": "gpt", "value": block}]
        }
    else:
        blocks = block if isinstance(block, list) else [block]
        blocks = [{"type": "text", "text": b} if isinstance(b, str) else b for b in blocks]
        document = {
            "uuid": "c",
            "chat_messages": [
                {"sender": "human", "content": blocks},
                {"sender": "assistant", "content": blocks},
            ],
        }

    (imported,) = read_conversations(json.dumps([document]).encode(), "export.json")

    assert [(t.role, t.text) for t in imported.turns] == [
        ("user", "Hello there"),
        ("assistant", "Hello there"),
    ]


@pytest.mark.parametrize(
    ("name", "records", "reason"),
    [
        (
            "messages.jsonl",
            [
                {
                    "messages": [
                        {"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "Hello"},
                    ]
                },
                {"messages": [{"role": "user", "content": "a prompt with no reply"}]},
            ],
            "messages.jsonl, messages item 2: only one side of a conversation",
        ),
        (
            "sharegpt.json",
            [
                {
                    "conversations": [
                        {"from": "human", "value": "Hi"},
                        {"from": "gpt", "value": "Hello"},
                    ]
                },
                {"conversations": [{"from": "human", "value": "   "}]},
            ],
            "sharegpt.json, ShareGPT item 2: no prompt or reply with text",
        ),
    ],
)
def test_a_record_that_is_no_conversation_is_named_in_the_report(
    app, runner, owner, tmp_path, name, records, reason
):
    path = tmp_path / name
    if name.endswith(".jsonl"):
        path.write_text("\n".join(json.dumps(record) for record in records) + "\n")
    else:
        path.write_text(json.dumps(records))

    result = runner.invoke(args=["import", str(path)])

    assert result.exit_code == 0, result.output
    assert post_count(app) == 1
    assert f"skipped  {reason}" in result.output
