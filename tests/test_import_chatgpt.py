"""The ChatGPT importer: visible branch, alternatives, hidden content, images, citations."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from blog.formats.archive import MemoryAssets
from blog.formats.chatgpt.conversations import parse_chatgpt, parse_conversation
from blog.formats.detect import read_conversations

FIXTURE = Path(__file__).parent / "fixtures" / "chatgpt_conversations.json"
SAMPLES = Path("/work/shared/samples/chatgpt")
T0 = datetime(2024, 6, 1, tzinfo=UTC)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24

# Text that lives only in the user's private custom instructions and memory.
PRIVATE_MARKERS = ("SECRET-PROFILE", "SECRET-INSTRUCTIONS", "SECRET-MEMORY")
# What tools read or were sent: kept, but only in hidden turns.
TOOL_MARKERS = ("BROWSING-RESULTS", "QUOTED-PAGE-TEXT", '"prompt": "A cat')


def fixture_items() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def conversation(title: str, **options) -> object:
    item = next(i for i in fixture_items() if i["title"] == title)
    return parse_conversation(item, **options)


def shown(conversation) -> list:
    return [turn for turn in conversation.turns if not turn.hidden]


def all_text(conversation) -> str:
    return "\n".join(
        [turn.text for turn in conversation.turns]
        + [alt for turn in conversation.turns for alt in turn.alternatives]
    )


def test_edited_prompt_and_regenerated_answer_import_only_the_visible_branch():
    imported = conversation("Capitals")

    assert [(t.role, t.text) for t in imported.turns] == [
        ("user", "What is the capital of Italy?"),
        ("assistant", "The capital of Italy is **Rome**."),
        ("user", "Thanks!"),
        ("assistant", "You're welcome."),
    ]
    assert imported.turns[0].alternatives == ["What is the capital of France?"]
    assert imported.turns[1].alternatives == ["Rome."]
    assert imported.turns[2].alternatives == []
    assert "Paris" not in all_text(imported)


def test_conversation_metadata_model_and_times():
    imported = conversation("Capitals")

    assert imported.title == "Capitals"
    assert imported.source_kind == "chatgpt"
    assert imported.source_id == "c0ffee00-0000-4000-8000-000000000001"
    assert imported.model == "gpt-4o"
    assert imported.created_at == T0
    assert imported.updated_at.timestamp() == pytest.approx(T0.timestamp() + 600.5)
    reply = imported.turns[1]
    assert reply.model == "gpt-4o-mini"
    assert reply.speaker == "ChatGPT (gpt-4o-mini)"
    assert reply.created_at == datetime.fromtimestamp(T0.timestamp() + 90, UTC)
    assert reply.created_at.tzinfo is not None
    assert imported.turns[0].speaker == ""  # the author's name on pages, never "You"
    assert imported.turns[0].model is None


def test_switching_current_node_selects_the_older_branch():
    item = copy.deepcopy(next(i for i in fixture_items() if i["title"] == "Capitals"))
    item["current_node"] = "n-paris"

    imported = parse_conversation(item)

    assert [t.text for t in imported.turns] == ["What is the capital of France?", "Paris."]
    assert imported.turns[0].alternatives == ["What is the capital of Italy?"]


def test_missing_current_node_falls_back_to_the_newest_leaf():
    item = copy.deepcopy(next(i for i in fixture_items() if i["title"] == "Capitals"))
    del item["current_node"]

    imported = parse_conversation(item)

    assert imported.turns[-1].text == "You're welcome."


def test_private_context_never_appears_and_tool_material_only_in_hidden_turns():
    for imported in parse_chatgpt(fixture_items()):
        text = all_text(imported)
        for marker in PRIVATE_MARKERS:
            assert marker not in text, (imported.title, marker)
        shown = "\n".join(t.text for t in imported.turns if not t.hidden)
        for marker in TOOL_MARKERS:
            assert marker not in shown, (imported.title, marker)


def test_reasoning_is_kept_as_a_hidden_reasoning_turn():
    imported = conversation("Seoul weather")

    assert [(t.role, t.hidden) for t in imported.turns] == [
        ("user", False),
        ("tool", True),  # the search call
        ("tool", True),  # what the browser showed
        ("tool", True),  # the quoted page
        ("reasoning", True),
        ("reasoning", True),  # "Thought for 4s"
        ("assistant", False),
    ]
    assert imported.turns[5].text == "Thought for 4s"
    (reasoning,) = [t for t in imported.turns if "HIDDEN-THOUGHTS" in t.text]
    assert reasoning.role == "reasoning" and reasoning.hidden
    assert "<details" not in reasoning.text


def test_code_interpreter_keeps_code_and_output_as_hidden_turns_and_the_plot_shown():
    imported = conversation("Sine wave")

    assert [(t.role, t.hidden) for t in imported.turns] == [
        ("user", False),
        ("assistant", False),
        ("code", True),
        ("code", True),
        ("output", True),
        ("assistant", False),
    ]
    assert imported.turns[4].text == "```\n0.0\n```"
    reply = imported.turns[-1]
    assert imported.turns[1].text == "Sure, let me plot it."
    assert reply.text == "![Plot](attachment:0)\n\nHere is the plot; sin(0) is 0."
    assert reply.model == "gpt-4-code-interpreter"
    assert len(reply.attachments) == 1
    code = imported.turns[2].text
    assert code.startswith("```python\nimport numpy as np\nimport matplotlib.pyplot as plt\n")
    assert "\r" not in code
    assert "ImageDisplayed" not in all_text(imported)


def test_dalle_image_is_resolved_from_the_zip(tmp_path):
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("conversations.json", FIXTURE.read_bytes())
        archive.writestr("dalle-generations/file-CATHAT01-8f2c.webp", WEBP)
        archive.writestr("file_00000000deadbeef00000000deadbeef.dat", PNG)
        archive.writestr("file-PLOT0001-668a89e9", JPEG)
        archive.writestr("user.json", b'{"email": "me@example.com"}')

    imported = {c.title: c for c in read_conversations(export)}

    cat_reply = shown(imported["A cat"])[1]
    assert (
        cat_reply.text
        == "![A cat wearing a red hat](attachment:0)\n\nHere is your cat in a red hat."
    )
    (cat,) = cat_reply.attachments
    assert (cat.data, cat.mime_type, cat.alt) == (WEBP, "image/webp", "A cat wearing a red hat")
    dog_turn = imported["A cat"].turns[-1]
    assert dog_turn.role == "assistant"
    assert dog_turn.attachments[0].mime_type == "image/png"
    assert dog_turn.attachments[0].data == PNG
    plot = shown(imported["Sine wave"])[-1].attachments[0]
    assert (plot.mime_type, plot.data) == ("image/jpeg", JPEG)


def test_missing_image_becomes_a_placeholder_without_failing():
    imported = conversation("A cat")

    reply = shown(imported)[1]
    assert reply.text.startswith("![A cat wearing a red hat](attachment:0)")
    (image,) = reply.attachments
    assert image.data is None
    assert image.name == "file-CATHAT01"
    assert "not included in the export" in image.alt


def test_tool_image_without_a_reply_gets_its_own_assistant_turn():
    imported = conversation("A cat", assets=MemoryAssets({}))

    last = imported.turns[-1]
    assert (last.role, last.text) == ("assistant", "![A dog (in a hat)](attachment:0)")


def test_citations_become_links_with_a_sources_list():
    reply = shown(conversation("Seoul weather"))[1]

    assert "[weather.example.com](https://weather.example.com/seoul)" in reply.text
    assert "[climate.example.org](https://climate.example.org/korea)" in reply.text
    assert "and cool evenings." in reply.text
    assert "**Sources**\n\n- [Seoul in October](https://weather.example.com/seoul)" in reply.text
    assert "【" not in reply.text and "†" not in reply.text
    assert not any("\ue000" <= char <= "\uf8ff" for char in reply.text)


def test_voice_transcriptions_are_the_text_and_untitled_gets_a_title():
    imported = conversation_by_id("c0ffee00-0000-4000-8000-000000000005")

    assert imported.title == "Hello, can you hear me?"
    assert [t.text for t in imported.turns] == ["Hello, can you hear me?", "Yes, loud and clear."]
    # The recording itself is not shown; the report says so.
    assert imported.warnings == ["1 voice recording left out: the words spoken are kept as text"]


def conversation_by_id(source_id: str):
    return next(c for c in parse_chatgpt(fixture_items()) if c.source_id == source_id)


def test_reply_cut_at_the_token_limit_is_joined_without_a_break():
    item = {
        "title": "Long",
        "current_node": "b",
        "mapping": {
            "r": {"id": "r", "children": ["u"]},
            "u": {
                "id": "u",
                "parent": "r",
                "children": ["a"],
                "message": _message("user", "Go on"),
            },
            "a": {
                "id": "a",
                "parent": "u",
                "children": ["b"],
                "message": _message(
                    "assistant", "The quick brown fo", finish={"type": "max_tokens"}
                ),
            },
            "b": {"id": "b", "parent": "a", "children": [], "message": _message("assistant", "x.")},
        },
    }

    imported = parse_conversation(item)

    assert [t.text for t in imported.turns] == ["Go on", "The quick brown fox."]


def _message(role: str, text: str, finish: dict | None = None) -> dict:
    metadata = {"finish_details": finish} if finish else {}
    return {
        "author": {"role": role},
        "content": {"content_type": "text", "parts": [text]},
        "metadata": metadata,
        "recipient": "all",
    }


def test_chat_html_is_read_when_conversations_json_is_missing(tmp_path):
    data = FIXTURE.read_text(encoding="utf-8")
    html = (
        "<html><head><title>ChatGPT Data Export</title></head><body><div id='root'></div>"
        f"<script>var jsonData = {data};\n"
        "var assetsJson = {'file-service://file-CATHAT01': 'dalle-generations/cat.webp',};\n"
        "function render() {}</script></body></html>"
    )
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("chat.html", html)
        archive.writestr("dalle-generations/cat.webp", WEBP)

    imported = {c.title: c for c in read_conversations(export)}

    assert len(imported) == 5
    assert imported["Capitals"].turns[1].text == "The capital of Italy is **Rome**."
    assert shown(imported["A cat"])[1].attachments[0].data == WEBP


def test_a_single_conversation_object_and_a_wrapper_are_accepted():
    item = next(i for i in fixture_items() if i["title"] == "Capitals")
    single = json.dumps(item).encode()
    wrapped = json.dumps({"conversations": [item]}).encode()

    for payload in (single, wrapped):
        (imported,) = list(read_conversations(io.BytesIO(payload), "chat.json"))
        assert imported.turns[1].text == "The capital of Italy is **Rome**."


# Turns of each kind read off each sample's visible path by hand: (role, hidden) -> count.
SAMPLE_KINDS = {
    # 11 code cells to python, 4 outputs with text (the other 7 only show a plot).
    "chatgpt2graph-conversations.json": {
        ("user", False): 8,
        ("assistant", False): 12,
        ("code", True): 11,
        ("output", True): 4,
    },
    "extratone-6484a886.pionxzh-export.json": {("user", False): 2, ("assistant", False): 2},
    # The o1-preview "Thinking" summary, from the tool author a8km123.
    "sanand0-csv-data-analysis-insights.json": {
        ("user", False): 1,
        ("reasoning", True): 1,
        ("assistant", False): 1,
    },
    # Seven DALL-E prompts sent to dalle.text2im and seven "DALL-E displayed" tool notes.
    "sanand0-india-map-with-khargone.json": {
        ("user", False): 7,
        ("tool", True): 14,
        ("assistant", False): 7,
    },
    # The search call to `web`; its empty hidden reply is nothing to keep.
    "sanand0-karunanidhi-political-family-overview.json": {
        ("user", False): 1,
        ("tool", True): 1,
        ("assistant", False): 1,
    },
    # search(), the browsing display, mclick(), three quotes.
    "sanand0-seoul-weather-early-october.json": {
        ("user", False): 1,
        ("tool", True): 6,
        ("assistant", False): 1,
    },
}


def user_prompts_on_path(item: dict) -> int:
    """User text messages on the current branch, counted the simple way."""
    mapping, node_id, count = item["mapping"], item["current_node"], 0
    while node_id:
        node = mapping[node_id]
        message = node.get("message") or {}
        content = message.get("content") or {}
        hidden = (message.get("metadata") or {}).get("is_visually_hidden_from_conversation")
        parts = [p for p in content.get("parts") or [] if isinstance(p, str)]
        if (
            (message.get("author") or {}).get("role") == "user"
            and content.get("content_type") == "text"
            and not hidden
            and "".join(parts).strip()
        ):
            count += 1
        node_id = node.get("parent")
    return count


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples are not available here")
@pytest.mark.parametrize("name", sorted(SAMPLE_KINDS))
def test_every_real_sample_imports_with_the_expected_turns(name):
    path = SAMPLES / name
    raw = json.loads(path.read_text(encoding="utf-8"))
    items = raw if isinstance(raw, list) else [raw]

    imported = list(read_conversations(path))

    assert len(imported) == len(items)
    turns = imported[0].turns
    assert Counter((t.role, t.hidden) for t in turns) == SAMPLE_KINDS[name]
    assert sum(t.role == "user" for t in turns) == user_prompts_on_path(items[0])
    visible = [t.role for t in turns if not t.hidden]
    assert visible[0] == "user" and visible[-1] == "assistant"
    for turn in turns:
        assert turn.text.strip()
    for turn in shown(imported[0]):
        assert turn.text.strip()
        assert "【" not in turn.text
        assert not any("\ue000" <= char <= "\uf8ff" for char in turn.text)


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples are not available here")
def test_sample_custom_instructions_stay_private():
    path = SAMPLES / "sanand0-karunanidhi-political-family-overview.json"

    (imported,) = read_conversations(path)

    assert "Devil's Advocate" not in all_text(imported)
    assert "Karunanidhi family" in imported.turns[-1].text


@pytest.mark.skipif(not SAMPLES.exists(), reason="shared samples are not available here")
def test_sample_branches_record_the_edited_prompts():
    (imported,) = read_conversations(SAMPLES / "sanand0-india-map-with-khargone.json")

    edited = [t for t in imported.turns if t.alternatives]
    assert [t.role for t in edited] == ["user", "user"]
    assert all(alt != t.text for t in edited for alt in t.alternatives)
    assert sum(len(t.attachments) for t in imported.turns) == 7


def test_plot_stays_visible_when_the_output_text_is_kept_hidden():
    item = copy.deepcopy(next(i for i in fixture_items() if i["title"] == "Sine wave"))
    item["mapping"]["c-output"]["message"]["content"]["text"] = "Figure(640x480)"

    imported = parse_conversation(item)

    output = next(t for t in imported.turns if "Figure(640x480)" in t.text)
    assert output.hidden and not output.attachments
    visible = [t for t in imported.turns if not t.hidden and t.role == "assistant"]
    assert any(t.attachments and "![Plot](attachment:0)" in t.text for t in visible)


def test_ids_are_matched_whatever_their_case():
    item = copy.deepcopy(next(i for i in fixture_items() if i["title"] == "Capitals"))
    item["mapping"]["n-thanks"]["parent"] = "N-ROME-2"
    item["current_node"] = "N-Welcome"

    imported = parse_conversation(item)

    assert [t.text for t in imported.turns][-2:] == ["Thanks!", "You're welcome."]


def test_an_export_with_no_conversations_yields_none(tmp_path):
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("conversations.json", "[]")

    assert list(read_conversations(export)) == []
    assert list(read_conversations(b"[ ]", "conversations.json")) == []


def test_continue_generating_fragments_are_joined_exactly():
    item = {
        "title": "Interrupted",
        "current_node": "c",
        "mapping": {
            "r": {"id": "r", "children": ["u"]},
            "u": {"id": "u", "parent": "r", "children": ["a"], "message": _message("user", "Go")},
            "a": {
                "id": "a",
                "parent": "u",
                "children": ["b"],
                "message": _message("assistant", "One sente", finish={"type": "interrupted"}),
            },
            "b": {
                "id": "b",
                "parent": "a",
                "children": ["c"],
                "message": _message("assistant", "nce, and ", finish={"type": "max_tokens"}),
            },
            "c": {
                "id": "c",
                "parent": "b",
                "children": [],
                "message": _message("assistant", "more."),
            },
        },
    }

    imported = parse_conversation(item)

    assert [t.text for t in imported.turns] == ["Go", "One sentence, and more."]


def test_chat_html_entities_are_decoded_in_titles_and_turns_even_in_code():
    item = {
        "title": "Quotes &quot;and&quot; it&#x27;s",
        "current_node": "a",
        "mapping": {
            "r": {"id": "r", "children": ["u"]},
            "u": {
                "id": "u",
                "parent": "r",
                "children": ["a"],
                "message": _message("user", "Is 1 &lt; 2 &amp;&amp; 3 &gt; 2?"),
            },
            "a": {
                "id": "a",
                "parent": "u",
                "children": [],
                "message": _message("assistant", "```js\nif (a &lt; b) s = &quot;x&quot;;\n```"),
            },
        },
    }
    html = f"<html><script>var jsonData = {json.dumps([item])};</script></html>"

    (imported,) = read_conversations(html.encode(), "chat.html")

    assert imported.title == 'Quotes "and" it\'s'
    assert [t.text for t in imported.turns] == [
        "Is 1 < 2 && 3 > 2?",
        '```js\nif (a < b) s = "x";\n```',
    ]


def test_an_upload_only_prompt_names_its_file_and_lists_it_as_an_attachment():
    prompt = _message("user", "")
    prompt["metadata"]["attachments"] = [
        {"id": "file-1", "name": "report.pdf", "mime_type": "application/pdf"}
    ]
    item = {
        "title": "Upload",
        "current_node": "a",
        "mapping": {
            "r": {"id": "r", "children": ["u"]},
            "u": {"id": "u", "parent": "r", "children": ["a"], "message": prompt},
            "a": {
                "id": "a",
                "parent": "u",
                "children": [],
                "message": _message("assistant", "Read."),
            },
        },
    }

    imported = parse_conversation(item)

    assert [(t.role, t.text, t.hidden) for t in imported.turns] == [
        ("user", "[Uploaded: report.pdf]", False),
        (
            "attachment",
            "- report.pdf (application/pdf), not included in the export",
            True,
        ),
        ("assistant", "Read.", False),
    ]


def test_the_import_report_counts_what_each_conversation_kept_hidden(runner, owner, tmp_path):
    path = tmp_path / "conversations.json"
    path.write_bytes(FIXTURE.read_bytes())

    result = runner.invoke(args=["import", str(path)])

    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("hidden   ")]
    assert "hidden   Sine wave (sine-wave): 2 code cells, 1 code output hidden" in lines
    assert "hidden   Seoul weather (seoul-weather): 2 reasoning, 3 tool calls hidden" in lines
    assert not any("Capitals" in line for line in lines)


@pytest.mark.parametrize(
    ("create_time", "expected"),
    [
        (1700000000.25, datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC)),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (None, None),
        (True, None),
        (-1, None),
        (float("nan"), None),
        (5e10, None),  # past the year 3000
        ("yesterday", None),
    ],
)
def test_conversation_times_read_as_before(create_time, expected):
    item = {"title": "t", "create_time": create_time, "mapping": {}}

    assert parse_conversation(item).created_at == expected


def test_a_message_of_an_unknown_kind_is_left_out_with_a_word_not_the_whole_file(
    runner, owner, tmp_path
):
    def node(key: str, parent: str | None, child: str | None, message: dict) -> dict:
        return {
            "id": key,
            "parent": parent,
            "children": [child] if child else [],
            "message": message,
        }

    widget = {
        "author": {"role": "assistant"},
        "content": {"content_type": "super_widget", "widget": {"kind": "weather"}},
        "recipient": "all",
    }
    odd = _message("assistant", "A reply whose kind is an object.")
    odd["content"]["content_type"] = {"name": "text", "version": 2}
    hidden = {
        "author": {"role": "tool"},
        "content": {"content_type": "app_pairing_content"},
        "metadata": {"is_visually_hidden_from_conversation": True},
    }
    item = {
        "title": "New kinds",
        "current_node": "e",
        "mapping": {
            "u": node("u", None, "w", _message("user", "What is the weather?")),
            "w": node("w", "u", "o", widget),
            "o": node("o", "w", "h", odd),
            "h": node("h", "o", "e", hidden),
            "e": node("e", "h", None, _message("assistant", "Sunny, 21 degrees.")),
        },
    }

    imported = parse_conversation(item)

    assert [t.text for t in imported.turns] == ["What is the weather?", "Sunny, 21 degrees."]
    assert imported.warnings == [
        '1 message of a kind this importer does not show ("super_widget") was left out',
        '1 message of a kind this importer does not show ("unreadable content type") was left out',
    ]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([item, {**item, "title": "Twice", "current_node": "w"}]))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "New kinds" in result.output and "Twice" in result.output
    assert 'kind this importer does not show ("super_widget") was left out' in result.output


def test_a_part_of_an_unknown_kind_is_named_not_dropped_silently():
    reply = _message("assistant", "Here is the map.")
    reply["content"] = {
        "content_type": "multimodal_text",
        "parts": ["Here is the map.", {"content_type": "hologram_pointer", "asset_pointer": "x"}],
    }
    item = {
        "title": "Parts",
        "current_node": "a",
        "mapping": {
            "u": {"id": "u", "children": ["a"], "message": _message("user", "A map?")},
            "a": {"id": "a", "parent": "u", "children": [], "message": reply},
        },
    }

    imported = parse_conversation(item)

    assert [t.text for t in imported.turns] == ["A map?", "Here is the map."]
    assert imported.warnings == [
        '1 part of a kind this importer does not show ("hologram_pointer") left out'
    ]


def test_a_voice_recording_without_its_words_is_not_said_to_keep_them():
    spoken = _message("user", "")
    spoken["content"] = {
        "content_type": "multimodal_text",
        "parts": ["Typed too.", {"content_type": "audio_asset_pointer", "asset_pointer": "x"}],
    }
    item = {
        "title": "Voice",
        "current_node": "a",
        "mapping": {
            "u": {"id": "u", "children": ["a"], "message": spoken},
            "a": {
                "id": "a",
                "parent": "u",
                "children": [],
                "message": _message("assistant", "Ok."),
            },
        },
    }

    imported = parse_conversation(item)

    assert imported.warnings == ["1 voice recording left out, with no transcript in the export"]
