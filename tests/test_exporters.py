"""Exporters: Markdown in the blockquote post layout and Colloquy JSON, both read back losslessly."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blog.extensions import db
from blog.formats.base import (
    ImportedAttachment,
    ImportedConversation,
    ImportedTurn,
    ImportFormatError,
    display_form,
)
from blog.formats.chatgpt.conversations import parse_chatgpt
from blog.formats.claude.export import parse_claude
from blog.formats.colloquy_json import from_colloquy_json, parse_colloquy_json
from blog.formats.detect import read_conversations
from blog.formats.openai_messages import parse_openai_messages
from blog.formats.sharegpt import parse_sharegpt
from blog.formats.text.markdown import markdown_layout, parse_markdown
from blog.formats.text.pasted import parse_pasted
from blog.formats.writing import to_json, to_markdown
from blog.imports.files import import_file
from blog.models import Post, User

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = Path("/work/shared/samples")
HUGO_SAMPLES = ["animmouse-pi-vs-tau.md", "animmouse-landing-on-saturn-impossible.md"]


def fixture_conversations() -> list[tuple[str, ImportedConversation]]:
    """Every fixture this suite knows how to import, parsed by its own importer."""
    found = []
    for path in sorted(FIXTURES.glob("md_*.md")):
        found.append((path.name, parse_markdown(path.read_bytes().decode("utf-8"), path.name)))
    for path in sorted(FIXTURES.glob("pasted_*.txt")):
        found.append((path.name, parse_pasted(path.read_bytes().decode("utf-8"))))
    readers = {
        "chatgpt_*.json": parse_chatgpt,
        "claude_*.json": parse_claude,
        "sharegpt_*.json": parse_sharegpt,
    }
    for pattern, read in readers.items():
        for path in sorted(FIXTURES.glob(pattern)):
            items = json.loads(path.read_text(encoding="utf-8"))
            found.extend((f"{path.name}#{n}", c) for n, c in enumerate(read(items), 1))
    for pattern in (
        "claude_code_*.jsonl",
        "codex_*.jsonl",
        "open_webui_*.json",
        "librechat_*.json",
        "grok_*.json",
        "ai_studio_*",
        "deepseek_*.json",
        "gemini_*.json",
        "gemini_*.html",
        "qwen_*.json",
        "perplexity_*.json",
        "perplexity_*.md",
        "copilot_*.csv",
    ):
        for path in sorted(FIXTURES.glob(pattern)):
            found.extend((f"{path.name}#{n}", c) for n, c in enumerate(read_conversations(path), 1))
    for path in sorted(FIXTURES.glob("openai_*.jsonl")):
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        found.extend((f"{path.name}#{n}", c) for n, c in enumerate(parse_openai_messages(items), 1))
    return found


FIXTURE_CONVERSATIONS = fixture_conversations()


def visible(conversation: ImportedConversation) -> list[tuple[object, ...]]:
    """Every turn with what a round trip must keep: role, text, speaker, model, hidden flag
    and the turn's other versions."""
    return [
        (turn.role, turn.text, turn.speaker, turn.model, turn.hidden, turn.alternatives)
        for turn in conversation.turns
    ]


def sample_conversation() -> ImportedConversation:
    return ImportedConversation(
        title="Mixed roles: a test",
        source_kind="chatgpt",
        source_id="abc-123",
        created_at=datetime(2024, 6, 1, 12, 30, tzinfo=timezone(timedelta(hours=-4))),
        model="gpt-4o",
        tags=["testing", "round trip"],
        summary="A conversation with every role.",
        turns=[
            ImportedTurn("system", "Be brief."),
            ImportedTurn("user", "> Traceback: KeyError 'x'\n\nWhat does this mean?"),
            ImportedTurn(
                "assistant", "The key `'x'` is missing.", speaker="ChatGPT", model="gpt-4o"
            ),
            ImportedTurn("tool", '{"result": 42}', speaker="python", hidden=True),
            ImportedTurn("assistant", "The answer is 42.", speaker="ChatGPT", model="o1"),
            ImportedTurn("assistant", "Anything else?", speaker="ChatGPT", model="gpt-4o"),
            ImportedTurn("note", "I tried this myself afterwards.", speaker="Editor"),
            ImportedTurn("user", "## User\nThat line looks like a heading."),
            ImportedTurn("user", "A second prompt in a row."),
        ],
    )


