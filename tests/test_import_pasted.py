"""Text copied from a ChatGPT or Claude conversation page."""

from __future__ import annotations

from pathlib import Path

import pytest

from blog.formats.base import ImportFormatError
from blog.formats.text.pasted import looks_pasted, parse_pasted
from blog.markdown import render_markdown

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = Path("/work/shared/samples/pasted-text/testcampaign-README-670a48b.md")


def load(name: str):
    return parse_pasted((FIXTURES / name).read_bytes().decode("utf-8"))


def test_chatgpt_copy_is_split_on_role_lines_and_loses_page_chrome():
    conversation = load("pasted_chatgpt.txt")
    assert conversation.source_kind == "pasted"
    assert conversation.title == "Plan a two-day trip to Lisbon."
    assert conversation.model is None
    assert [(turn.role, turn.speaker) for turn in conversation.turns] == [
        ("user", ""),
        ("assistant", "ChatGPT"),
        ("user", ""),
        ("assistant", "ChatGPT"),
    ]
    reply = conversation.turns[1].text
    assert reply.startswith("Here is a simple plan.")  # "Thought for 4s" is gone
    assert reply.endswith('days = ["Alfama", "Belém"]')  # "python", "Copy", "Edit", "2/2" are gone
    for residue in ("Copy", "Edit", "2/2", "Skip to content", "Trip Planner4o"):
        assert residue not in [
            line.strip() for turn in conversation.turns for line in turn.text.splitlines()
        ]


def test_footer_and_composer_buttons_are_dropped_and_math_kept_as_written():
    conversation = load("pasted_chatgpt.txt")
    assert conversation.turns[2].text == "What will it cost? Trams are $3 and the castle $15."
    assert (
        conversation.turns[3].text
        == "Roughly \\(3 \\times 4 + 15 = 27\\) dollars for transport and the castle."
    )
    assert "<math" not in render_markdown(conversation.turns[2].text)
    assert render_markdown(conversation.turns[3].text).count("<math") == 1


def test_rich_text_paste_with_heading_role_lines_crlf_and_model_label():
    conversation = load("pasted_markdown_headings.txt")
    assert [turn.role for turn in conversation.turns] == ["user", "assistant"]
    assert conversation.model == "4o"
    assert conversation.turns[1].model == "4o"
    assert conversation.turns[1].text == "Use `ls`:\n\n```\nbash\n\nls -la\n```"


def test_claude_copy_with_inline_role_labels_and_button_residue():
    conversation = load("pasted_claude.txt")
    assert [(turn.role, turn.speaker) for turn in conversation.turns] == [
        ("user", ""),
        ("assistant", "Claude"),
        ("user", ""),
        ("assistant", "Claude"),
    ]
    assert (
        conversation.turns[1].text
        == 'Nothing rhymes perfectly with orange, but "door hinge" comes close.'
    )
    assert conversation.turns[3].text == "You're welcome."


def test_a_copy_starting_inside_the_first_prompt_keeps_it_as_a_user_turn():
    conversation = parse_pasted("the end of my question?\nChatGPT said:\nAn answer.\n")
    assert [(turn.role, turn.text) for turn in conversation.turns] == [
        ("user", "the end of my question?"),
        ("assistant", "An answer."),
    ]


def test_a_reply_line_that_merely_starts_with_a_name_does_not_split_the_turn():
    conversation = parse_pasted(
        "You said:\nWrite a dialogue.\nChatGPT said:\nScene one.\nUser: hello\n"
    )
    assert conversation.turns[1].text == "Scene one.\nUser: hello"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You said:\nhi\nChatGPT said:\nhello", True),
        ("##### You said:\nhi\n###### ChatGPT said:\nhello", True),
        ("You said:\nonly me", False),
        ("Some notes\n> quoted\n", False),
    ],
)
def test_looks_pasted_needs_role_lines_for_both_sides(text, expected):
    assert looks_pasted(text) is expected


@pytest.mark.parametrize(
    "text", ["", "Just some text I copied.\nNothing else.", "You said:\n\nChatGPT said:\n"]
)
def test_text_without_turns_is_refused_with_a_clear_message(text):
    with pytest.raises(
        ImportFormatError,
        match="pasted text: (no conversation turns found|the pasted turns are all empty)",
    ):
        parse_pasted(text)


@pytest.mark.skipif(not SAMPLE.exists(), reason="the shared samples are not available here")
def test_real_paste_gives_seven_turns_without_the_canvas_or_footer():
    text = SAMPLE.read_text(encoding="utf-8")
    assert looks_pasted(text)
    conversation = parse_pasted(text)
    # Four prompts; the fourth reply was still streaming and is empty once the chrome is gone.
    assert [turn.role for turn in conversation.turns] == ["user", "assistant"] * 3 + ["user"]
    everything = "\n".join(turn.text for turn in conversation.turns)
    for residue in (
        "Skip to content",
        "Answer in chat instead",
        "ChatGPT can make mistakes",
        "still generating",
    ):
        assert residue not in everything
    assert (
        conversation.turns[-1].text
        == "make it look pretty with background colors and the buttons in boxes"
    )


def test_the_page_footer_copied_between_two_selections_is_dropped_from_the_turn():
    conversation = load("pasted_chatgpt_two_copies.txt")

    assert [turn.role for turn in conversation.turns] == ["user", "assistant"] * 2
    assert conversation.turns[1].text.endswith("Keep watering light: low light means slow growth.")
    assert not any("can make mistakes" in turn.text for turn in conversation.turns)
    assert conversation.turns[3].text.endswith("a cat-safe choice for low light.")


def test_a_sentence_that_mentions_the_footer_inside_a_line_is_kept():
    conversation = parse_pasted(
        "You said:\nWhat does the grey line say?\nChatGPT said:\n"
        'It says "ChatGPT can make mistakes. Check important info." as a reminder.\n'
    )

    assert "as a reminder" in conversation.turns[1].text
