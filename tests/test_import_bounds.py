"""An import's bounds hold in the service, whatever a file holds: the turn size limit, and one
budget for the time all of its turns may spend being rendered."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from blog.extensions import db
from blog.imports.files import import_file
from blog.models import Post, Turn


def open_webui(*chats: tuple[str, list[str]]) -> bytes:
    """An Open WebUI export of (title, replies) chats, each reply after a short question."""
    items = []
    for number, (title, replies) in enumerate(chats):
        messages = []
        for reply in replies:
            messages += [
                {"role": "user", "content": "Go on?"},
                {"role": "assistant", "content": reply},
            ]
        items.append({"id": f"chat-{number}", "title": title, "chat": {"messages": messages}})
    return json.dumps(items).encode()


def test_a_conversation_with_a_turn_over_the_limit_is_not_imported_and_the_report_says_why(app):
    app.config["MAX_TURN_CHARS"] = 1000
    data = open_webui(("Fits", ["A short answer."]), ("Huge", ["fine", "x" * 1001]))
    with app.app_context():
        report = import_file(data, "export.json", None)
        titles = db.session.scalars(select(Post.title)).all()
    assert titles == ["Fits"]
    assert report.skipped == [
        "Huge (not imported: turn 4 (assistant) is 1,001 characters long; the limit is 1,000)"
    ]


def test_the_limit_holds_for_the_limit_itself(app):
    app.config["MAX_TURN_CHARS"] = 1000
    with app.app_context():
        report = import_file(open_webui(("Exactly", ["y" * 1000])), "export.json", None)
    assert [post.title for post in report.created] == ["Exactly"] and report.skipped == []


def test_past_the_render_budget_turns_are_kept_as_escaped_text_and_the_report_says_so(app):
    app.config["IMPORT_RENDER_BUDGET_SECONDS"] = 0
    with app.app_context():
        report = import_file(open_webui(("Spent", ["**bold** <b>"])), "export.json", None)
        reply = db.session.scalars(select(Turn).where(Turn.role == "assistant")).one()
    assert reply.html == '<pre class="unrendered">**bold** &lt;b&gt;</pre>'
    assert reply.text == "**bold** <b>" and reply.words == 2
    (note,) = report.notes
    assert note.startswith("Spent (spent): 2 turns kept as plain text, not rendered")  # both
    assert "IMPORT_RENDER_BUDGET_SECONDS" in note


def test_within_the_budget_turns_are_rendered(app):
    with app.app_context():
        report = import_file(open_webui(("Rendered", ["**bold**"])), "export.json", None)
        reply = db.session.scalars(select(Turn).where(Turn.role == "assistant")).one()
    assert reply.html == "<p><strong>bold</strong></p>" and report.notes == []


def test_many_hostile_turns_cost_the_budget_not_a_second_each(app):
    # Each of these turns uses its whole render deadline; forty of them took over 40 s.
    app.config["IMPORT_RENDER_BUDGET_SECONDS"] = 2
    app.config["IMPORT_RENDER_PROCESSES"] = 1  # rendered here, so this process's time counts
    # Each text differs: the import renders a text it has seen once only.
    hostile = [
        f"{number}\n\n" + ("[" * 150_000 if number % 2 else "```csharp\n" + "a\n" * 20_000 + "```")
        for number in range(40)
    ]
    started = time.process_time()
    with app.app_context():
        report = import_file(open_webui(("Hostile", hostile)), "export.json", None)
    # Unbounded, the forty turns cost over 40 s; bounded, the budget and one deadline or two.
    assert time.process_time() - started < 25
    assert [post.title for post in report.created] == ["Hostile"]
    assert "turns kept as plain text, not rendered" in report.notes[0]
