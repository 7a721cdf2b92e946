"""Rendering an import on every core, and never twice: the pool stores what one process
would, a turn already rendered from the same text lends its HTML, and the drafts are saved
(and listed) before their turns are rendered. Work is counted with `RenderCount`, not timed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from blog import create_app
from blog import posts as content
from blog.extensions import db
from blog.imports.files import import_file
from blog.models import ImportJob, Post, Turn
from blog.posts import rerender
from blog.posts.render_pool import POOL_FROM_TURNS
from blog.posts.rerender import RenderCount
from blog.posts.rules import render_limits
from tests.conftest import FIXTURES, migrated_app

REPLIES = [
    "A monad is a **pattern** for chaining, with `bind`:\n\n"
    "```python\ndef bind(m, f):\n    return f(m) if m is not None else None\n```",
    "| kind | cost |\n|:--|--:|\n| list | $O(n)$ |\n| set | $O(1)$ |\n\nSee [the docs](https://docs.python.org/3/).",
    "1. first\n2. second with a footnote[^1]\n\n[^1]: the note\n\n$$\\sum_{i=1}^n i = \\frac{n(n+1)}{2}$$",
    "```csharp\nclass A { int B() => 42; }\n```\n\n> quoted *text* and ~~struck~~\n\n- [x] done\n- [ ] open",
    '<details class="reasoning">\n<summary>Thought</summary>\n\nWeighing it.\n\n</details>\n\nDone.',
]


def chatgpt_export(conversations: int, exchanges: int, *, prefix: str = "conv") -> bytes:
    """A conversations.json of linear chats, each prompt then a reply with code, maths, tables."""

    def message(key: str, role: str, text: str) -> dict:
        return {
            "id": key,
            "author": {"role": role, "name": None, "metadata": {}},
            "create_time": 1717000000,
            "content": {"content_type": "text", "parts": [text]},
            "status": "finished_successfully",
            "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
            "recipient": "all",
        }

    def conversation(n: int) -> dict:
        mapping = {"root": {"id": "root", "parent": None, "children": [], "message": None}}
        parent = "root"
        for e in range(exchanges):
            for role, text in (
                # Typed prompts keep their stars and fences as written.
                ("user", f"Question {n}.{e}: what is *this*?\n```\nnot code\n```"),
                ("assistant", f"Answer {n}.{e}. " + REPLIES[(n + e) % len(REPLIES)]),
            ):
                key = f"{n}-{e}-{role}"
                mapping[parent]["children"].append(key)
                mapping[key] = {
                    "id": key,
                    "parent": parent,
                    "children": [],
                    "message": message(key, role, text),
                }
                parent = key
        return {
            "id": f"{prefix}-{n}",
            "title": f"Chat {n}",
            "create_time": 1717000000,
            "update_time": 1717000100,
            "current_node": parent,
            "mapping": mapping,
        }

    return json.dumps([conversation(n) for n in range(conversations)]).encode()


def stored_turns(app) -> list[tuple]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(
                    Turn.source, Turn.text_format, Turn.html, Turn.text, Turn.words, Turn.render_key
                ).order_by(Turn.post_id, Turn.position)
            )
        ]


@pytest.fixture
def second_app(tmp_path):
    folder = tmp_path / "second"
    folder.mkdir()
    with migrated_app(folder) as app:
        yield app


def test_the_pool_stores_the_same_html_as_one_process(app, second_app):
    data = chatgpt_export(conversations=26, exchanges=8)  # 416 turns: past POOL_FROM_TURNS
    assert POOL_FROM_TURNS <= 26 * 8 * 2
    app.config["IMPORT_RENDER_PROCESSES"] = 1
    second_app.config["IMPORT_RENDER_PROCESSES"] = 2
    for each in (app, second_app):
        with each.app_context():
            import_file(data, "conversations.json", None)
    alone, pooled = stored_turns(app), stored_turns(second_app)
    assert len(alone) == 416 and alone == pooled
    assert all(key is not None for *_, key in pooled)
    assert any('<span class="' in html for _, _, html, *_ in pooled)  # highlighted code
    assert any("<math" in html for _, _, html, *_ in pooled)


def test_rendered_in_the_pool_counts_in_this_process(second_app):
    second_app.config["IMPORT_RENDER_PROCESSES"] = 2
    data = chatgpt_export(conversations=26, exchanges=8)
    before = RenderCount.turns
    with second_app.app_context():
        import_file(data, "conversations.json", None)
    # Every prompt is its own text; replies repeat only their number, so each is rendered.
    assert RenderCount.turns - before == 416


def test_prompts_shown_as_typed_skip_markdown_and_highlighting(app):
    with app.app_context():
        import_file(chatgpt_export(1, 1), "conversations.json", None)
        prompt = db.session.scalars(select(Turn).where(Turn.role == "user")).one()
    assert prompt.text_format == "plain"
    assert prompt.html == (
        '<div class="typed">Question 0.0: what is *this*?<br>```<br>not code<br>```</div>'
    )


def test_a_reimport_of_unchanged_text_renders_nothing(app):
    data = chatgpt_export(conversations=3, exchanges=4)
    with app.app_context():
        import_file(data, "conversations.json", None)
    first = stored_turns(app)
    before = RenderCount.turns
    with app.app_context():
        report = import_file(data, "conversations.json", None, on_duplicate="update")
    assert len(report.updated) == 3
    assert RenderCount.turns == before
    assert stored_turns(app) == first


def test_the_same_text_in_another_conversation_takes_the_stored_rendering(app):
    with app.app_context():
        import_file(chatgpt_export(2, 3), "conversations.json", None)
    before = RenderCount.turns
    with app.app_context():
        # The same chats carried on by one exchange, under other ids: new posts whose
        # first six turns were rendered before; only the new exchange is rendered.
        report = import_file(chatgpt_export(2, 4, prefix="other"), "again.json", None)
    assert len(report.created) == 2 and RenderCount.turns - before == 2 * 2
    turns = stored_turns(app)
    assert turns[0:6] == turns[12:18] and turns[6:12] == turns[20:26]


def test_an_edited_turn_is_rendered_once_and_keyed(app):
    with app.app_context():
        import_file(chatgpt_export(1, 1), "conversations.json", None)
        reply = db.session.scalars(select(Turn).where(Turn.role == "assistant")).one()
        old_key = reply.render_key
        content.save_turn(reply, "Now *different*.", reply.version)
        reply = db.session.get(Turn, reply.id)
        assert reply.html == "<p>Now <em>different</em>.</p>"
        assert reply.render_key not in (None, old_key)


def test_rerender_skips_unchanged_text_and_renders_again_for_a_new_renderer(
    app, runner, make_post, monkeypatch
):
    make_post(turns=[("user", "*hello*"), ("assistant", "`code`")], publish=True)
    with app.app_context():
        import_file(chatgpt_export(2, 2), "conversations.json", None)
    before = RenderCount.turns
    result = runner.invoke(args=["rerender"])
    assert result.exit_code == 0, result.output
    assert "Rendered 0 turns" in result.output and "10 were up to date" in result.output
    assert RenderCount.turns == before  # the published revision took its turns' rendering
    monkeypatch.setattr(rerender, "RENDERER_VERSION", rerender.RENDERER_VERSION + 1)
    rerender.renderer_signature.cache_clear()
    try:
        result = runner.invoke(args=["rerender"])
        assert "Rendered 10 turns" in result.output
        # The revision's two turns found the live turns' new rendering.
        assert RenderCount.turns - before == 10
    finally:
        rerender.renderer_signature.cache_clear()


def test_the_drafts_are_saved_before_their_turns_are_rendered(app):
    seen = {}

    def saved(report, to_render: int) -> None:
        # Committed and listed: another connection sees them, their HTML the escaped source.
        with db.engine.connect() as connection:
            rows = connection.execute(select(Turn.html, Turn.render_key)).all()
        seen.update(posts=len(report.created), to_render=to_render, rows=rows)

    progress: list[tuple[int, int]] = []
    with app.app_context():
        import_file(
            chatgpt_export(2, 2),
            "conversations.json",
            None,
            saved=saved,
            rendering=lambda done, total: progress.append((done, total)),
        )
        keys = db.session.scalars(select(Turn.render_key)).all()
    assert seen["posts"] == 2 and seen["to_render"] == 8 and len(seen["rows"]) == 8
    assert all(html.startswith('<pre class="unrendered">') for html, _ in seen["rows"])
    assert all(key is None for _, key in seen["rows"])
    assert progress[-1] == (8, 8) and all(keys)


def test_the_job_page_lists_the_drafts_while_their_turns_render(app, author):
    with app.app_context():
        report = import_file(chatgpt_export(1, 1), "conversations.json", None)
        post = report.created[0]
        job = ImportJob(
            token="rendering-job",
            filename="conversations.json",
            path="/nonexistent.upload",
            status="rendering",
            saved=1,
            render_total=1200,
            rendered=300,
            report_json=json.dumps(
                {"created": [[post.id, post.slug, post.title]], "updated": [], "skipped": []}
                | {"turns": 2, "warnings": [], "notes": [], "hidden": [], "batch": None}
            ),
        )
        db.session.add(job)
        db.session.commit()
    page = author.get("/studio/import/rendering-job").get_data(as_text=True)
    assert "Rendering their turns: 300 of 1,200 done" in page
    assert f"/studio/posts/{post.id}" in page and "1 new draft" in page
    fragment = author.get("/studio/import/rendering-job", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in fragment.headers and 'hx-trigger="every 1s"' in fragment.text


def test_publishing_renders_the_turns_an_import_left_unrendered(app):
    app.config["IMPORT_RENDER_BUDGET_SECONDS"] = 0
    with app.app_context():
        report = import_file(chatgpt_export(1, 1), "conversations.json", None)
        post = db.session.get(Post, report.created[0].id)
        reply = next(t for t in post.turns if t.role == "assistant")
        assert reply.html.startswith('<pre class="unrendered">') and reply.render_key is None
        assert "kept as plain text, not rendered" in report.notes[0]
        content.publish(post, confirmed=True, mark_reviewed=True)
        view = content.published_view(db.session.get(Post, post.id))
        htmls = [turn.html for turn in view.turns]
    assert not any("unrendered" in html for html in htmls)
    assert any("<strong>pattern</strong>" in html for html in htmls)


def test_past_the_budget_the_pool_keeps_markdown_unrendered_and_prompts_typed(second_app):
    second_app.config["IMPORT_RENDER_PROCESSES"] = 2
    second_app.config["IMPORT_RENDER_BUDGET_SECONDS"] = 0
    with second_app.app_context():
        report = import_file(chatgpt_export(26, 8), "conversations.json", None)
    turns = stored_turns(second_app)
    replies = [t for t in turns if t[1] == "markdown"]
    prompts = [t for t in turns if t[1] == "plain"]
    assert all(t[2].startswith('<pre class="unrendered">') and t[5] is None for t in replies)
    assert all(t[2].startswith('<div class="typed">') and t[5] for t in prompts)
    assert len(report.notes) == 26 and "8 turns kept as plain text" in report.notes[0]


def test_one_parse_gives_what_rendering_and_plain_text_give_apart():
    from blog.markdown import plain_text, render_markdown, render_with_text

    spec = FIXTURES / "markdown-spec"
    examples = [
        e["markdown"] for e in json.loads((spec / "commonmark-spec-0.31.2.json").read_text())
    ]
    examples += [e["markdown"] for e in json.loads((spec / "gfm-extensions-0.29.json").read_text())]
    examples += REPLIES + [(FIXTURES / "long_conversation.md").read_text(encoding="utf-8")]
    examples += ["[" * 100_000, "> " * 100 + "deep", "x" * 300_000, "$x^2$ and \\(y\\)"]
    for source in examples:
        assert render_with_text(source) == (render_markdown(source), plain_text(source)), source


def import_in_a_daemonic_process(settings: dict, data: bytes, results) -> None:
    """What the import worker runs: Huey's worker processes are daemonic."""
    app = create_app(settings)
    app.config["IMPORT_RENDER_PROCESSES"] = 2
    with app.app_context():
        report = import_file(data, "conversations.json", None)
        keys = db.session.scalars(select(Turn.render_key)).all()
    results.put((len(report.created), sum(1 for key in keys if key)))