@pytest.mark.parametrize(("name", "conversation"), FIXTURE_CONVERSATIONS)
def test_markdown_round_trip_keeps_every_turn(name, conversation):
    again = parse_markdown(to_markdown(conversation))
    assert visible(again) == visible(conversation)
    assert again.title == conversation.title
    assert again.tags == conversation.tags
    assert again.created_at == conversation.created_at
    assert again.model == conversation.model


@pytest.mark.parametrize(("name", "conversation"), FIXTURE_CONVERSATIONS)
def test_json_round_trip_is_lossless(name, conversation):
    assert from_colloquy_json(json.loads(to_json(conversation))) == conversation


def test_markdown_round_trip_keeps_roles_speakers_and_models_the_layout_cannot_express():
    conversation = sample_conversation()
    written = to_markdown(conversation)
    again = parse_markdown(written)
    assert visible(again) == visible(conversation)
    assert [turn.model for turn in again.turns if turn.role == "assistant"] == [
        "gpt-4o",
        "o1",
        "gpt-4o",
    ]
    assert again.model == "gpt-4o"
    assert (
        '<!-- turn {"role": "note", "speaker": "Editor"} -->\n> I tried this myself afterwards.'
        in written
    )
    assert '<!-- turn {"role": "assistant", "speaker": "ChatGPT", "model": "o1"} -->' in written


def test_markdown_front_matter_has_title_date_with_offset_tags_model_and_source():
    written = to_markdown(sample_conversation())
    front_matter = written.split("---\n")[1]
    assert front_matter.splitlines() == [
        'title: "Mixed roles: a test"',
        "date: 2024-06-01T12:30:00-04:00",
        "tags:",
        "  - testing",
        "  - round trip",
        "model: gpt-4o",
        "speaker: ChatGPT",
        "summary: A conversation with every role.",
        "source: chatgpt",
        "source_id: abc-123",
    ]


def test_every_fixture_format_is_covered_by_the_round_trips():
    prefixes = {name.split("_")[0] for name, _ in FIXTURE_CONVERSATIONS}
    assert prefixes == {
        "md",
        "pasted",
        "chatgpt",
        "claude",
        "codex",
        "open",
        "librechat",
        "sharegpt",
        "openai",
        "grok",
        "ai",
        "deepseek",
        "gemini",
        "qwen",
        "perplexity",
        "copilot",
    }


# Fixtures that hold no conversation to round-trip: a helper, files other tests read alone,
# and folders of other material.
NOT_ROUND_TRIPPED = {"scan_corpus.py", "long_conversation.md", "fediverse", "markdown-spec"}


def test_every_conversation_fixture_is_round_tripped():
    covered = {name.split("#")[0] for name, _ in FIXTURE_CONVERSATIONS}
    fixtures = {path.name for path in FIXTURES.iterdir()} - NOT_ROUND_TRIPPED
    assert sorted(fixtures - covered) == []


def test_markdown_writes_prompts_as_is_and_replies_quoted_with_blank_lines_kept():
    conversation = ImportedConversation(
        title="Two paragraphs",
        source_kind="markdown",
        turns=[
            ImportedTurn("user", "First line\nsecond line"),
            ImportedTurn("assistant", "One.\n\nTwo.\n  indented"),
        ],
    )
    assert to_markdown(conversation) == (
        "---\ntitle: Two paragraphs\n---\nFirst line\nsecond line\n\n> One.\n> \n> Two.\n>   indented\n"
    )


