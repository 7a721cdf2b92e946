"""Microsoft Copilot's activity from the privacy dashboard: CSV rows, newest first, a prompt and
its reply sharing one time (`fixtures/copilot_*.csv`, invented text in the export's shape: a
byte-order mark, CRLF rows, quoted Markdown with its own line breaks)."""

from __future__ import annotations

import contextlib
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.extensions import db
from blog.formats.base import ImportFormatError, NotAConversationFile, display_form
from blog.formats.copilot import NO_ZONE
from blog.formats.detect import detect_format, read_conversations
from blog.imports.files import import_file
from blog.models import Post, User

FIXTURES = Path(__file__).parent / "fixtures"
HISTORY = FIXTURES / "copilot_activity_history.csv"
CHATS = FIXTURES / "copilot_chat_activity.csv"
PROMPTS_ONLY = "\ufeffTimestamp,ClientApp,Prompt\r\n2026-07-26T10:00:00,Windows,hello\r\n"


def read(path: Path):
    return list(read_conversations(path.read_bytes(), path.name))


def test_copilot_csv_is_recognised_by_its_header():
    assert detect_format(HISTORY.read_bytes(), HISTORY.name) == "copilot"
    assert detect_format(CHATS.read_bytes(), "export.csv") == "copilot"


def test_rows_are_read_newest_last_so_each_prompt_comes_before_its_reply():
    soup, trams = read(HISTORY)

    assert trams.title == "Tram routes in Lisbon" and trams.source_kind == "copilot"
    assert [(t.role, t.speaker) for t in trams.turns] == [
        ("user", ""),
        ("assistant", "Copilot"),
        ("user", ""),
        ("assistant", "Copilot"),
    ]
    assert trams.turns[0].text == "which tram goes through Alfama?"
    assert trams.turns[2].text == "does it stop at the cathedral?\nthe Sé, I mean"
    assert trams.turns[3].text.endswith('- avoid noon, when it is "packed"')
    assert trams.created_at == datetime(2026, 7, 26, 23, 20, 56, tzinfo=UTC)
    assert trams.updated_at == datetime(2026, 7, 26, 23, 21, 40, tzinfo=UTC)
    assert NO_ZONE in trams.warnings
    assert [t.role for t in soup.turns] == ["user", "assistant"]
    assert soup.warnings == [NO_ZONE, "1 empty message left out"]
    # No ids in the export: the same file gives the same conversations again.
    assert [c.source_id for c in read(HISTORY)] == [soup.source_id, trams.source_id]
    assert display_form("copilot", "user") == "plain"


def test_the_chat_activity_layout_keeps_its_zone():
    (funiculars,) = read(CHATS)

    assert funiculars.title == "Funiculars"
    assert [t.role for t in funiculars.turns] == ["user", "assistant"]
    assert funiculars.created_at == datetime(2026, 7, 26, 21, 5, 2, tzinfo=UTC)
    assert funiculars.warnings == []


def test_prompts_without_replies_are_refused_alone_and_skipped_in_a_zip(tmp_path):
    with pytest.raises(NotAConversationFile, match="prompts only"):
        list(read_conversations(PROMPTS_ONLY.encode(), "windows-apps-copilot-activity.csv"))
    path = tmp_path / "Copilot.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Copilot/copilot-activity-history.csv", HISTORY.read_bytes())
        archive.writestr("Copilot/windows-apps-copilot-activity-history.csv", PROMPTS_ONLY)
        archive.writestr(
            "Copilot/copilot-in-Microsoft-365-apps-activity.csv",
            "\ufeffCreatedAt,MessageContent,Author,ChatName\r\n",
        )
    notes: list[str] = []

    assert len(list(read_conversations(path, notes=notes))) == 2
    assert any("prompts only" in note for note in notes)
    assert any("365-apps-activity.csv: skipped (the Copilot activity" in n for n in notes)


def test_a_row_of_the_wrong_width_is_named():
    broken = HISTORY.read_text(encoding="utf-8-sig") + '"Extra",2026-07-27T10:00:00,AI\r\n'

    with pytest.raises(ImportFormatError, match="line 9: the row has 3 columns"):
        list(read_conversations(broken.encode(), HISTORY.name))


def test_copilot_history_imports_as_drafts(app, owner):
    with app.app_context():
        result = import_file(HISTORY, HISTORY.name, db.session.get(User, owner))
        posts = {p.title: p for p in db.session.query(Post).all()}

        assert len(result.created) == 2
        assert posts["Tram routes in Lisbon"].status == "draft"
        assert any(NO_ZONE in note for note in result.notes)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.text(alphabet=st.sampled_from(list('ab,"\r\n\x00/:+- 0123456789AMPZT')), max_size=300)
)
def test_damaged_rows_are_refused_with_import_errors(body):
    text = "Conversation,Time,Author,Message\r\n" + body
    with contextlib.suppress(ImportFormatError):
        list(read_conversations(text.encode(), "copilot-activity-history.csv"))


@pytest.mark.parametrize(
    "written",
    ["    code\nmore  \nend  ", "\r\n  \n    code\r\nmore  \r\nend  \r\n\r\n"],
    ids=["indented", "padded-crlf"],
)
def test_a_message_keeps_its_text_as_written(written):
    quoted = '"' + written.replace('"', '""') + '"'
    text = f"Conversation,Time,Author,Message\r\nt,2026-07-26T23:20:56,Human,{quoted}\r\n"
    (conversation,) = read_conversations(text.encode(), "copilot-activity-history.csv")
    assert conversation.turns[0].text == "    code\nmore  \nend  "
