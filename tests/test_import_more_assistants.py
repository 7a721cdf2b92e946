"""More assistants' exports: Gemini's activity from Google Takeout, Qwen Chat, saved Perplexity
threads, and the exports recognised but refused by name (Gemini's HTML activity, Le Chat)."""

from __future__ import annotations

import contextlib
import copy
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.extensions import db
from blog.formats.base import ImportFormatError
from blog.formats.detect import detect_format, read_conversations
from blog.formats.google.gemini_activity import parse_gemini_activity
from blog.formats.google.gemini_html import parse_gemini_html
from blog.formats.html_markdown import html_to_markdown
from blog.formats.perplexity.markdown_export import parse_perplexity_markdown
from blog.formats.perplexity.threads import parse_perplexity
from blog.formats.qwen import parse_qwen
from blog.imports.files import import_file
from blog.models import Asset, Post, User
from tests.complexity import growth

FIXTURES = Path(__file__).parent / "fixtures"
GEMINI = FIXTURES / "gemini_my_activity.json"
GEMINI_HTML = FIXTURES / "gemini_my_activity.html"
QWEN = FIXTURES / "qwen_chat_export.json"
PERPLEXITY = FIXTURES / "perplexity_thread.json"
PERPLEXITY_MD = FIXTURES / "perplexity_thread.md"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
IMAGE = "image_89b1bd-1e9873211d1a6157.png"


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def shown(conversation):
    return [(turn.role, turn.text) for turn in conversation.turns if not turn.hidden]


def hidden(conversation):
    return [(turn.role, turn.speaker, turn.text) for turn in conversation.turns if turn.hidden]


def takeout_zip(tmp_path: Path) -> Path:
    """Takeout as Google sends it: the activity beside the files it names."""
    path = tmp_path / "takeout-20250312T101010Z-001.zip"
    folder = "Takeout/My Activity/Gemini Apps"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{folder}/MyActivity.json", GEMINI.read_bytes())
        archive.writestr(f"{folder}/{IMAGE}", PNG)
        archive.writestr("Takeout/archive_browser.html", "<html><body>Takeout</body></html>")
    return path


# Gemini, from Google Takeout


def test_gemini_activity_is_recognised_by_its_records():
    assert detect_format(GEMINI.read_bytes()[:4096], "MyActivity.json") == "gemini"


def test_gemini_prompts_are_grouped_by_time_and_the_rule_is_said():
    lenses, haiku = parse_gemini_activity(load(GEMINI))

    assert lenses.source_kind == "gemini"
    assert lenses.title == "How do polarized sunglasses work?"
    assert lenses.created_at == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    assert lenses.updated_at == datetime(2025, 3, 10, 9, 7, tzinfo=UTC)
    assert shown(lenses) == [
        ("user", "How do polarized sunglasses work?"),
        (
            "assistant",
            "Polarized lenses contain a **filter** that blocks horizontal light:\n\n"
            "- Glare from water\n"
            "- Glare from roads, see [this guide](https://optics.example/glare)\n\n"
            "Light &lt;em> tags stay text & so do ampersands.",
        ),
        ("user", "And why do phone screens look dark through them?"),
        ("assistant", "Most screens send out **polarized** light, so the lenses can block it."),
    ]
    assert lenses.warnings[0] == (
        "Google's export does not say which prompts were one conversation: prompts less than "
        "30 minutes apart were put together (2 prompts here)"
    )
    assert haiku.warnings[0].endswith("(1 prompt here)")
    assert haiku.created_at == datetime(2025, 3, 10, 14, 0, 0, 250000, tzinfo=UTC)


