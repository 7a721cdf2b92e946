"""A coding agent's session on the reader's page: each shown tool call one line with its
result, edits as diffs, plans as checklists, the session's facts at the top; laid out when the
post is published and printed from the revision, never worked out on a GET."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from blog import posts as content
from blog.extensions import db
from blog.imports.files import import_file
from blog.models import Post, Revision, User
from blog.vocabulary import Role

FIXTURES = Path(__file__).parent / "fixtures"


def imported(app, owner: int, name: str, *, show_tools: bool = True) -> int:
    """Import a fixture session; show its tool turns when asked; publish it; the post's id."""
    with app.app_context():
        user = db.session.get(User, owner)
        report = import_file(FIXTURES / name, name, user)
        post = db.session.get(Post, report.created[0].id)
        if show_tools:
            content.set_role_excluded(post, Role.TOOL, False)
        content.publish(post, confirmed=True, mark_reviewed=True)
        return post.id


def page_of(app, client, post_id: int) -> str:
    with app.app_context():
        slug = db.session.get(Post, post_id).slug
    response = client.get(f"/posts/{slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


class Outline(HTMLParser):
    """The ids, the tool lines' texts and the diff lines' classes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.roles: dict[str, str] = {}
        self.lines: list[str] = []
        self.diff_kinds: list[str] = []
        self._summary_depth = 0
        self._line: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if "id" in found:
            self.ids.append(found["id"])
            if "data-role" in found:
                self.roles[found["id"]] = found["data-role"]
        classes = (found.get("class") or "").split()
        if tag == "summary" and "tool__line" in classes:
            self._summary_depth, self._line = 1, []
        elif self._summary_depth:
            self._summary_depth += tag not in ("br",)
        for name in classes:
            if name.startswith("diff__line--"):
                self.diff_kinds.append(name.removeprefix("diff__line--"))

    def handle_endtag(self, tag: str) -> None:
        if self._summary_depth:
            self._summary_depth -= 1
            if not self._summary_depth:
                self.lines.append(" ".join("".join(self._line).split()))

    def handle_data(self, data: str) -> None:
        if self._summary_depth:
            self._line.append(data)


def outline(page: str) -> Outline:
    parser = Outline()
    parser.feed(page)
    return parser


def test_claude_code_tool_calls_read_as_one_line_each(app, client, owner):
    page = page_of(app, client, imported(app, owner, "claude_code_tool_session.jsonl"))
    seen = outline(page)
    assert seen.lines == [
        "Plan: 0 of 3 done · now: Reproduce the missing last row",
        "Read 3 files",
        "Read src/csvkit/export.py → 6 lines",
        "Read src/csvkit/rows.py → 5 lines",
        "Read tests/test_export.py (lines 1–40) → 4 lines",
        "Bash: pytest -q tests/test_export.py → exit 1",
        'Grep "range\\(len" in src → 1 line',
        "Edit src/csvkit/export.py (+2 −2)",
        "Edit src/csvkit/rows.py (+2 −1, 2 edits)",
        "Write tests/test_last_row.py (+9)",
        "Bash: pytest -v → 47 lines",
        "Plan: 3 of 3 done",
    ]
    # Every shown turn keeps its own address and role, in one numbering with the prose.
    turn_ids = [i for i in seen.ids if re.fullmatch(r"turn-\d+", i)]
    assert len(turn_ids) == len(set(turn_ids))
    assert sorted(turn_ids, key=lambda i: int(i[5:])) == [f"turn-{n}" for n in range(1, 27)]
    assert {seen.roles[i] for i in turn_ids if i not in ("turn-1", "turn-2", "turn-26")} >= {"tool"}
    assert seen.roles["turn-1"] == "user" and seen.roles["turn-26"] == "assistant"
    # The edits as coloured diffs, the failing command's output, the plan as a checklist.
    assert seen.diff_kinds.count("del") == 3 and seen.diff_kinds.count("add") == 13
    assert '<span class="diff__line diff__line--add">+    for row in rows:</span>' in page
    assert "AssertionError: assert 2 == 3" in page
    assert '<li class="plan__item plan__item--in_progress"><span class="plan__box">☐</span>' in page
    assert page.count('<span class="plan__box">☑</span>') == 3
    # The reasoning hidden between two calls is marked in its place inside the run.
    grep, edit = (
        page.index("Grep</span>"),
        page.index("Edit</span> <code>src/csvkit/export.py"),
    )
    note = page.index('<p class="hidden-material" role="note">Reasoning not shown</p>', grep)
    assert grep < note < edit
    # No JSON blob where a line says it better.
    assert '"old_string"' not in page and "```" not in page
    # The 47 lines of test output: 20 shown, the rest behind a fold.
    assert "Show 27 more lines" in page
    assert '<aside class="ai-disclosure"' in page and 'rel="license"' in page


def test_the_session_facts_head_the_page(app, client, owner):
    page = page_of(app, client, imported(app, owner, "claude_code_tool_session.jsonl"))
    facts = re.search(r'<section class="session-summary".*?</section>', page, re.DOTALL)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", facts).split())
    assert "Agent Claude Code" in text
    assert "Model Claude Sonnet 4.5" in text
    assert "Prompts 1" in text
    assert "Tool calls 11 (all shown)" in text
    assert "Files changed 3" in text
    assert "3 min, 3 September 2026, 14:10 UTC → 14:13 UTC" in text
    assert "src/csvkit/export.py +2 −2" in text and "tests/test_last_row.py +9" in text
    assert page.index("session-summary") < page.index('id="turn-1"')


def test_codex_commands_patches_and_plans(app, client, owner):
    page = page_of(app, client, imported(app, owner, "codex_tool_session.jsonl"))
    assert outline(page).lines == [
        "Plan: 0 of 3 done · now: Find the parser",
        'exec_command: rg -n "def parse" src → exit 0',
        "shell: sed -n '1,20p' src/csvkit/parse.py → exit 0",
        "apply_patch: 2 files (+7 −2) → exit 0",
        "shell_command: pytest -q tests/test_parse.py → exit 1",
        "exec_command: python -m pytest -q → exit 0",
        "Plan: 3 of 3 done",
    ]
    assert '<div class="tool__meta">took 1.2 s</div>' in page
    assert "ModuleNotFoundError" in page and "Chunk ID" not in page
    assert (
        '<span class="diff__line diff__line--add">+    return next(csv.reader([line]))</span>'
        in page
    )
    assert '<span class="diff__line diff__line--gap">def parse(line):</span>' in page
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Agent Codex CLI" in text and "Model GPT-5.1-Codex" in text
    assert '<details class="tool tool--failed" id="turn-' in page


def test_hidden_tool_calls_are_counted_never_shown(app, client, owner):
    post_id = imported(app, owner, "claude_code_tool_session.jsonl", show_tools=False)
    page = page_of(app, client, post_id)
    assert 'class="tool' not in page and "diff__line" not in page
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Tool calls 11 (none shown)" in text and "Files changed 3" in text
    # Their files' names stay with the hidden calls.
    assert "session-summary__files" not in page and "src/csvkit/rows.py" not in page


def test_the_layout_is_stored_with_the_revision_and_read_from_it(app, client, owner):
    post_id = imported(app, owner, "codex_tool_session.jsonl")
    with app.app_context():
        post = db.session.get(Post, post_id)
        revision = db.session.get(Revision, post.published_revision_id)
        data = json.loads(revision.data)
        assert data["session"]["summary"]["calls"] == 7
        # A reader's page prints what was stored: change the stored line, the page follows.
        first = next(iter(data["session"]["blocks"].values()))["items"][0]
        first["label"] = "<span>Stored line</span>"
        revision.data = json.dumps(data)
        db.session.commit()
    page = page_of(app, client, post_id)
    assert "Stored line" in page and "0 of 3 done" not in page


def test_showing_a_turn_is_a_staged_change_but_publishing_again_is_not(app, owner):
    post_id = imported(app, owner, "codex_tool_session.jsonl")
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert not content.has_staged_changes(post)
        preview = content.working_view(post)
        assert preview.session is not None and preview.session.summary["calls_shown"] == 7


@pytest.mark.parametrize("name", ["claude_code_session.jsonl", "codex_review_session.jsonl"])
def test_earlier_fixtures_lay_out_without_loss(app, client, owner, name):
    page = page_of(app, client, imported(app, owner, name))
    seen = outline(page)
    turn_ids = [i for i in seen.ids if re.fullmatch(r"turn-\d+", i)]
    assert turn_ids and len(turn_ids) == len(set(turn_ids))
    numbers = sorted(int(i[5:]) for i in turn_ids)
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(line for line in seen.lines)


def test_a_tool_turn_the_author_edited_says_so_on_its_line(app, client, owner):
    post_id = imported(app, owner, "codex_tool_session.jsonl")
    with app.app_context():
        post = db.session.get(Post, post_id)
        result = next(t for t in post.turns if "ModuleNotFoundError" in t.source)
        content.save_turn(result, result.source.replace("'csvkit'", "'[redacted]'"), None)
        content.publish(post, confirmed=True, mark_reviewed=True)
    page = page_of(app, client, post_id)
    edited = re.findall(r'<summary class="tool__line">(.*?)</summary>', page)
    marked = [line for line in edited if "edited by the author" in line]
    assert len(marked) == 1 and "pytest -q tests/test_parse.py" in marked[0]
    assert "No module named &#39;[redacted]&#39;" in page or "No module named '[redacted]'" in page