def test_a_title_that_yaml_would_misread_is_quoted():
    conversation = ImportedConversation(
        title="yes",
        source_kind="markdown",
        turns=[ImportedTurn("user", "Q"), ImportedTurn("assistant", "A")],
    )
    written = to_markdown(conversation)
    assert 'title: "yes"' not in written or parse_markdown(written).title == "yes"
    assert parse_markdown(written).title == "yes"


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared samples are not available here")
@pytest.mark.parametrize("name", HUGO_SAMPLES)
def test_hugo_samples_re_export_byte_for_byte(name):
    original = (SAMPLES / "markdown" / name).read_bytes()
    text = original.decode("utf-8")
    conversation = parse_markdown(text, name)
    assert to_markdown(conversation, markdown_layout(text)).encode("utf-8") == original
    # Without the original layout only the missing final newline differs.
    assert to_markdown(conversation).encode("utf-8") == original + b"\n"


def test_layout_keeps_crlf_byte_order_mark_and_front_matter():
    original = (FIXTURES / "md_toml_crlf.md").read_bytes()
    text = original.decode("utf-8")
    written = to_markdown(parse_markdown(text), markdown_layout(text))
    assert written.startswith('\ufeff+++\r\ntitle = "Tabs and line endings"\r\n')
    assert written.endswith("> \tIt uses CRLF line endings.\r\n> Convert them with dos2unix.\r\n")


def test_json_export_has_the_documented_shape():
    document = json.loads(to_json(sample_conversation()))
    assert document["format"] == "colloquy"
    assert document["version"] == 1
    assert document["source_kind"] == "chatgpt"
    assert document["created_at"] == "2024-06-01T12:30:00-04:00"
    assert [turn["role"] for turn in document["turns"]][:4] == [
        "system",
        "user",
        "assistant",
        "tool",
    ]
    assert set(document["turns"][0]) == {
        "role",
        "speaker",
        "model",
        "text",
        "created_at",
        "hidden",
        "alternatives",
        "attachments",
    }


def test_markdown_keeps_other_versions_of_a_turn_after_it():
    conversation = sample_conversation()
    reply = next(t for t in conversation.turns if t.role == "assistant" and not t.hidden)
    reply.alternatives += ["An older reply.", "> A quoted\n\nolder reply."]
    prompt = next(t for t in conversation.turns if t.role == "user")
    prompt.alternatives.append("The question as first asked?")

    written = to_markdown(conversation)

    assert '<!-- turn {"role": "assistant", "alternative": true} -->\n> An older reply.' in written
    again = parse_markdown(written)
    assert [t.alternatives for t in again.turns] == [t.alternatives for t in conversation.turns]
    assert visible(again) == visible(conversation)
    # A version with no turn before it is text all the same: it stands as a turn.
    marker = '<!-- turn {"role": "user", "alternative": true} -->'
    alone = parse_markdown(f"{marker}\n> First?\n\nSecond?\n\n> Hi.")
    assert [t.text for t in alone.turns] == ["First?", "Second?", "Hi."]


def test_json_round_trip_keeps_attachments_alternatives_and_hidden_turns():
    conversation = sample_conversation()
    conversation.turns[1].attachments.append(
        ImportedAttachment("shot.png", "image/png", b"\x89PNG\r\n", alt="a screenshot")
    )
    conversation.turns[2].alternatives.append("An older reply.")
    (again,) = parse_colloquy_json([json.loads(to_json(conversation))])
    assert again == conversation


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format": "other"}, '"format" must be "colloquy"'),
        (
            {"format": "colloquy", "version": 9, "turns": []},
            "unsupported Colloquy export version 9",
        ),
        ({"format": "colloquy", "version": 1, "turns": {}}, '"turns" must be a list'),
        (
            {"format": "colloquy", "version": 1, "turns": [{"role": "wizard", "text": "hi"}]},
            "turn 1: unknown role",
        ),
        (
            {"format": "colloquy", "version": 1, "turns": [{"role": "user", "text": 5}]},
            '"text" must be text',
        ),
        (
            {"format": "colloquy", "version": 1, "created_at": "soon", "turns": []},
            "not an ISO 8601 date",
        ),
    ],
)
def test_malformed_colloquy_json_is_refused_with_a_clear_message(document, message):
    with pytest.raises(ImportFormatError, match=message):
        list(parse_colloquy_json([document]))


