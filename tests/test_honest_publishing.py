"""Review gate, provenance, excerpts, visibility, attribution, and the privacy scan at publish."""

from __future__ import annotations

import json
import random
import re
import string

from blog import posts as content
from blog.extensions import db
from blog.models import Post, Turn
from blog.privacy import open_findings

CARD = "4111 1111 1111 1111"
EMAIL = "jane.doe@realmail.org"


def fake_openai_key() -> str:
    rng = random.Random(7)
    return "sk-proj-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(48))


def public_responses(client, slug: str) -> dict[str, str]:
    """Every public surface a reader, a crawler or a feed reader can fetch."""
    paths = [
        "/", f"/posts/{slug}", f"/posts/{slug}.md", f"/posts/{slug}.json", "/feed.xml",
        "/atom.xml", "/sitemap.xml", "/archive",
    ]  # fmt: skip
    return {path: client.get(path).get_data(as_text=True) for path in paths}


def get_post(app, post_id) -> Post:
    return db.session.get(Post, post_id)


def test_unreviewed_ai_turn_blocks_publishing_in_editor_and_cli(app, author, runner, make_post):
    post_id = make_post(turns=[("user", "q"), ("assistant", "an answer")])
    with app.app_context():
        db.session.execute(db.update(Turn).where(Turn.role == "assistant").values(reviewed=False))
        db.session.commit()
        slug = get_post(app, post_id).slug
    page = author.post(
        f"/studio/posts/{post_id}/publish",
        {"confirm_policies": "1", "confirm_privacy": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "1 AI turn not yet reviewed" in page
    cli = runner.invoke(args=["publish", slug, "--yes"])
    assert cli.exit_code == 1 and "not yet reviewed" in cli.output and "--reviewed" in cli.output
    with app.app_context():
        assert get_post(app, post_id).status == "draft"
    assert runner.invoke(args=["publish", slug, "--yes", "--reviewed"]).exit_code == 0
    with app.app_context():
        assert get_post(app, post_id).status == "published"


def test_review_all_is_deliberate(app, author, make_post):
    post_id = make_post(turns=[("user", "q"), ("assistant", "a"), ("assistant", "b")])
    with app.app_context():
        db.session.execute(db.update(Turn).where(Turn.role == "assistant").values(reviewed=False))
        db.session.commit()
    author.post(f"/studio/posts/{post_id}/review-all", {})
    with app.app_context():
        assert content.unreviewed_turns(get_post(app, post_id))
    response = author.post(
        f"/studio/posts/{post_id}/review-all", {"confirm": "yes"}, follow_redirects=True
    )
    assert "Marked 2 AI turns as reviewed" in response.get_data(as_text=True)
    with app.app_context():
        assert not content.unreviewed_turns(get_post(app, post_id))


def test_secrets_are_flagged_refused_redacted_and_never_public(
    app, author, client, runner, tmp_path
):
    key = fake_openai_key()
    source = tmp_path / "leaky.md"
    source.write_text(
        "---\ntitle: Leaky chat\n---\nMy key is " + key + " and mail me at " + EMAIL + "\n\n"
        "> Sure. Your card " + CARD + " was noted.\n"
    )
    imported = runner.invoke(args=["import", str(source)])
    assert imported.exit_code == 0 and "check" in imported.output
    with app.app_context():
        post = db.session.scalar(db.select(Post))
        post_id, slug = post.id, post.slug
        kinds = {f.finding.kind for f in open_findings(post)}
    assert {"openai_key", "email", "card"} <= kinds

    editor = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    assert editor.count('class="finding__match"') >= 3
    author.post(f"/studio/posts/{post_id}/review-all", {"confirm": "yes"})
    refused = author.post(
        f"/studio/posts/{post_id}/publish",
        {"confirm_policies": "1", "confirm_privacy": "1"},
        follow_redirects=True,
    )
    assert "privacy finding" in refused.get_data(as_text=True)
    assert "still open (" in refused.get_data(as_text=True)
    cli = runner.invoke(args=["publish", slug, "--yes"])
    assert cli.exit_code == 1 and "OpenAI API key" in cli.output and key not in cli.output

    with app.app_context():
        for found in open_findings(get_post(app, post_id)):
            author.post(
                f"/studio/posts/{post_id}/findings/redact",
                {"turn": found.turn.id, "fingerprint": found.finding.fingerprint},
            )
        assert open_findings(get_post(app, post_id)) == []
    published = author.post(
        f"/studio/posts/{post_id}/publish", {"confirm_policies": "1", "confirm_privacy": "1"}
    )
    assert published.status_code == 303
    for path, body in public_responses(client, slug).items():
        for secret in (key, EMAIL, CARD, CARD.replace(" ", "")):
            assert secret not in body, (path, secret)
    assert "redacted]" in client.get(f"/posts/{slug}").get_data(as_text=True)


def test_dismissed_finding_needs_a_reason_and_stops_blocking(app, author, make_post):
    post_id = make_post(
        turns=[("user", "Write to support@colloquy-help.org please"), ("assistant", "ok")]
    )
    with app.app_context():
        found = open_findings(get_post(app, post_id))[0]
        fingerprint, kind = found.finding.fingerprint, found.finding.kind
    author.post(
        f"/studio/posts/{post_id}/findings/dismiss",
        {"fingerprint": fingerprint, "kind": kind, "reason": ""},
    )
    with app.app_context():
        assert open_findings(get_post(app, post_id))
    author.post(
        f"/studio/posts/{post_id}/findings/dismiss",
        {"fingerprint": fingerprint, "kind": kind, "reason": "a public support address"},
    )
    with app.app_context():
        assert open_findings(get_post(app, post_id)) == []


def test_left_out_turn_is_absent_from_every_public_response(
    app, author, client, make_post, tmp_path, runner
):
    post_id = make_post(
        "Excerpted",
        [
            ("user", "visible question"),
            ("assistant", "zebracorn secret musings"),
            ("user", "last visible"),
        ],
    )
    with app.app_context():
        hidden = get_post(app, post_id).turns[1].id
    author.post(f"/studio/posts/{post_id}/turns/{hidden}/exclude", {"excluded": "1"})
    with app.app_context():
        post = get_post(app, post_id)
        content.publish(post, confirmed=True, mark_reviewed=True)
        slug = post.slug
    responses = public_responses(client, slug)
    responses["search"] = client.get("/search?q=zebracorn").get_data(as_text=True)
    for path, body in responses.items():
        assert "zebracorn" not in body or path == "search" and 'class="result"' not in body, path
    page = responses[f"/posts/{slug}"]
    assert "1 turn omitted" in page
    assert "Excerpt" in page
    runner.invoke(args=["export", "--static", str(tmp_path / "site")])
    for file in (tmp_path / "site").rglob("*"):
        if file.is_file() and file.suffix in {".html", ".xml", ".md", ".json"}:
            assert "zebracorn" not in file.read_text(errors="ignore"), file


def test_editing_an_ai_turn_marks_it_and_changes_how_it_was_made(app, author, client, make_post):
    post_id = make_post(turns=[("user", "q"), ("assistant", "original answer")], publish=True)
    with app.app_context():
        slug = get_post(app, post_id).slug
        ai_turn = get_post(app, post_id).turns[1]
        ai_id, version = ai_turn.id, ai_turn.version
    before = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Verbatim transcript" in before and "edited by the author" not in before
    author.post(
        f"/studio/posts/{post_id}/turns/{ai_id}", {"source": "improved answer", "version": version}
    )
    staged = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "Verbatim transcript" in staged and "improved answer" not in staged
    author.post(
        f"/studio/posts/{post_id}/publish",
        {"confirm_policies": "1", "confirm_privacy": "1", "status": "published"},
    )
    after = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "edited by the author" in after
    assert "Edited transcript" in after
    diff = author.get(f"/studio/posts/{post_id}/turns/{ai_id}/diff").get_data(as_text=True)
    assert "-original answer" in diff and "+improved answer" in diff


def test_unlisted_post_is_reachable_only_by_link(app, client, make_post):
    post_id = make_post(
        "Quiet one",
        [("user", "qqq unlistedword"), ("assistant", "a")],
        publish=True,
        status="unlisted",
    )
    with app.app_context():
        slug = get_post(app, post_id).slug
    page = client.get(f"/posts/{slug}")
    assert page.status_code == 200 and 'name="robots" content="noindex' in page.get_data(
        as_text=True
    )
    for path in ["/", "/feed.xml", "/atom.xml", "/sitemap.xml", "/archive"]:
        assert "Quiet one" not in client.get(path).get_data(as_text=True), path
    assert 'class="result"' not in client.get("/search?q=unlistedword").get_data(as_text=True)


def test_attribution_license_and_json_ld(app, client, make_post):
    post_id = make_post(publish=True, model_name="GPT-4o", license="cc-by-sa-4.0")
    with app.app_context():
        slug = get_post(app, post_id).slug
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert (
        'rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0' in page
    )
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    )
    assert data["author"]["name"] == "Alice Author"
    assert data["contributor"]["name"] == "GPT-4o" and "GPT-4o" not in json.dumps(data["author"])
    assert data["license"].endswith("/by-sa/4.0/")
    assert re.search(r'<meta property="og:description" content="[^"]*AI[^"]*GPT-4o', page)
    index = client.get("/").get_data(as_text=True)
    assert 'class="ai-mark"' in index


def test_checklist_confirmation_is_recorded(app, make_post):
    post_id = make_post(publish=True)
    with app.app_context():
        assert get_post(app, post_id).checklist_confirmed_at is not None
