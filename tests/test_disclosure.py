"""The disclosure: composed in one module, filled in safely, and every label true."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from blog import disclosure
from blog import posts as content
from blog.extensions import db
from blog.models import Post

ROOT = Path(__file__).resolve().parents[1]
# The wording readers are promised; each is written in blog/disclosure.py and nowhere else.
KEY_PHRASES = (
    "AI conversation with",
    "an AI language model",
    "generated in part by AI",
    "takes ultimate responsibility",
    "omitted by the author",
    "is marked as such on every post",
    "an AI model",
    "AI model, not an author",
    "not shown",
)


def test_the_disclosure_wording_lives_in_one_module():
    files = [*ROOT.joinpath("blog").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.*")]
    for phrase in KEY_PHRASES:
        holders = sorted(
            str(path.relative_to(ROOT))
            for path in files
            if phrase.lower() in path.read_text(encoding="utf-8").lower()
        )
        assert holders == ["blog/disclosure.py"], phrase


def turn(n, role, *, excluded=False, source="text", original=None, speaker="", model=""):
    return SimpleNamespace(
        id=n,
        role=role,
        speaker=speaker,
        model=model,
        source=source,
        excluded=excluded,
        is_ai=role in disclosure.AI_ROLES,
        edited=original is not None and original != source,
    )


def post(*turns, how_made="", model_name="GPT-4o", source_kind="editor"):
    return SimpleNamespace(
        title="T",
        how_made=how_made,
        model_name=model_name,
        source_kind=source_kind,
        turns=list(turns),
    )


def told(p):
    return disclosure.for_post(p, wording=disclosure.DEFAULT_WORDING, author_name="Alice")


def test_verbatim_only_when_every_message_is_shown_unaltered():
    assert told(post(turn(1, "user"), turn(2, "assistant"))).kind == "verbatim"
    hidden = told(post(turn(1, "user"), turn(2, "reasoning", excluded=True), turn(3, "assistant")))
    assert hidden.kind == "transcript"
    assert hidden.how_made.full_label == "Transcript; reasoning not shown"
    assert "verbatim" not in hidden.sentence


def test_hidden_material_is_never_told_as_the_authors_omission():
    result = told(
        post(
            turn(1, "user"),
            turn(2, "reasoning", excluded=True),
            turn(3, "tool", excluded=True),
            turn(4, "assistant"),
        )
    )
    assert result.omitted_notes == {}
    assert result.how_made.omitted_by_author == 0
    assert result.how_made.hidden_line == "Reasoning and tool calls not shown"
    assert "Excerpt" not in result.facts_line
    assert (
        result.json_ld()["creativeWorkStatus"] == "Transcript; reasoning and tool calls not shown"
    )


def test_the_authors_omissions_and_edits_are_told_as_such():
    result = told(
        post(
            turn(1, "user"),
            turn(2, "assistant", excluded=True),
            turn(3, "code", excluded=True),
            turn(4, "user"),
            turn(5, "assistant", source="better", original="first"),
        )
    )
    assert result.kind == "edited-excerpt"
    assert result.omitted_notes == {4: "1 turn omitted by the author"}
    assert result.how_made.full_label.endswith("; code cells not shown")


def test_an_author_cannot_call_a_transcript_with_hidden_material_verbatim():
    result = told(post(turn(1, "user"), turn(2, "tool", excluded=True), how_made="verbatim"))
    assert result.kind == "transcript"
    assert told(post(turn(1, "user"), how_made="cowritten")).kind == "cowritten"


def test_the_wording_is_filled_by_plain_substitution():
    result = disclosure.for_post(
        post(turn(1, "user"), model_name="{author} {model.__class__}"),
        wording="Made with {model} by {author}, {kind}. {model}",
        author_name="{kind}",
    )
    assert result.sentence == (
        "Made with {author} {model.__class__} by {kind}, a verbatim transcript. "
        "{author} {model.__class__}"
    )


@pytest.mark.parametrize(
    "wording",
    ["No model here", "With {model.__class__}", "With {model} and {0}", "With {model} {", "{}"],
)
def test_wording_that_cannot_be_filled_is_refused(wording):
    with pytest.raises(disclosure.WordingError):
        disclosure.check_wording(wording)


def test_an_attachment_is_labelled_with_its_name():
    named = turn(1, "attachment", speaker="report.pdf")
    unnamed = turn(2, "attachment", source="notes.txt\nfirst line")
    assert disclosure.fold_label(named) == "Attachment: report.pdf"
    assert disclosure.fold_label(unnamed) == "Attachment: notes.txt"
    assert disclosure.fold_label(turn(3, "output")) == "Output"


def test_shown_material_is_folded_and_hidden_material_disclosed_everywhere(app, client, make_post):
    post_id = make_post(
        "Plotting",
        [
            ("user", "Plot the squares"),
            ("reasoning", "squares are n times n"),
            ("code", "```python\nprint([n * n for n in range(4)])\n```"),
            ("output", "[0, 1, 4, 9]"),
            ("assistant", "Here they are."),
        ],
    )
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.set_excluded(post.turns[1], True)
        content.publish(post, confirmed=True, mark_reviewed=True)
        slug = post.slug
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    code = re.search(r'<article[^>]*id="turn-2"[^>]*data-role="code".*?</article>', page, re.S)
    assert code and '<details class="turn__fold turn__fold--code">' in code.group(0)
    assert "<summary>Code</summary>" in code.group(0) and 'class="turn__body"' in code.group(0)
    assert 'id="turn-3" data-role="output"' in page and "<summary>Output</summary>" in page
    assert "squares are n times n" not in page
    assert "Transcript; reasoning not shown" in page and "omitted by the author" not in page
    data = json.loads(re.search(r'ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["creativeWorkStatus"] == "Transcript; reasoning not shown"
    item = ET.fromstring(client.get("/feed.xml").data).find("channel/item")
    body = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert "<summary>Code</summary>" in body and "Transcript; reasoning not shown" in body
    assert "squares are n times n" not in body


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        ("excerpt", "edited-excerpt"),
        ("edited", "edited-excerpt"),
        ("verbatim", "edited-excerpt"),
        ("edited-excerpt", "edited-excerpt"),
        ("cowritten", "cowritten"),
    ],
)
def test_a_stated_kind_never_hides_a_cut_or_an_edit(stated, expected):
    cut_and_edited = post(
        turn(1, "user"),
        turn(2, "assistant", excluded=True),
        turn(3, "user"),
        turn(4, "assistant", source="better", original="first"),
        how_made=stated,
    )
    assert told(cut_and_edited).kind == expected


@pytest.mark.parametrize(
    ("stated", "expected"),
    [("", "verbatim"), ("excerpt", "excerpt"), ("edited", "edited"), ("verbatim", "verbatim")],
)
def test_a_stated_kind_may_tell_what_the_turns_cannot_show(stated, expected):
    # Cuts or edits made before the import leave no trace in the turns; the author may say so.
    assert told(post(turn(1, "user"), turn(2, "assistant"), how_made=stated)).kind == expected


def test_a_prompt_changed_since_the_import_is_not_verbatim():
    changed_prompt = post(turn(1, "user", source="fixed", original="typo"), turn(2, "assistant"))
    result = told(changed_prompt)
    assert result.kind == "transcript"
    assert "verbatim" not in result.sentence
    assert told(
        post(turn(1, "user", source="same", original="same"), turn(2, "assistant"))
    ).kind == ("verbatim")


def test_an_imported_id_is_named_as_readers_know_it_and_kept_in_the_facts():
    result = told(
        post(
            turn(1, "user"),
            turn(2, "assistant"),
            model_name="text-davinci-002-render-sha",
            source_kind="chatgpt",
        )
    )
    for said in (result.sentence, result.card_line, result.headline, result.contributor):
        assert "GPT-3.5" in said and "text-davinci" not in said
    assert result.facts_line.startswith("Model: GPT-3.5 (text-davinci-002-render-sha) · ")
    assert result.model_in_full == "GPT-3.5 (text-davinci-002-render-sha)"
    contributor = result.json_ld()["contributor"]
    assert contributor["name"] == "GPT-3.5"
    assert contributor["identifier"] == "text-davinci-002-render-sha"


def test_a_name_written_in_the_editor_is_shown_as_typed():
    result = told(post(turn(1, "user"), turn(2, "assistant"), model_name="gpt-4o"))
    assert result.models == "gpt-4o" and "with gpt-4o," in result.sentence
    assert result.facts_line.startswith("Model: gpt-4o · ")
    assert "identifier" not in result.json_ld()["contributor"]


@pytest.mark.parametrize(
    "typed", ["Claude 3.5 Sonnet, via the API", "ChatGPT (GPT-4, May 2023)", "my-finetune-v3"]
)
def test_a_name_typed_over_an_import_that_is_no_id_is_shown_as_typed(typed):
    result = told(post(turn(1, "user"), model_name=typed, source_kind="chatgpt"))
    assert result.models == typed and result.model_in_full == typed


def test_models_from_the_turns_are_named_once_each_with_every_id_kept():
    result = told(
        post(
            turn(1, "user"),
            turn(2, "assistant", model="gpt-4o"),
            turn(3, "assistant", model="gpt-4o-2024-08-06"),
            turn(4, "assistant", model="o1"),
            turn(5, "assistant", model="claude-3-opus-20240229", excluded=True),
            model_name="",
            source_kind="chatgpt",
        )
    )
    assert result.models == "GPT-4o, o1"
    assert result.model_in_full == "GPT-4o (gpt-4o, gpt-4o-2024-08-06), o1"
    assert result.json_ld()["contributor"]["identifier"] == "gpt-4o, gpt-4o-2024-08-06, o1"


def test_a_model_named_only_in_a_speaker_label_is_named_there_too():
    result = told(
        post(
            turn(1, "user"),
            turn(2, "assistant", speaker="ChatGPT (text-davinci-002-render-sha)"),
            model_name="",
            source_kind="markdown",
        )
    )
    assert result.models == "ChatGPT (GPT-3.5)"
    assert result.model_in_full == (
        "ChatGPT (GPT-3.5), recorded as ChatGPT (text-davinci-002-render-sha)"
    )