# Text built from the characters that can end a fence or a quote early: backtick and tilde
# runs, quote markers, heading and marker-comment lookalikes, on lines of their own or inline.
_TRICKY_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            ["```", "````", "~~~", "~~~~~", "> quoted", ">", "## You", "## ChatGPT", "---"]
        ),
        st.sampled_from(['<!-- turn {"role": "user"} -->', "**You:**", "    indented"]),
        st.text(alphabet="ab `~>#*-", min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=8,
)


def _tidy(lines: list[str]) -> str:
    """A turn text as importers produce them: no blank edges, no trailing spaces."""
    return "\n".join(line.rstrip() for line in lines).strip("\n").strip() or "x"


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["user", "assistant", "reasoning", "code", "output", "tool"]),
            _TRICKY_LINES,
            st.booleans(),
            st.lists(_TRICKY_LINES, max_size=2),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_turn_text_survives_markdown_and_json_round_trips(turns):
    conversation = ImportedConversation(
        title="Round trip",
        source_kind="markdown",
        turns=[
            ImportedTurn("user", "Question?"),
            ImportedTurn("assistant", "Answer.", speaker="Assistant"),
            *(
                ImportedTurn(
                    role,
                    _tidy(lines),
                    speaker="Assistant" if role == "assistant" else "",
                    hidden=hidden,
                    alternatives=[_tidy(other) for other in alternatives],
                )
                for role, lines, hidden, alternatives in turns
            ),
        ],
    )

    again = parse_markdown(to_markdown(conversation))
    assert visible(again) == visible(conversation)
    assert [t.alternatives for t in again.turns] == [t.alternatives for t in conversation.turns]
    assert from_colloquy_json(json.loads(to_json(conversation))) == conversation


def _shown_as(conversation: ImportedConversation) -> list[str]:
    return [
        t.text_format or display_form(conversation.source_kind, t.role) for t in conversation.turns
    ]


def test_markdown_round_trip_keeps_how_each_turn_is_shown_and_the_agent():
    MODEL = "claude-sonnet-4-5"  # noqa: N806
    conversation = ImportedConversation(
        title="A session",
        source_kind="claude-code",
        agent="Claude Code",
        agent_version="2.0.10–2.0.14",
        model=MODEL,
        turns=[
            # Typed in a terminal: shown as typed, by its source.
            ImportedTurn("user", "Fix *this*:\n  an indented line"),
            ImportedTurn("assistant", "Done: **fixed**.", speaker="Claude", model=MODEL),
            ImportedTurn("user", "A prompt the author shows as *Markdown*", text_format="markdown"),
            ImportedTurn(
                "assistant", "A reply shown as typed.", "Claude", MODEL, text_format="plain"
            ),
            ImportedTurn("tool", "ls -la", speaker="Bash", hidden=True, text_format="plain"),
            ImportedTurn("user", "Thanks", text_format="plain"),
        ],
    )
    written = to_markdown(conversation)
    again = parse_markdown(written)
    assert visible(again) == visible(conversation)
    assert _shown_as(again) == ["plain", "markdown", "markdown", "plain", "plain", "plain"]
    assert (again.agent, again.agent_version) == ("Claude Code", "2.0.10–2.0.14")
    # The prompts stay readable as prompts: written unquoted, their form in a marker above.
    assert '<!-- turn {"role": "user", "text_format": "plain"} -->\nFix *this*:' in written


def test_a_markdown_export_re_imports_with_its_display_forms_and_agent(
    app, runner, owner, tmp_path
):
    with app.app_context():
        report = import_file(
            FIXTURES / "claude_code_session.jsonl", "session.jsonl", db.session.get(User, owner)
        )
        post = db.session.get(Post, report.created[0].id)
        stored = [(t.role, t.text_format) for t in post.turns if t.source.strip()]
        slug = post.slug
    assert ("user", "plain") in stored and ("assistant", "markdown") in stored
    result = runner.invoke(args=["export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (again,) = read_conversations(tmp_path / "out" / f"{slug}.md")
    assert [(t.role, f) for t, f in zip(again.turns, _shown_as(again), strict=True)] == stored
    assert (again.agent, again.agent_version) == ("Claude Code", "1.0.83")