def test_gemini_regenerated_drafts_files_gem_and_what_is_left_out():
    lenses, haiku = parse_gemini_activity(load(GEMINI))
    second_reply = [t for t in lenses.turns if t.role == "assistant"][1]
    prompt = [t for t in lenses.turns if t.role == "user"][1]

    assert second_reply.alternatives == ["Screens emit polarized light."]
    assert second_reply.speaker == "Gemini" and second_reply.model is None
    assert [(a.name, a.mime_type, a.data) for a in prompt.attachments] == [
        (IMAGE, "image/png", None)
    ]
    assert lenses.warnings[1:] == [
        '1 Gemini activity record that is not a prompt ("Gave …") left out',
        '1 Gemini activity record that is not a prompt ("Selected …") left out',
        "1 activity detail (subtitles) this importer does not show left out",
        "1 activity record of YouTube in the same file left out (not Gemini)",
    ]
    assert hidden(haiku) == [("system", "Gem", "This chat used the Gem “Poet”.")]
    assert shown(haiku) == [
        ("user", "Write a haiku about rain"),
        (
            "assistant",
            "Soft rain on the roof\n\n```text\ngrey sky, <quiet> street\nthe kettle sings\n```",
        ),
        ("assistant", "It is 14:10 in Lisbon."),
    ]
    # The canvas made the next morning holds no document: said, not listed as a conversation.
    assert haiku.warnings[1:] == [
        "1 Gemini canvas whose document the export does not hold left out",
        '1 reply whose prompt the export does not record ("Used Gemini Apps") kept without '
        "a prompt",
    ]


def test_gemini_takeout_zip_reads_the_uploads_beside_the_activity(tmp_path):
    lenses, _ = read_conversations(takeout_zip(tmp_path))
    prompt = [t for t in lenses.turns if t.role == "user"][1]

    assert [(a.name, a.mime_type, a.data) for a in prompt.attachments] == [
        (IMAGE, "image/png", PNG)
    ]
    assert "attachment" not in [t.role for t in lenses.turns]


def test_a_prompt_in_another_language_keeps_its_whole_title():
    record = {
        "header": "Gemini-appar",
        "title": "Gav instruktionen vilken växelriktare ska jag köpa?",
        "time": "2026-07-04T07:15:00.000Z",
        "products": ["Gemini-appar"],
        "safeHtmlItem": [{"html": "<p>Jag rekommenderar en hybrid.</p>"}],
    }
    (conversation,) = parse_gemini_activity([record])

    assert shown(conversation) == [
        ("user", "Gav instruktionen vilken växelriktare ska jag köpa?"),
        ("assistant", "Jag rekommenderar en hybrid."),
    ]
    assert "another language" in conversation.warnings[1]


def test_my_activity_of_other_products_only_is_refused_saying_what_to_export():
    youtube = [r for r in load(GEMINI) if r["header"] == "YouTube"]

    with pytest.raises(ImportFormatError, match="holds no Gemini Apps activity") as refused:
        list(read_conversations(json.dumps(youtube).encode(), "MyActivity.json"))
    assert "it lists YouTube" in str(refused.value)
    assert "only 'Gemini Apps' selected" in str(refused.value)


def activity_page(prompt_line: str, time_line: str, reply: str = "<p>A filter.</p>") -> bytes:
    """Takeout's activity page with one Gemini card, in the markup Google writes."""
    return (
        "<html><head><title>My Activity</title></head><body>"
        '<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">'
        '<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">'
        "Gemini Apps<br></p></div>"
        '<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">'
        f"{prompt_line}<br>{time_line}<br>{reply}</div></div></div></body></html>"
    ).encode()


def test_gemini_html_activity_reads_as_the_json_does():
    assert detect_format(GEMINI_HTML.read_bytes()[:4096], "MyActivity.html") == "gemini-html"
    (lenses,) = read_conversations(GEMINI_HTML)

    assert lenses.created_at == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    assert shown(lenses) == [
        ("user", "How do polarized sunglasses work?"),
        ("assistant", "Polarized lenses contain a **filter**."),
        ("user", "And why do phone screens look dark through them?\nAsking for a friend & me."),
        (
            "assistant",
            "Most screens send out **polarized** light:\n\n- LCDs\n- some OLEDs\n\n"
            "```\nangle < 90\n```",
        ),
    ]
    prompt = [t for t in lenses.turns if t.role == "user"][1]
    assert [a.name for a in prompt.attachments] == [IMAGE]
    assert lenses.warnings == [
        "Google's export does not say which prompts were one conversation: prompts less than "
        "30 minutes apart were put together (2 prompts here)",
        '1 Gemini activity record that is not a prompt ("Gave …") left out',
        "1 activity record of YouTube in the same file left out (not Gemini)",
    ]