def same_database(app) -> dict:
    """The test app's settings, for another app on its database (app_settings would empty a
    PostgreSQL database to start afresh)."""
    names = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SERVER_NAME")
    return {name: app.config[name] for name in (*names, "PREFERRED_URL_SCHEME", "HUEY_SQLITE_PATH")}


def test_the_pool_runs_inside_the_workers_daemonic_processes(app, tmp_path):
    import multiprocessing

    # A fresh interpreter, as a worker process has never started a pool before.
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    worker = context.Process(
        target=import_in_a_daemonic_process,
        args=(same_database(app), chatgpt_export(26, 8), results),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=300)
    assert worker.exitcode == 0
    assert results.get(timeout=5) == (26, 416)


def test_past_a_pools_worth_of_turns_the_rest_render_while_the_file_is_read(second_app):
    second_app.config["IMPORT_RENDER_PROCESSES"] = 2
    seen = {}

    def saved(report, to_render: int) -> None:
        with db.engine.connect() as connection:
            keys = connection.execute(select(Turn.render_key)).scalars().all()
        seen.update(to_render=to_render, keyed=sum(1 for key in keys if key), rows=len(keys))

    with second_app.app_context():
        import_file(chatgpt_export(60, 8), "conversations.json", None, saved=saved)
    # The turns read before the pool started wait for `render`; the rest arrive rendered.
    assert seen["rows"] == 960
    assert seen["to_render"] < POOL_FROM_TURNS + 16 and seen["keyed"] == 960 - seen["to_render"]
    turns = stored_turns(second_app)
    assert all(key for *_, key in turns) and not any("unrendered" in t[2] for t in turns)


