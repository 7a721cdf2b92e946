"""A coding agent's session names the agent and the version its log was written with: read
from the log, saved by the import, kept by the published revision, told in "How this was
made", the JSON-LD and the session's facts, and carried by the JSON export."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from blog import disclosure
from blog import posts as content
from blog.extensions import db
from blog.formats.base import version_span
from blog.formats.colloquy_json import from_colloquy_json
from blog.formats.detect import read_conversations
from blog.formats.writing import to_json
from blog.imports.files import import_file
from blog.models import Post, Revision, User
from blog.vocabulary import Role
from tests.test_session_page import imported, page_of

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("name", "agent", "version"),
    [
        ("claude_code_session.jsonl", "Claude Code", "1.0.83"),
        ("claude_code_tool_session.jsonl", "Claude Code", "2.1.240"),
        ("claude_code_newer_session.jsonl", "Claude Code", "2.1.229"),
        ("codex_rollout.jsonl", "Codex CLI", "0.34.0"),
        ("codex_tool_session.jsonl", "Codex CLI", "0.58.0"),
        ("codex_review_session.jsonl", "Codex CLI", "0.63.0"),
        # The oldest layout's header states no version: none is made up.
        ("codex_rollout_legacy.jsonl", "Codex CLI", ""),
    ],
)
def test_the_readers_name_the_agent_and_its_version(name, agent, version):
    (conversation,) = read_conversations(FIXTURES / name)
    assert (conversation.agent, conversation.agent_version) == (agent, version)


def _rewritten(tmp_path: Path, name: str, change) -> Path:
    """A fixture with each entry passed through `change` (entry, line number) → entries."""
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    out = []
    for number, line in enumerate(lines, 1):
        out += [json.dumps(entry) for entry in change(json.loads(line), number)]
    path = tmp_path / name
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_a_claude_code_session_that_spans_versions_names_the_span(tmp_path):
    def upgraded(entry, number):
        if "version" in entry and number > 6:
            entry["version"] = "1.0.100"  # after 1.0.83, though it sorts before it as text
        return [entry]

    (conversation,) = read_conversations(
        _rewritten(tmp_path, "claude_code_session.jsonl", upgraded)
    )
    assert conversation.agent_version == "1.0.83–1.0.100"


def test_a_resumed_codex_session_names_each_version_and_the_ide_extension(tmp_path):
    def resumed(entry, number):
        if entry.get("type") != "session_meta":
            return [entry]
        entry["payload"]["originator"] = "codex_vscode"
        again = json.loads(json.dumps(entry))
        again["payload"]["cli_version"] = "0.60.1"
        return [entry, again]

    (conversation,) = read_conversations(_rewritten(tmp_path, "codex_tool_session.jsonl", resumed))
    assert conversation.agent == "Codex IDE extension"
    assert conversation.agent_version == "0.58.0–0.60.1"


@pytest.mark.parametrize(
    ("originator", "agent"),
    [
        ("Codex Desktop", "Codex app"),
        ("codex_exec", "Codex CLI"),
        ("someone_elses_client", "Codex"),
    ],
)
def test_a_codex_log_names_the_client_that_wrote_it(tmp_path, originator, agent):
    def written_by(entry, number):
        if entry.get("type") == "session_meta":
            entry["payload"]["originator"] = originator
        return [entry]

    path = _rewritten(tmp_path, "codex_rollout.jsonl", written_by)
    (conversation,) = read_conversations(path)
    assert (conversation.agent, conversation.agent_version) == (agent, "0.34.0")


def test_version_spans_compare_numbers_as_numbers():
    assert version_span(["2.0.14", "2.0.9", "2.0.14", ""]) == "2.0.9–2.0.14"
    assert version_span(["1.0.83"]) == "1.0.83"
    assert version_span([]) == ""


def _json_ld(page: str) -> dict:
    return json.loads(re.search(r'ld\+json">(.*?)</script>', page, re.S).group(1))


def test_the_import_saves_the_agent_and_the_page_tells_it(app, client, owner):
    post_id = imported(app, owner, "claude_code_tool_session.jsonl")
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert (post.agent, post.agent_version) == ("Claude Code", "2.1.240")
        model = post.turns[1].model if post.turns[1].model else ""
    page = page_of(app, client, post_id)
    how = page[page.index("<summary>How this was made</summary>") : page.index("</aside>")]
    facts = re.search(r'<p class="ai-disclosure__facts">(.*?)</p>', how).group(1)
    assert facts.startswith("Made with Claude Code 2.1.240, model ")
    assert re.search(r"<dt>Made with</dt><dd>Claude Code 2\.1\.240, model [^<]*\S", how)
    ld = _json_ld(page)
    model_app, agent_app = ld["contributor"]
    assert agent_app == {
        "@type": "SoftwareApplication",
        "name": "Claude Code",
        "applicationCategory": "AI coding agent",
        "softwareVersion": "2.1.240",
    }
    assert model_app["name"] != "Claude Code" and model in (model_app.get("identifier", ""), "")
    summary = page[page.index('class="session-summary"') :]
    assert "<dt>Agent</dt><dd>Claude Code 2.1.240</dd>" in summary


def test_a_post_from_no_agent_names_none(app, client, make_post):
    post_id = make_post("Plain", [("user", "Hi"), ("assistant", "Hello.")], publish=True)
    page = page_of(app, client, post_id)
    ld = _json_ld(page)
    assert isinstance(ld["contributor"], dict)
    assert "Made with Claude Code" not in page and "<dt>Agent</dt>" not in page


def test_the_published_revision_keeps_the_agent(app, client, owner):
    post_id = imported(app, owner, "codex_tool_session.jsonl", show_tools=False)
    with app.app_context():
        post = db.session.get(Post, post_id)
        data = json.loads(post.published_revision.data)
        assert (data["agent"], data["agent_version"]) == ("Codex CLI", "0.58.0")
        first = post.published_revision_id
        # The working copy changes (a re-import from a later version, say): readers still
        # see what was published until the author presses Update.
        post.agent_version = "0.99.0"
        db.session.commit()
    assert "Made with Codex CLI 0.58.0, model " in page_of(app, client, post_id)
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.publish(post, confirmed=True, mark_reviewed=True)
        assert post.published_revision_id != first
    assert "Made with Codex CLI 0.99.0, model " in page_of(app, client, post_id)
    with app.app_context():
        post = db.session.get(Post, post_id)
        # A revision recorded before revisions kept the agent leaves the post's as it is.
        old = db.session.get(Revision, first)
        data = json.loads(old.data)
        del data["agent"], data["agent_version"]
        old.data = json.dumps(data)
        db.session.commit()
        content.restore(post, old)
        assert (post.agent, post.agent_version) == ("Codex CLI", "0.99.0")


def test_hidden_tool_calls_and_reasoning_are_counted_in_how_this_was_made(app, client, owner):
    post_id = imported(app, owner, "claude_code_tool_session.jsonl", show_tools=False)
    with app.app_context():
        post = db.session.get(Post, post_id)
        tools = [t for t in post.turns if t.role == Role.TOOL and t.excluded]
        results = [t for t in tools if t.speaker.startswith(("Tool result", "Tool error"))]
        reasoning = any(t.role == Role.REASONING and t.excluded for t in post.turns)
    # A call's result is part of the call, not a call of its own.
    calls = len(tools) - len(results)
    assert calls > 1 and results
    page = page_of(app, client, post_id)
    facts = re.search(r'<p class="ai-disclosure__facts">(.*?)</p>', page).group(1)
    assert facts.endswith(f"{'reasoning and ' if reasoning else ''}{calls} tool calls not shown")
    told = re.search(r'<dd class="how-made" data-how-made="\w+">(.*?)</dd>', page).group(1)
    assert told.endswith(f"{calls} tool calls not shown")
    # The session's facts count the same calls: every one, and how many are shown.
    assert re.search(rf"<dt>Tool calls</dt><dd>{calls} \(none shown\)", page)
    # Each place the page marks hidden calls counts a call and its result once.
    notes = re.findall(r'<p class="hidden-material" role="note">(.*?)</p>', page)
    marked = 0
    for note in notes:
        found = re.search(r"(?:(\d+) )?tool calls?\b", note, re.I)
        marked += int(found.group(1) or 1) if found else 0
    assert notes and marked == calls


def test_the_json_export_keeps_the_agent(app, client, owner):
    (conversation,) = read_conversations(FIXTURES / "claude_code_session.jsonl")
    again = from_colloquy_json(json.loads(to_json(conversation)))
    assert (again.agent, again.agent_version) == ("Claude Code", "1.0.83")

    post_id = imported(app, owner, "codex_rollout.jsonl", show_tools=False)
    with app.app_context():
        slug = db.session.get(Post, post_id).slug
    download = client.get(f"/posts/{slug}.json")
    assert download.status_code == 200
    document = json.loads(download.get_data(as_text=True))
    assert (document["agent"], document["agent_version"]) == ("Codex CLI", "0.34.0")
    (read_back,) = read_conversations(download.data, "post.json")
    assert (read_back.agent, read_back.agent_version) == ("Codex CLI", "0.34.0")


def test_an_export_without_an_agent_writes_none():
    (conversation,) = read_conversations(FIXTURES / "claude_code_session.jsonl")
    conversation.agent = conversation.agent_version = ""
    document = json.loads(to_json(conversation))
    assert "agent" not in document and "agent_version" not in document


def test_a_call_and_its_result_are_one_tool_call_in_every_count():
    def turn(n, role, speaker="", excluded=True):
        return SimpleNamespace(
            id=n,
            role=role,
            speaker=speaker,
            model="",
            source="x",
            excluded=excluded,
            is_ai=role in disclosure.AI_ROLES,
            edited=False,
        )

    turns = [
        turn(1, "user", excluded=False),
        turn(2, "tool", "Tool call"),
        turn(3, "tool", "Tool result"),
        turn(4, "tool", "Tool call"),
        turn(5, "tool", "Tool error"),
        turn(6, "assistant", excluded=False),
        turn(7, "tool", "Tool result"),  # its call is shown elsewhere: still counted once
        turn(8, "assistant", excluded=False),
    ]
    assert disclosure.hidden_notes(turns) == {
        6: "2 tool calls not shown",
        8: "Tool call not shown",
    }
    post = SimpleNamespace(
        title="T", how_made="", model_name="", source_kind="claude-code", turns=turns
    )
    assert disclosure.how_made(post).counted_label == "Transcript; 2 tool calls not shown"


def test_a_session_imported_again_from_a_later_version_says_so(app, owner, tmp_path):
    def resumed(entry, number):
        if number > 20 and "version" in entry:
            entry["version"] = "2.2.0"
        return [entry]

    later = _rewritten(tmp_path, "claude_code_tool_session.jsonl", resumed)
    with app.app_context():
        user = db.session.get(User, owner)
        first = import_file(FIXTURES / "claude_code_tool_session.jsonl", "s.jsonl", user)
        again = import_file(later, "s.jsonl", user, on_duplicate="update")
        assert again.updated and again.updated[0].id == first.created[0].id
        post = db.session.get(Post, first.created[0].id)
        assert (post.agent, post.agent_version) == ("Claude Code", "2.1.240–2.2.0")


@pytest.mark.parametrize(
    ("fixture", "agent"),
    [("claude_code_tool_session.jsonl", "Claude Code"), ("codex_tool_session.jsonl", "Codex CLI")],
)
def test_made_with_names_the_agent_once(app, client, owner, fixture, agent):
    page = page_of(app, client, imported(app, owner, fixture, show_tools=False))
    made_with = re.search(r"<dt>Made with</dt><dd>(.*?)</dd>", page).group(1)
    assert made_with.count(agent) == 1, made_with
    assert made_with.endswith(" · imported from the session log")


def test_made_with_names_another_source_of_an_agents_session(app, client, owner):
    post_id = imported(app, owner, "claude_code_tool_session.jsonl", show_tools=False)
    with app.app_context():
        post = db.session.get(Post, post_id)
        post.source_kind = "colloquy"
        content.publish(post, confirmed=True, mark_reviewed=True)
    made_with = re.search(r"<dt>Made with</dt><dd>(.*?)</dd>", page_of(app, client, post_id))
    assert made_with.group(1).startswith("Claude Code 2.1.240, model ")
    assert made_with.group(1).endswith(" · imported from a Colloquy export")