def test_gemini_html_in_the_takeout_zip_reads_its_uploads(tmp_path):
    path = tmp_path / "takeout.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "Takeout/My Activity/Gemini Apps/MyActivity.html", GEMINI_HTML.read_bytes()
        )
        archive.writestr(f"Takeout/My Activity/Gemini Apps/{IMAGE}", PNG)
    (lenses,) = read_conversations(path)

    prompt = [t for t in lenses.turns if t.role == "user"][1]
    assert [(a.name, a.data) for a in prompt.attachments] == [(IMAGE, PNG)]


def test_gemini_html_gem_line_is_a_hidden_note_not_part_of_the_prompt():
    page = activity_page(
        "Prompted&nbsp;Write a haiku<br>Poet was used in this chat. Manage your Gems.",
        "Mar 10, 2025, 9:00:00 AM UTC",
    )
    (haiku,) = read_conversations(page, "MyActivity.html")

    assert shown(haiku) == [("user", "Write a haiku"), ("assistant", "A filter.")]
    assert hidden(haiku) == [("system", "Gem", "This chat used the Gem “Poet”.")]


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("Jan 2, 2025, 3:04:05 PM EDT", datetime(2025, 1, 2, 19, 4, 5, tzinfo=UTC)),
        ("18 Sept 2025, 12:01:52 CET", datetime(2025, 9, 18, 11, 1, 52, tzinfo=UTC)),
        ("May 19, 2026, 7:07:02\u202fPM GMT-03:00", datetime(2026, 5, 19, 22, 7, 2, tzinfo=UTC)),
        ("Dec 31, 2025, 12:30:00 AM UTC", datetime(2025, 12, 31, 0, 30, tzinfo=UTC)),
    ],
)
def test_gemini_html_times_in_english_are_read_with_their_zone(written, utc):
    (conversation,) = read_conversations(activity_page("Prompted&nbsp;Hi", written), "a.html")
    assert conversation.created_at == utc


@pytest.mark.parametrize(
    "written",
    ["10 de mai. de 2026, 03:46:09 BRT", "Mar 10, 2025, 4:00:00 PM IST"],
)
def test_gemini_html_times_it_cannot_place_refuse_the_page_asking_for_json(written):
    with pytest.raises(ImportFormatError) as refused:
        list(read_conversations(activity_page("Prompted&nbsp;Hi", written), "MyActivity.html"))
    assert "Gemini activity card 1" in str(refused.value)
    assert "choose JSON as the format of My Activity" in str(refused.value)


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<h2>Steps</h2><ol><li>Mix</li><li>Bake</li></ol>", "## Steps\n\n1. Mix\n2. Bake"),
        ("<p>a<br>b</p>", "a  \nb"),
        ('<p><a href="javascript:alert(1)">click</a> me</p>', "click me"),
        ('<p><img src="https://img.example/a.png" alt="A [cat]"></p>', "[A (cat)](https://img.example/a.png)"),
        ("<p>use <code>a &lt;b&gt;</code> and &lt;b&gt;</p>", "use `a <b>` and &lt;b>"),
        ("<table><tr><th>k</th><th>v</th></tr><tr><td>x|y</td><td>1</td></tr></table>",
         "| k | v |\n| --- | --- |\n| x\\|y | 1 |"),
        ("<blockquote><p>one</p><p>two</p></blockquote>", "> one\n>\n> two"),
        ("<script>alert(1)</script><p>kept</p>", "kept"),
    ],
)  # fmt: skip
def test_reply_html_becomes_markdown_with_no_markup_kept(html, markdown):
    assert html_to_markdown(html) == markdown


@pytest.mark.parametrize(
    "fragment", ["<ul><li>x", "<blockquote>x", '<a href="https://a.example/">x', "<li><p>x</p>"]
)
def test_reply_html_takes_time_linear_in_its_size_however_deeply_nested(fragment):
    assert growth(html_to_markdown, lambda n: fragment * n, 500) < 20


