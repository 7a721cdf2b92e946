"""Import batches: every import recorded, undone in one action (exactly its posts), and the CLI
commands over many posts."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from blog import posts
from blog.extensions import db
from blog.formats.detect import read_conversations
from blog.imports.files import import_file
from blog.models import ImportBatch, Post, Turn, User


def export(*conversations: tuple[str, str, str]) -> bytes:
    """A ChatGPT conversations.json of (id, title, question) conversations with one answer."""

    def node(key, parent, children, role, text):
        message = {
            "id": key,
            "author": {"role": role},
            "content": {"content_type": "text", "parts": [text]},
            "create_time": 1717000000,
            "metadata": {"model_slug": "gpt-4o"},
            "recipient": "all",
        }
        return {"id": key, "parent": parent, "children": children, "message": message}

    return json.dumps(
        [
            {
                "id": key,
                "title": title,
                "create_time": 1717000000,
                "update_time": 1717000100,
                "current_node": "a1",
                "mapping": {
                    "root": {"id": "root", "parent": None, "children": ["u1"], "message": None},
                    "u1": node("u1", "root", ["a1"], "user", question),
                    "a1": node("a1", "u1", [], "assistant", f"An answer to: {question}"),
                },
            }
            for key, title, question in conversations
        ]
    ).encode()


def run_import(app, owner, data: bytes, name: str, on_duplicate: str = "skip"):
    with app.app_context():
        return import_file(data, name, db.session.get(User, owner), on_duplicate=on_duplicate)


def titles(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Post.title)))


def test_every_import_records_its_batch_and_marks_the_posts_it_created(app, owner):
    first = run_import(app, owner, export(("c1", "One", "q1"), ("c2", "Two", "q2")), "a.json")
    again = run_import(
        app, owner, export(("c1", "One", "q1 changed"), ("c3", "Three", "q3")), "b.json", "update"
    )
    with app.app_context():
        batch = db.session.get(ImportBatch, first.batch_id)
        assert (batch.filename, batch.created_count, batch.updated_count) == ("a.json", 2, 0)
        later = db.session.get(ImportBatch, again.batch_id)
        assert (later.filename, later.created_count, later.updated_count) == ("b.json", 1, 1)
        by_title = {p.title: p.import_batch_id for p in db.session.scalars(select(Post))}
    # The post the second import updated still belongs to the import that created it.
    assert by_title == {"One": first.batch_id, "Two": first.batch_id, "Three": again.batch_id}


def test_undoing_a_batch_deletes_exactly_the_posts_it_created(app, owner, make_post):
    make_post("Written by hand")
    first = run_import(app, owner, export(("c1", "One", "q1"), ("c2", "Two", "q2")), "a.json")
    again = run_import(
        app, owner, export(("c1", "One", "q1 changed"), ("c3", "Three", "q3")), "b.json", "update"
    )
    with app.app_context():
        plan = posts.undo_plan(db.session.get(ImportBatch, again.batch_id))
        assert [p.title for p in plan.deleted] == ["Three"]
        assert [p.title for p in plan.kept] == ["One"]
        posts.undo_import(db.session.get(ImportBatch, again.batch_id))
        assert db.session.get(ImportBatch, again.batch_id).undone_at is not None
        turns_left = db.session.scalar(select(db.func.count(Turn.id)))
    assert titles(app) == ["One", "Two", "Written by hand"]
    assert turns_left == 6  # 2 per remaining post; the deleted post's turns went with it
    with app.app_context():
        one = db.session.scalar(select(Post).where(Post.title == "One"))
        assert "q1 changed" in one.turns[0].source  # the update is kept, not rolled back
        posts.undo_import(db.session.get(ImportBatch, first.batch_id))
    assert titles(app) == ["Written by hand"]


def test_undo_refuses_published_posts_without_the_extra_yes(app, owner):
    report = run_import(app, owner, export(("c1", "One", "q1"), ("c2", "Two", "q2")), "a.json")
    with app.app_context():
        post = db.session.get(Post, report.created[0].id)
        posts.publish(post, confirmed=True, mark_reviewed=True)
        batch = db.session.get(ImportBatch, report.batch_id)
        try:
            posts.undo_import(batch, option="tick the box")
        except posts.ContentError as exc:
            assert "tick the box" in str(exc) and post.slug in str(exc)
        else:
            raise AssertionError("a published post was deleted without the extra yes")
    assert titles(app) == ["One", "Two"]
    with app.app_context():
        posts.undo_import(db.session.get(ImportBatch, report.batch_id), include_published=True)
    assert titles(app) == []


def test_undo_on_the_web_confirms_then_deletes(app, author, owner):
    report = run_import(app, owner, export(("c1", "One", "q1"), ("c2", "Two", "q2")), "a.json")
    listing = author.get("/studio/imports").get_data(as_text=True)
    assert "a.json" in listing and f"/studio/imports/{report.batch_id}/undo" in listing
    confirm = author.get(f"/studio/imports/{report.batch_id}/undo")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "One" in page and "Two" in page and "2 posts" in page
    assert titles(app) == ["One", "Two"]  # showing the confirmation changed nothing
    unticked = author.post(f"/studio/imports/{report.batch_id}/undo", {})
    assert unticked.status_code == 303 and titles(app) == ["One", "Two"]
    done = author.post(f"/studio/imports/{report.batch_id}/undo", {"confirm": "yes"})
    assert done.status_code == 303 and titles(app) == []
    assert author.get("/studio/imports/999/undo").status_code == 404


def test_undo_needs_the_csrf_token(app, author, owner):
    report = run_import(app, owner, export(("c1", "One", "q1")), "a.json")
    response = author.client.post(
        f"/studio/imports/{report.batch_id}/undo",
        data={"confirm": "yes"},
        base_url="https://blog.test",
    )
    assert response.status_code == 400 and titles(app) == ["One"]


def test_cli_list_filters_by_status_and_batch(app, runner, owner, make_post):
    make_post("By hand", publish=True)
    report = run_import(app, owner, export(("c1", "One", "q1"), ("c2", "Two", "q2")), "a.json")
    everything = runner.invoke(args=["list"])
    assert everything.exit_code == 0
    lines = [line.split("\t") for line in everything.stdout.splitlines()]
    assert sorted(line[2] for line in lines) == ["By hand", "One", "Two"]
    assert {line[2]: (line[1], line[3]) for line in lines}["By hand"] == ("published", "2")
    drafts = runner.invoke(args=["list", "--status", "draft"]).stdout
    assert "One" in drafts and "By hand" not in drafts
    batch = runner.invoke(args=["list", "--batch", str(report.batch_id)]).stdout
    assert sorted(line.split("\t")[2] for line in batch.splitlines()) == ["One", "Two"]


def test_cli_delete_asks_unless_yes_and_names_the_option_for_published(app, runner, make_post):
    draft = make_post("A draft")
    live = make_post("Live", publish=True)
    with app.app_context():
        draft_slug, live_slug = (db.session.get(Post, i).slug for i in (draft, live))
    declined = runner.invoke(args=["delete", draft_slug], input="n\n")
    assert declined.exit_code == 1 and "--yes" in declined.output
    assert titles(app) == ["A draft", "Live"]
    refused = runner.invoke(args=["delete", draft_slug, live_slug, "--yes"])
    assert refused.exit_code == 1 and "--include-published" in refused.output
    assert titles(app) == ["A draft", "Live"]
    missing = runner.invoke(args=["delete", "no-such-post", "--yes"])
    assert missing.exit_code == 1 and "flask --app app list" in missing.output
    done = runner.invoke(args=["delete", draft_slug], input="y\n")
    assert done.exit_code == 0 and titles(app) == ["Live"]
    runner.invoke(args=["delete", live_slug, "--yes", "--include-published"])
    assert titles(app) == []


def test_cli_unpublish(app, runner, make_post):
    post_id = make_post("Live", publish=True)
    with app.app_context():
        slug = db.session.get(Post, post_id).slug
    result = runner.invoke(args=["unpublish", slug])
    assert result.exit_code == 0 and "draft again" in result.output
    with app.app_context():
        assert db.session.get(Post, post_id).status == "draft"
    assert "already a draft" in runner.invoke(args=["unpublish", slug]).output
    unknown = runner.invoke(args=["unpublish", "nope"])
    assert unknown.exit_code == 1 and "list --status published" in unknown.output


def test_cli_imports_and_undo_import(app, runner, owner, make_post, tmp_path):
    make_post("By hand")
    source = tmp_path / "conversations.json"
    source.write_bytes(export(("c1", "One", "q1"), ("c2", "Two", "q2")))
    assert runner.invoke(args=["import", str(source)]).exit_code == 0
    with app.app_context():
        batch_id = db.session.scalar(select(ImportBatch.id))
    listed = runner.invoke(args=["imports"]).output
    assert f"{batch_id}\t" in listed and "conversations.json" in listed and "created 2" in listed
    declined = runner.invoke(args=["undo-import", str(batch_id)], input="n\n")
    assert declined.exit_code == 1 and "--yes" in declined.output
    assert titles(app) == ["By hand", "One", "Two"]
    done = runner.invoke(args=["undo-import", str(batch_id), "--yes"])
    assert done.exit_code == 0 and "deleted 2" in done.output
    assert titles(app) == ["By hand"]
    assert "undone" in runner.invoke(args=["imports"]).output
    unknown = runner.invoke(args=["undo-import", "999", "--yes"])
    assert unknown.exit_code == 1 and "flask --app app imports" in unknown.output


def test_cli_undo_import_names_the_option_for_published_posts(app, runner, owner):
    report = run_import(app, owner, export(("c1", "One", "q1")), "a.json")
    with app.app_context():
        posts.publish(
            db.session.get(Post, report.created[0].id), confirmed=True, mark_reviewed=True
        )
    refused = runner.invoke(args=["undo-import", str(report.batch_id), "--yes"])
    assert refused.exit_code == 1 and "--include-published" in refused.output
    assert titles(app) == ["One"]
    done = runner.invoke(args=["undo-import", str(report.batch_id), "--yes", "--include-published"])
    assert done.exit_code == 0 and titles(app) == []


def test_an_import_from_the_web_page_records_its_batch_and_offers_its_undo(app, author):
    from tests.test_import_web import finish, job_token, upload

    token = job_token(upload(author, "mine.json", export(("c1", "One", "q1"), ("c2", "Two", "q2"))))
    assert finish(app, token).status == "listed"
    author.post(f"/studio/import/{token}", {"chosen": ["c1", "c2"], "on_duplicate": "skip"})
    job = finish(app, token)
    batch_id = json.loads(job.report_json)["batch"]
    with app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.filename, batch.created_count) == ("mine.json", 2)
    page = author.get(f"/studio/import/{token}").get_data(as_text=True)
    assert f"/studio/imports/{batch_id}/undo" in page and f"/studio/?batch={batch_id}" in page
    listed = author.get(f"/studio/?batch={batch_id}").get_data(as_text=True)
    assert "One" in listed and "Two" in listed and "2 posts" in listed


def test_imports_count_findings_and_say_when_no_scan_ran(app, author, owner):
    leaky = export(("c1", "Leaky", "mail bob.smith@gmail.com"), ("c2", "Clean", "hello"))
    run_import(app, owner, leaky, "a.json")
    with app.app_context():
        counts = dict(db.session.execute(select(Post.title, Post.findings)).all())
    assert counts == {"Leaky": 2, "Clean": 0}  # the answer repeats the address
    app.config["IMPORT_SCAN_MAX_TURNS"] = 0
    run_import(app, owner, export(("c3", "Unscanned", "write to ann.lee@gmail.com")), "b.json")
    with app.app_context():
        unscanned = db.session.scalar(select(Post).where(Post.title == "Unscanned"))
        assert unscanned is not None and unscanned.findings is None
    assert "not scanned" in author.get("/studio/?q=Unscanned").get_data(as_text=True)


def test_the_upgrade_counts_the_findings_of_existing_posts(app, make_post):
    from flask_migrate import downgrade, upgrade

    post_id = make_post(
        "Leaky", [("user", "mail bob.smith@gmail.com"), ("user", "+44 7700 900123")]
    )
    with app.app_context():
        downgrade(revision="0003_turn_plain_text")
        upgrade()
        assert db.session.get(Post, post_id).findings == 2


def test_the_report_counts_the_turns_a_reader_could_see_and_tells_the_hidden_apart(app, owner):
    data = (Path(__file__).parent / "fixtures" / "chatgpt_conversations.json").read_bytes()
    read = list(read_conversations(data, "conversations.json"))
    visible = sum(1 for c in read for t in c.turns if not t.hidden)
    assert visible < sum(len(c.turns) for c in read)  # the fixture has hidden material

    report = run_import(app, owner, data, "conversations.json")

    assert report.turns == visible
    assert report.hidden
    again = run_import(app, owner, data, "conversations.json")
    assert again.turns == 0 and len(again.skipped) == len(read)


def test_a_conversation_twice_in_one_file_is_saved_once_and_reported_once(app, owner):
    twice = export(("c1", "One", "q1"), ("c1", "One", "q1"), ("c2", "Two", "q2"))
    for on_duplicate in ("update", "skip"):
        with app.app_context():
            db.session.execute(db.delete(Post))
            db.session.commit()
        report = run_import(app, owner, twice, "twice.json", on_duplicate=on_duplicate)

        assert [p.title for p in report.created] == ["One", "Two"] and not report.updated
        assert len(report.skipped) == 1 and "again in this file" in report.skipped[0]
        assert report.turns == 4
        with app.app_context():
            batch = db.session.get(ImportBatch, report.batch_id)
            assert (batch.created_count, batch.updated_count, batch.skipped_count) == (2, 0, 1)
            assert batch.updated_ids == []
