"""The import page: upload, choose, progress, duplicates, refusals, and the exports."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from blog.extensions import db
from blog.models import ImportJob, Post
from tests.conftest import FIXTURES, run_queued


def job_token(response) -> str:
    return re.search(r"/studio/import/([\w-]+)", response.headers["Location"]).group(1)


def finish(app, token: str) -> ImportJob:
    assert run_queued(app) >= 1
    with app.app_context():
        return db.session.scalar(db.select(ImportJob).where(ImportJob.token == token))


def upload(author, name: str, data: bytes):
    return author.post(
        "/studio/import/", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Post.id)))


def test_upload_lists_conversations_then_imports_the_chosen(app, author):
    data = (FIXTURES / "sharegpt_conversations.json").read_bytes()
    response = upload(author, "sharegpt.json", data)
    assert response.status_code == 303
    token = job_token(response)
    job = finish(app, token)
    assert job.status == "listed", job.message
    listing = json.loads(job.listing_json)
    assert len(listing) >= 2
    page = author.get(f"/studio/import/{token}").get_data(as_text=True)
    assert listing[0]["title"] in page and 'name="chosen"' in page

    chosen = listing[0]["key"]
    author.post(f"/studio/import/{token}", {"chosen": chosen, "on_duplicate": "skip"})
    job = finish(app, token)
    assert job.status == "done", job.message
    report = json.loads(job.report_json)
    assert len(report["created"]) == 1 and post_count(app) == 1
    with app.app_context():
        post = db.session.scalar(db.select(Post))
        assert post.status == "draft"


def test_reimport_is_offered_as_skip_or_update(app, author):
    data = (FIXTURES / "md_seed_layout.md").read_bytes()
    for expected_existing in (None, True):
        token = job_token(upload(author, "post.md", data))
        job = finish(app, token)
        item = json.loads(job.listing_json)[0]
        assert bool(item["existing"]) == bool(expected_existing)
        author.post(f"/studio/import/{token}", {"chosen": item["key"], "on_duplicate": "skip"})
        finish(app, token)
    assert post_count(app) == 1

    token = job_token(upload(author, "post.md", data))
    item = json.loads(finish(app, token).listing_json)[0]
    author.post(f"/studio/import/{token}", {"chosen": item["key"], "on_duplicate": "update"})
    report = json.loads(finish(app, token).report_json)
    assert len(report["updated"]) == 1 and post_count(app) == 1


def test_pasted_text_imports(app, author):
    text = (FIXTURES / "pasted_chatgpt.txt").read_text()
    token = job_token(author.post("/studio/import/", {"text": text}))
    job = finish(app, token)
    assert job.status == "listed", job.message
    assert json.loads(job.listing_json)[0]["turns"] >= 2


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("broken.json", b'[{"mapping": {"a": {"id": "a"', "JSON"),
        ("picture.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "PNG"),
        ("latin1.md", "caf\xe9 > r\xe9ponse".encode("latin-1"), "UTF-8"),
    ],
)
def test_bad_upload_is_refused_with_a_message_and_saves_nothing(app, author, name, data, words):
    token = job_token(upload(author, name, data))
    job = finish(app, token)
    assert job.status == "failed"
    assert words.lower() in job.message.lower()
    page = author.get(f"/studio/import/{token}").get_data(as_text=True)
    assert "Nothing from this file was saved" in page
    assert post_count(app) == 0


def test_oversized_upload_is_refused(app, author):
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = upload(author, "big.json", b"[" + b" " * 5000 + b"]")
    assert response.status_code == 400
    assert "limit" in response.get_data(as_text=True)


def test_zip_with_path_traversal_is_refused(app, author):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.md", "Hello\n\n> Hi")
    job = finish(app, job_token(upload(author, "evil.zip", buffer.getvalue())))
    assert job.status == "failed" and post_count(app) == 0


def test_progress_fragment_for_htmx(app, author):
    token = job_token(upload(author, "post.md", (FIXTURES / "md_seed_layout.md").read_bytes()))
    finish(app, token)
    fragment = author.get(f"/studio/import/{token}", headers={"HX-Request": "true"})
    assert fragment.headers.get("HX-Refresh") == "true"
    assert "<html" not in fragment.get_data(as_text=True)


def test_export_download_and_cli_exports(app, author, runner, make_post, tmp_path):
    make_post("Exported post", [("user", "question"), ("assistant", "answer")], publish=True)
    archive = zipfile.ZipFile(io.BytesIO(author.get("/studio/export.zip").data))
    names = archive.namelist()
    assert any(n.endswith(".md") for n in names) and any(n.endswith(".json") for n in names)

    result = runner.invoke(args=["export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "exported-post.md").read_text().count("> answer") == 1

    result = runner.invoke(args=["export", "--static", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "posts" / "exported-post" / "index.html").read_text()
    assert '<aside class="ai-disclosure"' in page and 'rel="license"' in page
    feed = (tmp_path / "site" / "feed.xml").read_text()
    assert "ai-disclosure" in feed
    assert (tmp_path / "site" / "static" / "style.css").exists()


def test_nul_characters_are_stored_as_replacement_characters(app, author, runner, tmp_path):
    source = tmp_path / "nul.json"
    source.write_text(
        '[{"conversations": [{"from": "human", "value": "hello\\u0000there"},'
        ' {"from": "gpt", "value": "reply\\u0000text"}]}]'
    )
    result = runner.invoke(args=["import", str(source)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        post = db.session.scalar(db.select(Post))
        assert "\x00" not in post.title + post.turns[0].source + post.turns[1].source
        assert "\ufffd" in post.turns[0].source


def test_uploads_are_private_and_failed_ones_are_deleted(app, author):
    folder = Path(app.instance_path) / "imports"
    before = set(folder.glob("*")) if folder.exists() else set()
    token = job_token(upload(author, "broken.json", b'{"not": "a conversation"'))
    job = finish(app, token)
    assert job.status == "failed"
    assert not Path(job.path).exists()
    assert set(folder.glob("*")) == before

    token = job_token(
        upload(author, "chat.json", (FIXTURES / "sharegpt_conversations.json").read_bytes())
    )
    with app.app_context():
        path = Path(db.session.scalar(db.select(ImportJob.path).where(ImportJob.token == token)))
    assert finish(app, token).status != "failed"
    assert path.stat().st_mode & 0o777 == 0o600


def test_what_the_reader_left_out_is_a_note_not_a_privacy_finding(app, author):
    item = {
        "conversations": [
            {"from": "human", "value": "What is in the recording?"},
            {"from": "gpt", "value": [{"type": "text", "text": "A bird."}, {"type": "audio"}]},
        ]
    }
    token = job_token(upload(author, "sharegpt.json", json.dumps([item]).encode()))
    listing = json.loads(finish(app, token).listing_json)
    author.post(f"/studio/import/{token}", {"chosen": listing[0]["key"], "on_duplicate": "skip"})
    assert finish(app, token).status == "done"

    page = author.get(f"/studio/import/{token}").get_data(as_text=True)

    note = 'of a kind this importer does not show ("audio") left out'
    assert "Read with notes" in page and note.replace('"', "&#34;") in page
    assert "Private data or secrets found" not in page


def test_the_report_leads_with_the_outcome_and_the_reasons_for_skips(app, author):
    data = (FIXTURES / "md_seed_layout.md").read_bytes()
    for _ in range(2):
        token = job_token(upload(author, "post.md", data))
        item = json.loads(finish(app, token).listing_json)[0]
        author.post(f"/studio/import/{token}", {"chosen": item["key"], "on_duplicate": "skip"})
        finish(app, token)
    page = author.get(f"/studio/import/{token}").get_data(as_text=True)
    report = page[page.index('class="panel import-report"') :]
    outcome = report[report.index("import-report__outcome") :]
    assert "<strong>0 new drafts</strong>" in outcome and "<strong>1 skipped</strong>" in outcome
    assert "(s)" not in report
    skipped = report.index("Skipped, and why")
    assert "already imported as" in report[skipped:]
    # The reasons come before the list of saved posts (none here).
    assert "import-report__posts" not in report[:skipped]


def test_the_saved_posts_come_a_page_at_a_time_after_the_outcome(app, author, tmp_path):
    from tests.servers import write_chatgpt_export

    data = write_chatgpt_export(tmp_path / "conversations.json", 120).read_bytes()
    token = job_token(upload(author, "conversations.json", data))
    keys = [item["key"] for item in json.loads(finish(app, token).listing_json)]
    author.post(f"/studio/import/{token}", {"chosen": keys, "on_duplicate": "skip"})
    finish(app, token)
    first = author.get(f"/studio/import/{token}").get_data(as_text=True)
    assert "The 120 posts saved (page 1 of 3)" in first
    assert first.index("import-report__outcome") < first.index("import-report__posts")
    listed = first[first.index('id="saved-posts"') :]
    assert listed.count("/studio/posts/") == 50 and 'rel="next"' in listed
    last = author.get(f"/studio/import/{token}?page=3").get_data(as_text=True)
    listed = last[last.index('id="saved-posts"') :]
    assert listed.count("/studio/posts/") == 20 and 'rel="next"' not in listed
    assert "(page 3 of 3)" in last
