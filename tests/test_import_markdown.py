"""The Markdown importer: the blockquote post layout and the speaker-marker layouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from blog.formats.base import ImportFormatError
from blog.formats.detect import read_conversations
from blog.formats.text.markdown import parse_markdown
from blog.formats.text.pasted import parse_pasted
from blog.markdown import render_markdown

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path("/work/shared")
SEED = SHARED / "seeds" / "000_b359b7a8eeae3857.txt"
SAMPLES = SHARED / "samples" / "markdown"


def load(name: str):
    path = FIXTURES / name
    return parse_markdown(path.read_bytes().decode("utf-8"), path.name)


def roles(conversation) -> list[str]:
    return [turn.role for turn in conversation.turns]


def test_seed_layout_fixture_splits_prompts_and_quoted_replies():
    conversation = load("md_seed_layout.md")
    assert conversation.source_kind == "markdown"
    assert conversation.title == "Can I keep a garden journal online?"
    assert conversation.created_at == datetime(
        2024, 5, 12, 9, 41, tzinfo=timezone(timedelta(hours=2))
    )
    assert conversation.tags == ["Gardening", "Writing"]
    assert conversation.model is None
    assert roles(conversation) == ["user", "assistant"] * 3


def test_one_level_of_quote_is_stripped_and_nested_quotes_stay():
    reply = load("md_seed_layout.md").turns[1].text
    assert reply.startswith("Publishing your own garden notes")
    assert "\n\n1. Credit the suggestions" in reply
    assert "\n> A journal is a letter to your future self." in reply


def test_quote_lines_inside_a_prompt_code_fence_stay_in_the_prompt():
    prompt = load("md_seed_layout.md").turns[2]
    assert prompt.role == "user"
    assert "> soil moisture: 41%\n> temperature: 18.5 C\n```" in prompt.text
    assert prompt.text.endswith("What does it mean?")


def test_quote_runs_split_only_by_blank_lines_are_one_reply():
    reply = load("md_seed_layout.md").turns[3].text
    assert reply == (
        "Your soil is moderately moist. Between 40 and 60 percent suits most vegetables.\n\n"
        "Watering in the early morning keeps evaporation low."
    )


def test_math_is_kept_as_written_and_rendered_but_currency_and_code_are_not():
    conversation = load("md_seed_layout.md")
    assert "Seeds were $5 and compost $10." in conversation.turns[4].text
    assert "<math" not in render_markdown(conversation.turns[4].text)
    reply = conversation.turns[5].text
    assert "is \\(\\pi r^2\\):" in reply
    assert "\n\\[ A = \\pi \\cdot 1.5^2 \\approx 7.07 \\]\n" in reply
    assert "```python\nprint(3.14159 * 1.5 ** 2)\n```" in reply
    html = render_markdown(reply)
    assert html.count("<math") == 2 and '<math display="block">' in html


@pytest.mark.parametrize(
    ("fixture", "expected_roles", "speaker", "model", "title"),
    [
        (
            "md_headings.md",
            ["user", "assistant"] * 2,
            "Assistant",
            "gpt-4o",
            "Sorting a list in place",
        ),
        ("md_emoji.md", ["user", "assistant"] * 2, "Assistant", None, "Tea: green or black?"),
        ("md_brackets.md", ["user", "assistant"] * 2, "ChatGPT", None, "md_brackets"),
        (
            "md_pionxzh.md",
            ["user", "assistant", "tool", "user", "assistant"],
            "ChatGPT",
            "GPT-4",
            "Naming a cat",
        ),
        (
            "md_bold.md",
            ["user", "assistant", "system", "user", "assistant"],
            "Claude",
            None,
            "Packing for a hike",
        ),
        ("md_prompt_marker.md", ["user", "assistant"] * 2, "", None, "Act as a lighthouse keeper"),
        ("md_toml_crlf.md", ["user", "assistant"], "", None, "Tabs and line endings"),
        (
            "md_json_front.md",
            ["user", "assistant"],
            "claude-3-5-sonnet",
            "claude-3-5-sonnet",
            "Boiling an egg",
        ),
    ],
)
def test_layouts_give_turns_speakers_models_and_titles(
    fixture, expected_roles, speaker, model, title
):
    conversation = load(fixture)
    assert roles(conversation) == expected_roles
    assert conversation.title == title
    assert conversation.model == model
    assistant_turns = [turn for turn in conversation.turns if turn.role == "assistant"]
    assert {turn.speaker for turn in assistant_turns} == {speaker}
    assert {turn.model for turn in assistant_turns} == {model}
    assert all(turn.text.strip() for turn in conversation.turns)
    assert all(not turn.speaker for turn in conversation.turns if turn.role == "user")


def test_speaker_headings_keep_code_blocks_and_front_matter_flow_lists():
    conversation = load("md_headings.md")
    assert conversation.tags == ["python", "lists"]
    assert conversation.created_at == datetime(2024, 2, 1, tzinfo=UTC)
    assert "```python\nwords.sort(key=len)\n```" in conversation.turns[1].text
    assert conversation.turns[3].text == "Pass `reverse=True` as well."


def test_pionxzh_front_matter_oddities_do_not_fail_the_import():
    conversation = load("md_pionxzh.md")
    assert conversation.created_at is None  # "2024-01-09-2024-01-09T10-02-11" is no date
    first, reply, tool = conversation.turns[:3]
    assert first.text == "Suggest three names for a grey cat."
    assert first.created_at == datetime(2024, 1, 9, 10, 2, 11, tzinfo=UTC)
    assert reply.text == "1. Ash\n2. Smokey\n3. Pebble"
    assert tool.speaker == "Plugin (weather)"
    assert tool.text == "Sunny, 21 degrees."


def test_bold_markers_take_text_on_the_same_line():
    conversation = load("md_bold.md")
    assert conversation.turns[0].text == "What should I pack for a day hike?"
    assert conversation.turns[2].text == "Answers are kept short."
    assert conversation.turns[4].text == "About half a litre per hour of walking."


def test_prompt_marker_layout_splits_prompt_from_reply_at_the_blank_line():
    conversation = load("md_prompt_marker.md")
    assert (
        conversation.turns[0].text
        == "Act as a lighthouse keeper on a stormy night. Stay in character."
    )
    assert conversation.turns[3].text == "Scared? No. I respect them, same as the sea."


def test_crlf_bom_toml_and_tab_after_quote_marker():
    conversation = load("md_toml_crlf.md")
    assert conversation.created_at == datetime(2024, 3, 3, 10, 0, tzinfo=UTC)
    assert conversation.tags == ["windows"]
    assert conversation.turns[0].text == "Why does my file show ^M?"
    assert conversation.turns[1].text == "\tIt uses CRLF line endings.\nConvert them with dos2unix."
    assert "\r" not in conversation.turns[1].text


def test_title_falls_back_to_the_first_prompt_without_heading_or_file_name():
    conversation = parse_markdown("Hello?\n\n> Hi there.\n")
    assert conversation.title == "Hello?"
    assert roles(conversation) == ["user", "assistant"]


def test_title_is_untitled_when_the_first_prompt_has_no_prose():
    conversation = parse_markdown("```\n{}\n```\n\n> An empty object.\n")
    assert conversation.title == "Untitled conversation"


@pytest.mark.parametrize("heading", ["{", "```", "Web search results:", "Untitled conversation"])
def test_a_heading_that_names_nothing_is_not_the_title(heading):
    conversation = parse_markdown(f"# {heading}\n\nHow do tides work?\n\n> The Moon pulls.\n")
    assert conversation.title == "How do tides work?"


def test_a_post_may_start_with_a_reply_and_end_with_a_prompt():
    conversation = parse_markdown("> Welcome back.\n\nThanks!\n")
    assert roles(conversation) == ["assistant", "user"]


def test_lenient_front_matter_that_is_not_yaml_still_gives_title_and_date():
    text = (
        "---\ntitle: Rust: ownership explained\ndate: 2024-01-02T03:04:05+00:00\n---\nQ?\n\n> A.\n"
    )
    conversation = parse_markdown(text)
    assert conversation.title == "Rust: ownership explained"
    assert conversation.created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Just a note to myself.\n\nNothing else here.\n",
        "---\ntitle: Only front matter\n---\n",
        "## Shopping list\n\n- eggs\n- milk\n",
    ],
)
def test_text_without_turn_structure_is_refused_with_a_clear_message(text):
    with pytest.raises(ImportFormatError, match="no conversation turns found") as raised:
        parse_markdown(text, "notes.md")
    assert raised.value.where == "notes.md"


def test_a_broken_turn_marker_names_its_line():
    with pytest.raises(ImportFormatError, match="line 3: unreadable turn marker"):
        parse_markdown("Hi\n\n<!-- turn {not json} -->\n> there\n")


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed posts are not available here")
def test_seed_000_gives_six_alternating_turns_title_and_date():
    conversation = parse_markdown(SEED.read_text(encoding="utf-8"), SEED.name)
    assert roles(conversation) == ["user", "assistant"] * 3
    assert conversation.title == "Website for posting ChatGPT conversations"
    assert conversation.created_at == datetime(
        2023, 3, 27, 0, 27, tzinfo=timezone(timedelta(hours=8))
    )
    assert conversation.created_at.isoformat() == "2023-03-27T00:27:00+08:00"
    assert conversation.turns[1].text.startswith("As an AI language model")
    assert "\n\nAdditionally," in conversation.turns[1].text


SAMPLE_TURNS = {
    "animmouse-pi-vs-tau.md": (["user", "assistant"], "Pi vs. Tau"),
    "animmouse-landing-on-saturn-impossible.md": (
        ["user", "assistant"] * 3,
        "Landing on Saturn Impossible",
    ),
    "animmouse-quiet-new-item-in-powershell.md": (
        ["user", "assistant"] * 5,
        "Quiet New-Item in PowerShell",
    ),
    "animmouse-act-as-dinky-little-from-the-littles.md": (
        ["user", "assistant"] * 14,
        "Act as Dinky Little from The Littles",
    ),
    "extratone-6484a886.pionxzh-export.md": (["user", "assistant"] * 2, "City Living Benefits."),
}


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared samples are not available here")
@pytest.mark.parametrize("name", sorted(SAMPLE_TURNS))
def test_real_markdown_samples_import_with_their_structure(name):
    path = SAMPLES / name
    conversation = parse_markdown(path.read_text(encoding="utf-8"), path.name)
    expected_roles, title = SAMPLE_TURNS[name]
    assert roles(conversation) == expected_roles
    assert conversation.title == title
    assert all(turn.text.strip() for turn in conversation.turns)


TEXT_FIXTURES = sorted(
    [p.name for p in FIXTURES.glob("md_*.md")] + [p.name for p in FIXTURES.glob("pasted_*.txt")]
)


@pytest.mark.parametrize("name", TEXT_FIXTURES)
def test_each_text_fixture_imports_as_a_file_as_its_reader_reads_it(name):
    """The path a user takes (a file, sniffed by its bytes and name) gives the same turns
    as the reader: a `.md` starting with `[You]:` or with JSON front matter is no JSON, and
    text copied from Claude's page is read as such when it is no Markdown conversation."""
    path = FIXTURES / name
    text = path.read_bytes().decode("utf-8")
    direct = parse_markdown(text, name) if name.endswith(".md") else parse_pasted(text)

    (imported,) = read_conversations(path)

    assert [(t.role, t.text) for t in imported.turns] == [(t.role, t.text) for t in direct.turns]
    assert imported.title == direct.title


def test_a_json_file_that_is_broken_is_still_called_broken_json(tmp_path):
    broken = tmp_path / "conversations.json"
    broken.write_text('[{"mapping": ')
    with pytest.raises(ImportFormatError, match="JSON"):
        list(read_conversations(broken))


def test_json_of_no_known_format_saved_as_text_is_still_called_json(tmp_path):
    saved = tmp_path / "notes.txt"
    saved.write_text('[{"name": "Alice", "email": "a@example.com"}]')
    with pytest.raises(ImportFormatError, match="not a conversation format"):
        list(read_conversations(saved))