# Qwen Chat


def test_qwen_export_is_told_from_open_webui_by_its_own_keys():
    assert detect_format(QWEN.read_bytes()[:8192], "chat-export.json") == "qwen"
    open_webui = (FIXTURES / "open_webui_export.json").read_bytes()[:8192]
    assert detect_format(open_webui, "chat-export.json") == "open-webui"


def test_qwen_shows_the_current_branch_with_thinking_hidden_and_searches_as_sources():
    boiling, thanks = parse_qwen(load(QWEN)["data"])

    assert (boiling.source_kind, boiling.title) == ("qwen", "Boiling point at altitude")
    assert boiling.source_id == "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b"
    assert boiling.created_at == datetime(2025, 5, 12, 9, 0, tzinfo=UTC)
    assert shown(boiling) == [
        ("user", "Why does water boil at a lower temperature on a mountain?"),
        (
            "assistant",
            "Air pressure is lower up there, so water boils sooner: about 90 °C at 3,000 m."
            "\n\n**Sources**\n\n"
            "- [Boiling and pressure](https://physics.example/boiling)\n"
            "- [Cooking at altitude](https://alpine.example/cooking)",
        ),
        ("user", "Does pasta take longer to cook there?"),
        ("assistant", "Yes: the water is cooler, so allow a few more minutes."),
    ]
    assert [t for t in hidden(boiling) if t[0] == "reasoning"] == [
        (
            "reasoning",
            "Qwen (thinking)",
            "The user asks about boiling and altitude. Pressure drops with height.",
        ),
        ("reasoning", "Qwen (thinking)", "Cooler water cooks more slowly."),
    ]
    replies = [t for t in boiling.turns if t.role == "assistant"]
    prompts = [t for t in boiling.turns if t.role == "user"]
    assert [t.model for t in replies] == ["qwen3-235b-a22b", "qwen-max-latest"]
    assert boiling.model == "qwen3-235b-a22b"
    assert replies[0].alternatives == ["Lower air pressure."]
    assert prompts[1].alternatives == ["So does pasta cook slower there?"]
    assert prompts[0].attachments[0].name == "altitude-chart.png"
    assert boiling.warnings == [
        '1 part of a reply of a kind this importer does not show (phase "image_gen") left out',
        "1 message deeper on other branches left out (the other versions of each prompt and "
        "reply are kept as alternatives)",
    ]
    assert thanks.title == "Translate 'thank you' into Japanese."
    assert shown(thanks)[1] == ("assistant", "ありがとう (arigatō).")


def test_qwen_chat_without_messages_is_refused_naming_it():
    export = load(QWEN)
    export["data"][1]["chat"] = {"models": ["qwen-turbo"], "chat_type": "t2t"}

    with pytest.raises(ImportFormatError, match=re.escape("the chat has no messages")) as refused:
        list(read_conversations(json.dumps(export).encode(), "chat-export.json"))
    assert "Qwen chat 2" in str(refused.value)


# Perplexity


def test_perplexity_thread_is_recognised_alone_and_in_a_list():
    thread = PERPLEXITY.read_bytes()
    assert detect_format(thread[:8192], "why-is-the-sky-blue.json") == "perplexity"
    listed = json.dumps([load(PERPLEXITY)]).encode()
    assert [c.title for c in read_conversations(listed, "threads.json")] == ["Why is the sky blue?"]