def test_turns_scanned_in_the_pool_give_the_findings_one_process_gives(app, second_app):
    from bench.chatgpt_export import chatgpt_conversation
    from bench.chatgpt_export import chatgpt_export as export_of

    def private(n: int) -> list[str]:
        return [f"Mail me at ada{n}@lovelace-analytical.org", "Call +44 20 7946 0958", "Sure."]

    data = export_of(
        *(chatgpt_conversation(n, turns=8) for n in range(55)),
        *(chatgpt_conversation(55 + n, texts=private(n), title=f"Private {n}") for n in range(3)),
    )
    assert POOL_FROM_TURNS < 55 * 8  # the private ones come after the pool has started
    app.config["IMPORT_RENDER_PROCESSES"] = 1
    second_app.config["IMPORT_RENDER_PROCESSES"] = 2
    reports, counts = [], []
    for each in (app, second_app):
        with each.app_context():
            # On PostgreSQL both apps share one database: the second import updates the first's.
            report = import_file(data, "conversations.json", None, on_duplicate="update")
            reports.append(report.warnings)
            counts.append(sorted(db.session.execute(select(Post.title, Post.findings)).all()))
    assert reports[0] == reports[1] and len(reports[1]) == 3
    assert "email address" in reports[1][0]
    assert counts[0] == counts[1] and ("Private 0", 2) in counts[1]


