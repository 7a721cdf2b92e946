"""Gemini's activity as Takeout writes it since 2026: records linked to their chats, replies
newest first, images Gemini made, canvases (`fixtures/gemini_my_activity_chats.json`, invented
text in the shape of a real export)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from blog.formats.detect import read_conversations
from blog.formats.google.gemini_activity import parse_gemini_activity

FIXTURE = Path(__file__).parent / "fixtures" / "gemini_my_activity_chats.json"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
MADE = "4410927731-77ab3c1d9e2f0a64.png"
UPLOADED = "tram-9c1d2e3f4a5b6c7d.jpg"


def conversations():
    return list(parse_gemini_activity(json.loads(FIXTURE.read_text(encoding="utf-8"))))


def shown(conversation):
    return [(turn.role, turn.text) for turn in conversation.turns if not turn.hidden]


def test_records_linked_to_a_chat_are_that_chat_whatever_their_times():
    tram, photo, research = conversations()

    # Chat A spans two days and a prompt of chat B falls between two of its prompts.
    assert tram.source_id == "gemini-5e0c3a7b91d24f08"
    assert tram.created_at == datetime(2026, 9, 1, 9, 8, tzinfo=UTC)
    assert [text for role, text in shown(tram) if role == "user"] == [
        "which tram goes to Belém?",
        "draw the tram in watercolour",
        "make me a packing list for Lisbon",
    ]
    assert photo.source_id == "gemini-a81f6c2d0e4b7935"
    assert research.source_id == "gemini-0c9d2e7f4a1b6c35"
    # The chat is known, so no conversation says it was put together by time.
    assert not any("minutes apart" in w for c in (tram, photo, research) for w in c.warnings)


def test_several_replies_to_one_prompt_are_newest_first():
    tram, _, _ = conversations()
    reply = next(t for t in tram.turns if t.role == "assistant")

    assert reply.text == "Tram **15** goes to Belém."
    assert reply.alternatives == ["Sorry, something went wrong. Please try your request again."]


def test_an_image_gemini_made_is_the_replys_and_shown_in_it():
    tram, photo, _ = conversations()
    prompt, reply = [t for t in tram.turns if not t.hidden][2:4]

    assert prompt.text == "draw the tram in watercolour" and prompt.attachments == []
    assert reply.text == f"Here is the tram in watercolour.![{MADE}](attachment:0)"
    assert [(a.name, a.mime_type) for a in reply.attachments] == [(MADE, "image/png")]
    # A prompt that is only an uploaded photo shows the photo, and puts no words in the
    # person's mouth.
    upload = photo.turns[0]
    assert (upload.role, upload.text) == ("user", f"![{UPLOADED}](attachment:0)")
    assert upload.text_format == "markdown"
    assert [a.name for a in upload.attachments] == [UPLOADED]
    assert "generated image" not in " ".join(photo.warnings)


def test_a_canvas_is_a_reply_holding_its_document_unless_the_reply_showed_it():
    tram, _, research = conversations()

    assert shown(tram)[-1] == (
        "assistant",
        "# Packing list\n\n- Passport\n- Comfortable shoes\n- A light jacket",
    )
    # A research report is the reply and its canvas: shown once.
    assert [role for role, _ in shown(research)] == ["user", "assistant"]
    assert research.warnings == [
        '1 Gemini activity record that is not a prompt ("Answered …") left out'
    ]


def test_takeout_zip_gives_the_reply_its_image_and_the_prompt_its_upload(tmp_path):
    path = tmp_path / "takeout-20260903T120000Z-001.zip"
    folder = "Takeout/My Activity/Gemini Apps"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{folder}/My Activity.json", FIXTURE.read_bytes())
        archive.writestr(f"{folder}/{MADE}", PNG)
        archive.writestr(f"{folder}/{UPLOADED}", JPEG)
    tram, photo, _ = read_conversations(path)

    reply = [t for t in tram.turns if t.role == "assistant"][1]
    assert [(a.name, a.data) for a in reply.attachments] == [(MADE, PNG)]
    assert [(a.name, a.data) for a in photo.turns[0].attachments] == [(UPLOADED, JPEG)]
    assert all(t.role != "attachment" for t in tram.turns + photo.turns)


def test_the_html_page_reads_the_chat_link_and_the_generated_image_line():
    html = FIXTURE.with_suffix(".html")
    funicular, drawing = read_conversations(html.read_bytes(), html.name)

    # The night painting has no link: it goes with the drawing six minutes before it.
    assert drawing.source_id == "gemini-4b8d0f2a6c1e3957"
    assert [(t.role, t.text) for t in drawing.turns if not t.hidden] == [
        ("user", "draw a cable car"),
        ("assistant", "Here it is."),
        ("user", "now paint it at night"),
        ("assistant", "![10618735082-dfbf8f6d1499c15d.png](attachment:0)"),
    ]
    assert drawing.turns[-1].attachments[0].name == "10618735082-dfbf8f6d1499c15d.png"
    assert funicular.source_id == "gemini-7c2e9a1f0b3d5e84"
    assert funicular.turns[0].text == "what is a tram that climbs hills called?"


def test_a_record_linking_to_several_chats_goes_with_the_first_and_says_so():
    def record(title: str, time: str, *chats: str) -> dict:
        links = [
            {
                "name": f"https://gemini.google.com/app/{c}",
                "url": f"https://gemini.google.com/app/{c}",
            }
            for c in chats
        ]
        return {
            "header": "Gemini Apps",
            "title": title,
            "time": time,
            "products": ["Gemini Apps"],
            "details": links,
            "safeHtmlItem": [{"html": f"<p>Reply to {title}</p>"}],
        }

    records = [
        record("Prompted second", "2026-09-04T12:00:00.000Z", "aaa111", "bbb222"),
        record("Prompted first", "2026-09-04T08:00:00.000Z", "aaa111"),
    ]
    (conversation,) = parse_gemini_activity(records)

    assert conversation.source_id == "gemini-aaa111"
    assert [t.text for t in conversation.turns if t.role == "user"] == ["first", "second"]
    assert conversation.warnings == [
        "1 activity record linking to several chats put with the first chat named"
    ]