def test_perplexity_answers_link_their_citations_and_end_with_sources():
    (sky,) = parse_perplexity([load(PERPLEXITY)])

    assert (sky.source_kind, sky.source_id) == ("perplexity", "why-is-the-sky-blue-QmZx1.Yz")
    assert sky.created_at == datetime(2025, 4, 2, 10, 15, 30, 123456, tzinfo=UTC)
    assert shown(sky) == [
        ("user", "Why is the sky blue?\nKeep it short."),
        (
            "assistant",
            "## Rayleigh scattering\n\nSunlight scatters off air molecules, and blue light "
            "scatters most [1](https://en.wikipedia.org/wiki/Rayleigh_scattering)"
            "[2](https://spaceplace.nasa.gov/blue-sky/). See also [3].\n\n**Sources**\n\n"
            "- [Rayleigh scattering - Wikipedia](https://en.wikipedia.org/wiki/Rayleigh_scattering)\n"
            "- [Why the sky is blue | NASA](https://spaceplace.nasa.gov/blue-sky/)",
        ),
        ("user", "And sunsets?"),
        (
            "assistant",
            "At sunset light crosses more air, so red is left [1](https://weather.example/sunsets)."
            "\n\n**Sources**\n\n- [Sunset colours](https://weather.example/sunsets)",
        ),
    ]
    assert hidden(sky) == [
        (
            "reasoning",
            "Perplexity (steps)",
            "- Explain Rayleigh scattering\n- Searched: why is the sky blue",
        )
    ]
    assert [t.model for t in sky.turns if t.role == "assistant"] == ["sonar-pro", "pplx_pro"]
    assert sky.turns[0].attachments[0].name == "sky-notes.pdf"
    assert sky.warnings == [
        '1 block of a kind this importer does not show ("image_answer_mode") left out'
    ]


def test_perplexity_reasoning_models_thinking_is_hidden():
    entry = {
        "query_str": "Is 91 prime?",
        "display_model": "r1-1776",
        "blocks": [
            {
                "intended_usage": "ask_text",
                "markdown_block": {"answer": "<think>\n91 = 7 × 13.\n</think>\n\nNo: 91 = 7 × 13."},
            }
        ],
    }
    (thread,) = parse_perplexity([{"entries": [entry]}])

    assert shown(thread) == [("user", "Is 91 prime?"), ("assistant", "No: 91 = 7 × 13.")]
    assert hidden(thread) == [("reasoning", "Perplexity (thinking)", "91 = 7 × 13.")]


def test_perplexity_entry_without_a_question_is_refused_naming_it():
    thread = copy.deepcopy(load(PERPLEXITY))
    del thread["entries"][1]["query_str"]

    with pytest.raises(ImportFormatError, match=re.escape("entry 2 has no question")):
        list(read_conversations(json.dumps(thread).encode(), "thread.json"))


def test_perplexity_markdown_export_splits_questions_and_lists_its_footnotes():
    assert detect_format(PERPLEXITY_MD.read_bytes(), "Why is the sky blue.md") == "perplexity-md"
    (sky,) = read_conversations(PERPLEXITY_MD)

    assert (sky.source_kind, sky.title) == ("perplexity", "Why is the sky blue? Keep it short.")
    assert shown(sky) == [
        ("user", "Why is the sky blue? Keep it short."),
        (
            "assistant",
            "Sunlight scatters off the molecules of the air, and blue light scatters most."
            "[1](https://en.wikipedia.org/wiki/Rayleigh_scattering)"
            "[2](https://spaceplace.nasa.gov/blue-sky/)\n\n***\n\n## Rayleigh scattering\n\n"
            "Shorter wavelengths scatter more, as your notes say.[3]\n\n**Sources**\n\n"
            "- [https://en.wikipedia.org/wiki/Rayleigh_scattering]"
            "(https://en.wikipedia.org/wiki/Rayleigh_scattering)\n"
            "- [https://spaceplace.nasa.gov/blue-sky/](https://spaceplace.nasa.gov/blue-sky/)\n"
            "- [https://weather.example/sky](https://weather.example/sky)",
        ),
        ("user", "And sunsets?"),
        (
            "assistant",
            "At sunset light crosses more air, so red is left."
            "[1](https://weather.example/sunsets)\n\n**Sources**\n\n"
            "- [https://weather.example/sunsets](https://weather.example/sunsets)",
        ),
        ("user", "Thanks!"),
        ("assistant", "You're welcome."),
    ]
    # The file it read is named with the question; the export does not hold it.
    assert [a.name for a in sky.turns[0].attachments] == ["sky-notes.pdf"]
    assert hidden(sky) == [
        (
            "attachment",
            "Uploaded files",
            "- sky-notes.pdf (application/pdf), not included in the export",
        )
    ]