def test_conversations_past_the_scan_budget_do_not_pile_up_waiting(app):
    """Every turn counts toward a batch, scanned or not, rendered or found stored (as in a
    re-import): nothing waits long, holding its text and HTML."""
    from blog.posts.render_ahead import BATCH_TURNS, IN_FLIGHT, RenderAhead
    from blog.posts.render_pool import RenderPool

    with app.app_context():
        import_file(chatgpt_export(300, 5), "conversations.json", None)
        stored = db.session.execute(select(Turn.post_id, Turn.source, Turn.text_format)).all()
    by_post: dict[int, list[dict]] = {}
    for post_id, source, text_format in stored:
        by_post.setdefault(post_id, []).append({"source": source, "text_format": text_format})
    ready = []
    with app.app_context(), RenderPool(1) as pool:
        limits = render_limits()
        ahead = RenderAhead(
            pool, db.session.connection(), limits, float("inf"), lambda item, _: ready.append(item)
        )
        for post_id, rows in by_post.items():
            ahead.add(post_id, rows, scan=None)
        waiting_at_most = (BATCH_TURNS // 10 + 1) * (1 + IN_FLIGHT)
        before_finish = len(ready)
        ahead.finish()
    assert ready == list(by_post) and len(ready) == 300
    assert before_finish >= 300 - waiting_at_most
    assert all(row["render_key"] for rows in by_post.values() for row in rows)


def test_a_large_reimport_over_its_drafts_renders_nothing(second_app):
    second_app.config["IMPORT_RENDER_PROCESSES"] = 2
    data = chatgpt_export(60, 8)  # 960 turns: the pool renders while the file is read
    with second_app.app_context():
        import_file(data, "conversations.json", None)
        before = RenderCount.turns
        report = import_file(data, "conversations.json", None, on_duplicate="update")
    assert len(report.updated) == 60 and RenderCount.turns == before
    turns = stored_turns(second_app)
    assert len(turns) == 960 and all(key for *_, key in turns)


def test_pool_processes_give_way_to_the_process_that_feeds_them():
    import os

    from blog.posts.render_pool import RENDER_NICENESS, RenderPool

    ours = os.getpriority(os.PRIO_PROCESS, 0)
    with RenderPool(2) as pool:
        theirs = pool.executor.submit(os.getpriority, os.PRIO_PROCESS, 0).result()
    assert theirs == min(19, ours + RENDER_NICENESS)


ABANDONED_POOL = """
import os
from blog.posts.render_pool import RenderPool

if __name__ == "__main__":
    pool = RenderPool(2).__enter__()
    pool.executor.submit(os.getpid).result()
    print(" ".join(str(pid) for pid in pool.executor._processes), flush=True)
    os._exit(0)  # as a killed worker would: the pool is never shut down
"""


def test_pool_processes_end_when_the_process_that_started_them_dies(tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "abandon.py"
    script.write_text(ABANDONED_POOL)
    # The pool's processes share this output pipe: it reaches its end only once they have all
    # ended too (an orphaned pool kept it open for ever, and this timed out).
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"PYTHONPATH": os.getcwd()},
        check=True,
    )
    assert done.stdout.split()  # the pool had started its processes


def test_rendered_ahead_a_text_the_site_has_rendered_before_is_taken_from_it(second_app):
    second_app.config["IMPORT_RENDER_PROCESSES"] = 2
    with second_app.app_context():
        import_file(chatgpt_export(60, 8), "first.json", None)
        before = RenderCount.turns
        # Other conversations, each the same 8 exchanges and one more: only those are new.
        import_file(chatgpt_export(60, 9, prefix="other"), "second.json", None)
        assert RenderCount.turns - before == 60 * 2
    turns = stored_turns(second_app)
    assert len(turns) == 60 * 16 + 60 * 18 and all(key for *_, key in turns)