def test_markdown_with_footnotes_but_no_perplexity_marks_stays_markdown():
    text = "# Notes\n\nA claim.[^1]\n\n[^1]: https://example.org/source\n"
    assert detect_format(text.encode(), "notes.md") == "markdown"


# Refused by name


def test_le_chat_export_is_refused_naming_the_format():
    unknown = json.dumps({"chats": [{"uuid": "1", "turns": [{"author": "me", "body": "hi"}]}]})

    with pytest.raises(ImportFormatError) as refused:
        list(read_conversations(unknown.encode(), "lechat-export.json"))
    assert "this looks like a Mistral Le Chat export; Colloquy can't read it yet" in str(
        refused.value
    )


# Through the app's import


def test_gemini_qwen_and_perplexity_exports_import_as_drafts(app, owner, tmp_path):
    with app.app_context():
        user = db.session.get(User, owner)
        gemini = import_file(takeout_zip(tmp_path), "takeout.zip", user)
        qwen = import_file(QWEN, "chat-export.json", user)
        perplexity = import_file(PERPLEXITY, "why-is-the-sky-blue.json", user)
        posts = {p.title: p for p in db.session.query(Post).all()}

        assert (len(gemini.created), len(qwen.created), len(perplexity.created)) == (2, 2, 1)
        assert {p.status for p in posts.values()} == {"draft"}
        lenses = posts["How do polarized sunglasses work?"]
        assert [t.role for t in lenses.turns if not t.excluded] == [
            "user",
            "assistant",
            "user",
            "assistant",
        ]
        boiling = posts["Boiling point at altitude"]
        assert [t.role for t in boiling.turns if t.excluded] == [
            "attachment",
            "reasoning",
            "reasoning",
        ]
        sky = posts["Why is the sky blue?"]
        assert "Sources" in [t for t in sky.turns if t.role == "assistant"][0].text
        assert any("30 minutes apart" in note for note in gemini.notes)
        assert any("image_gen" in note for note in qwen.notes)
        assert any("image_answer_mode" in note for note in perplexity.notes)
        # The image Takeout held beside the activity is stored with its prompt.
        assert db.session.query(Asset).count() == 1


# Damaged input: a reader may refuse it, never fail with anything but a clear error.

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["header", "title", "time", "products", "safeHtmlItem", "html", "subtitles", "name",
             "url", "imageFile", "attachedFiles", "chat", "history", "messages", "currentId",
             "parentId", "childrenIds", "role", "content", "content_list", "phase", "extra",
             "web_search_info", "entries", "query_str", "blocks", "intended_usage",
             "markdown_block", "answer", "sources_mode_block", "rows", "web_result", "text",
             "plan_block", "goals", "steps", "files", "timestamp", "model", "id"]
        ) | st.text(max_size=6),
        children,
        max_size=6,
    ),
    max_leaves=30,
)  # fmt: skip
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


@pytest.mark.parametrize(
    "reader",
    [parse_gemini_activity, parse_qwen, parse_perplexity],
    ids=["gemini", "qwen", "perplexity"],
)
@FUZZ
@given(items=st.lists(JSON_VALUES, max_size=3))
def test_json_readers_refuse_damaged_records_with_import_errors(reader, items):
    with contextlib.suppress(ImportFormatError):
        for _ in reader(items):
            pass


@pytest.mark.parametrize(
    "reader",
    [lambda text: list(parse_gemini_html(text)), parse_perplexity_markdown, html_to_markdown],
    ids=["gemini-html", "perplexity-md", "html-markdown"],
)
@FUZZ
@given(
    text=st.text(max_size=1500)
    | st.sampled_from([GEMINI_HTML, PERPLEXITY_MD]).map(lambda p: p.read_text("utf-8")[:3000])
)
def test_text_readers_refuse_damaged_text_with_import_errors(reader, text):
    with contextlib.suppress(ImportFormatError):
        reader(text)
