"""Staged changes to published posts, revisions (kept, compared, restored), preview as a reader."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from blog import posts as content
from blog.extensions import db
from blog.models import Post, Revision, search_entries

CHECKLIST = {"confirm_policies": "1", "confirm_privacy": "1"}
CARD = "4111 1111 1111 1111"


def load(app, post_id):
    with app.app_context():
        post = db.session.get(Post, post_id)
        return post.slug, [(t.id, t.version) for t in post.turns]


@pytest.fixture
def published(app, make_post):
    """A public post tagged `alpha`, with one reviewed AI turn."""
    return make_post(
        "Old title",
        [("user", "A question?"), ("assistant", "Answer with oldword.")],
        publish=True,
        tags="alpha",
    )


def stage_edit(app, author, post_id):
    """As the author in the studio: a new title and tag, and a half-finished AI turn."""
    slug, turns = load(app, post_id)
    with app.app_context():
        version = db.session.get(Post, post_id).details_version
    author.post(
        f"/studio/posts/{post_id}",
        {"title": "New title", "slug": slug, "tags": "beta", "version": version},
    )
    turn_id, turn_version = turns[1]
    saved = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "Answer with newword (WORK IN PROGRESS).", "version": turn_version},
    )
    assert saved.status_code == 303
    return slug


def update(author, post_id, **extra):
    return author.post(
        f"/studio/posts/{post_id}/publish",
        CHECKLIST | {"status": "published"} | extra,
        follow_redirects=True,
    )


def reader_views(app, slug) -> dict[str, str]:
    """Every reader path, fetched by an anonymous reader with a client of their own."""
    reader = app.test_client()
    paths = {
        "page": f"/posts/{slug}",
        "index": "/",
        "archive": "/archive",
        "rss": "/feed.xml",
        "atom": "/atom.xml",
        "markdown": f"/posts/{slug}.md",
        "json": f"/posts/{slug}.json",
        "sitemap": "/sitemap.xml",
        "old search": "/search?q=oldword",
        "new search": "/search?q=newword",
        "title search": "/search?q=title",
        "alpha tag": "/tags/alpha",
        "alpha feed": "/tags/alpha/feed.xml",
    }
    views = {name: reader.get(path).get_data(as_text=True) for name, path in paths.items()}
    views["beta tag status"] = str(reader.get("/tags/beta").status_code)
    return views


def static_export(runner, directory) -> str:
    result = runner.invoke(args=["export", "--static", str(directory)])
    assert result.exit_code == 0, result.output
    return "\n".join(
        file.read_text(errors="ignore")
        for file in directory.rglob("*")
        if file.is_file() and file.suffix in {".html", ".xml", ".md", ".json"}
    )


def test_a_staged_edit_reaches_no_reader_path_until_update(
    app, author, runner, published, tmp_path
):
    slug = stage_edit(app, author, published)
    before = reader_views(app, slug)
    for name in ("page", "rss", "atom", "markdown", "json"):
        assert "oldword" in before[name], name
        assert "newword" not in before[name] and "WORK IN PROGRESS" not in before[name], name
    for name in ("page", "index", "archive", "rss", "atom"):
        assert "Old title" in before[name] and "New title" not in before[name], name
    assert 'class="result"' in before["old search"]
    assert 'class="result"' not in before["new search"]
    assert "Old title" in before["title search"] and "New title" not in before["title search"]
    assert "Old title" in before["alpha tag"] and "Old title" in before["alpha feed"]
    assert before["beta tag status"] == "404"
    assert "/tags/alpha" in before["sitemap"] and "/tags/beta" not in before["sitemap"]
    exported = static_export(runner, tmp_path / "before")
    assert "oldword" in exported and "newword" not in exported and "New title" not in exported

    done = update(author, published)
    assert "Updated: readers now see revision 2" in done.get_data(as_text=True)
    after = reader_views(app, slug)
    for name in ("page", "rss", "atom", "markdown", "json"):
        assert "newword" in after[name] and "oldword" not in after[name], name
    assert "New title" in after["page"] and "New title" in after["archive"]
    assert 'class="result"' in after["new search"]
    assert 'class="result"' not in after["old search"]
    assert "New title" in after["title search"]
    assert "/tags/beta" in after["sitemap"] and "/tags/alpha" not in after["sitemap"]
    assert after["beta tag status"] == "200"
    assert "Old title" not in after["alpha feed"]
    exported = static_export(runner, tmp_path / "after")
    assert "newword" in exported and "oldword" not in exported


def test_a_turn_action_refreshes_the_staged_notice(app, author, published):
    """htmx swaps only the changed turn: the notice and Update come with it, out of band."""
    _, turns = load(app, published)
    turn_id, turn_version = turns[1]
    saved = author.post(
        f"/studio/posts/{published}/turns/{turn_id}",
        {"source": "Answer with newword.", "version": str(turn_version)},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert 'id="staged" data-staged="yes" hx-swap-oob="true"' in saved
    assert ">Update</button>" in saved
    # A draft has no staged notice to refresh.
    with app.app_context():
        content.unpublish(db.session.get(Post, published))
    _, turns = load(app, published)
    turn_id, turn_version = turns[1]
    saved = author.post(
        f"/studio/posts/{published}/turns/{turn_id}",
        {"source": "Answer again.", "version": str(turn_version)},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert 'id="staged"' not in saved


def test_what_blocks_an_update_is_not_called_publishing(app, author, published):
    _, turns = load(app, published)
    turn_id, turn_version = turns[1]
    saved = author.post(
        f"/studio/posts/{published}/turns/{turn_id}",
        {"source": f"Pay with {CARD}.", "version": str(turn_version)},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "Before you can Update:" in saved
    assert "Before this post can be published" not in saved


def test_the_editor_tells_of_staged_changes(app, author, published):
    slug = stage_edit(app, author, published)
    editor = author.get(f"/studio/posts/{published}").get_data(as_text=True)
    assert 'data-staged="yes"' in editor and ">Update</button>" in editor
    assert f"/studio/posts/{published}/preview" in editor
    update(author, published)
    editor = author.get(f"/studio/posts/{published}").get_data(as_text=True)
    assert 'data-staged="no"' in editor
    # Pressing Update again with nothing staged keeps no empty revision.
    again = update(author, published).get_data(as_text=True)
    assert "Nothing to update" in again
    with app.app_context():
        assert db.session.scalar(select(func.count(Revision.id))) == 2
    assert "newword" in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)


def test_update_needs_the_checklist(app, author, published):
    slug = stage_edit(app, author, published)
    refused = author.post(
        f"/studio/posts/{published}/publish", {"status": "published"}, follow_redirects=True
    )
    assert "Not updated yet" in refused.get_data(as_text=True)
    assert "confirm the publishing checklist" in refused.get_data(as_text=True)
    assert "newword" not in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)


def test_update_is_blocked_by_an_unreviewed_ai_turn(app, author, published):
    slug, _ = load(app, published)
    author.post(f"/studio/posts/{published}/turns", {"role": "assistant"})
    _, turns = load(app, published)
    turn_id, version = turns[-1]
    author.post(
        f"/studio/posts/{published}/turns/{turn_id}",
        {"source": "An unread reply with newword.", "version": version},
    )
    refused = update(author, published).get_data(as_text=True)
    assert "not yet reviewed" in refused
    assert "newword" not in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)
    author.post(f"/studio/posts/{published}/turns/{turn_id}/review", {"reviewed": "1"})
    update(author, published)
    assert "newword" in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)


def test_update_is_blocked_by_a_privacy_finding(app, author, published):
    slug, turns = load(app, published)
    turn_id, version = turns[0]
    author.post(
        f"/studio/posts/{published}/turns/{turn_id}",
        {"source": f"My card is {CARD}, newword.", "version": version},
    )
    refused = update(author, published).get_data(as_text=True)
    assert "privacy finding" in refused and "still open (" in refused
    page = app.test_client().get(f"/posts/{slug}").get_data(as_text=True)
    assert CARD not in page and "newword" not in page


def test_revisions_are_kept_on_publish_update_and_unpublish(app, author, published):
    def revisions():
        with app.app_context():
            post = db.session.get(Post, published)
            return [
                (r.number, r.note) for r in content.revisions_of(post)
            ], post.published_revision_id

    assert revisions()[0] == [(1, "Published")]
    stage_edit(app, author, published)
    update(author, published, note="Fixed the answer")
    listed, pointer = revisions()
    assert listed == [(2, "Fixed the answer"), (1, "Published")] and pointer is not None
    author.post(f"/studio/posts/{published}/unpublish", {"confirm": "yes"})
    listed, pointer = revisions()
    assert len(listed) == 2 and pointer is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(search_entries)) == 0
    page = author.get(f"/studio/posts/{published}/revisions").get_data(as_text=True)
    assert "Fixed the answer" in page and "Restore revision 1" in page
    author.post(f"/studio/posts/{published}/delete", {"confirm": "yes"})
    with app.app_context():
        assert db.session.scalar(select(func.count(Revision.id))) == 0


def test_compare_shows_what_changed_between_revisions(app, author, published):
    stage_edit(app, author, published)
    with app.app_context():
        first = db.session.get(Post, published).published_revision_id
    staged = author.get(
        f"/studio/posts/{published}/revisions/compare?a={first}&b=working"
    ).get_data(as_text=True)
    assert "-Answer with oldword." in staged
    assert "+Answer with newword (WORK IN PROGRESS)." in staged
    assert "-Title: Old title" in staged and "+Title: New title" in staged
    update(author, published)
    with app.app_context():
        second = db.session.get(Post, published).published_revision_id
    page = author.get(f"/studio/posts/{published}/revisions/compare?a={first}&b={second}")
    assert 'class="diff-add">+Answer with newword' in page.get_data(as_text=True)
    assert author.get(f"/studio/posts/{published}/revisions/compare?a=999").status_code == 404


def test_restore_loads_a_revision_and_update_publishes_it(app, author, published):
    slug = stage_edit(app, author, published)
    update(author, published)
    with app.app_context():
        first = content.revisions_of(db.session.get(Post, published))[-1].id
    restored = author.post(
        f"/studio/posts/{published}/revisions/{first}/restore", follow_redirects=True
    )
    assert "Revision 1 is now your working copy" in restored.get_data(as_text=True)
    with app.app_context():
        post = db.session.get(Post, published)
        assert post.title == "Old title" and [t.name for t in post.tags] == ["alpha"]
        assert post.turns[1].source == "Answer with oldword."
        assert post.turns[1].html and "oldword" in post.turns[1].text
    reader = app.test_client()
    assert "newword" in reader.get(f"/posts/{slug}").get_data(as_text=True)
    update(author, published, note="Back to the first answer")
    page = reader.get(f"/posts/{slug}").get_data(as_text=True)
    assert "oldword" in page and "newword" not in page and "Old title" in page


def test_restore_keeps_each_turns_time(app, published):
    with app.app_context():
        post = db.session.get(Post, published)
        when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
        post.turns[0].created_at = when
        post.title = "With a time"
        db.session.commit()
        content.publish(post, confirmed=True, note="with a time")
        content.restore(post, content.revisions_of(post)[0])
        assert db.session.get(Post, published).turns[0].created_at == when


def test_restore_refuses_another_posts_revision(app, author, published, make_post):
    other = make_post("Other", publish=True)
    with app.app_context():
        foreign = db.session.get(Post, other).published_revision_id
    refused = author.post(f"/studio/posts/{published}/revisions/{foreign}/restore")
    assert refused.status_code == 404


def test_preview_shows_the_working_copy_to_the_author_only(app, author, client, published):
    slug = stage_edit(app, author, published)
    preview = author.get(f"/studio/posts/{published}/preview")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "newword" in page and "New title" in page
    assert 'name="robots" content="noindex, nofollow"' in page
    assert '<aside class="ai-disclosure"' in page and 'rel="license"' in page
    assert preview.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in preview.headers["X-Robots-Tag"]
    assert 'class="preview-banner"' in page
    # Anyone else is sent to sign in, and the page cache never keeps a studio page.
    anonymous = app.test_client().get(f"/studio/posts/{published}/preview")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert "newword" not in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)


def test_preview_of_a_draft_uses_the_public_template(app, author, make_post):
    draft = make_post("Unfinished", [("user", "Draftword here"), ("reasoning", "thinking")])
    page = author.get(f"/studio/posts/{draft}/preview").get_data(as_text=True)
    assert "Draftword" in page and '<details class="turn__fold' in page
    assert "publish it" in page
    slug, _ = load(app, draft)
    assert app.test_client().get(f"/posts/{slug}").status_code == 404


def test_cli_publish_performs_the_update_with_the_same_gates(app, runner, published):
    slug, _ = load(app, published)
    with app.app_context():
        post = db.session.get(Post, published)
        content.add_turn(post, "assistant", source="A CLI newword reply.")
    blocked = runner.invoke(args=["publish", slug, "--yes"])
    assert blocked.exit_code == 1 and "Not updated" in blocked.output
    assert "newword" not in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)
    done = runner.invoke(args=["publish", slug, "--yes", "--reviewed"])
    assert done.exit_code == 0 and "readers now see revision 2" in done.output
    assert "newword" in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)
    again = runner.invoke(args=["publish", slug, "--yes"])
    assert again.exit_code == 0 and "Nothing to update" in again.output


def test_rerender_refreshes_what_readers_see(app, runner, published):
    slug, _ = load(app, published)
    with app.app_context():
        revision = db.session.get(Post, published).published_revision
        data = json.loads(revision.data)
        data["turns"][1]["html"] = "<p>stale rendering</p>"
        revision.data = json.dumps(data)
        db.session.commit()
    assert "stale rendering" in app.test_client().get(f"/posts/{slug}").get_data(as_text=True)
    assert runner.invoke(args=["rerender"]).exit_code == 0
    page = app.test_client().get(f"/posts/{slug}").get_data(as_text=True)
    assert "stale rendering" not in page and "Answer with oldword." in page


def test_upgrade_gives_published_posts_their_first_revision(app):
    with app.app_context():
        downgrade(revision="0003_turn_plain_text")
        connection = db.session.connection()
        connection.execute(
            text(
                "INSERT INTO posts (id, slug, title, summary, status, source_kind, model_name, "
                "license, created_at, updated_at, published_at, how_made, series_position, "
                "version) VALUES (7, 'kept', 'Kept title', '', 'published', 'editor', '', '', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '', 0, 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO turns (post_id, position, role, speaker, model, source, html, text, "
                "words, alternatives_json, reviewed, excluded, version) VALUES "
                "(7, 0, 'user', '', '', 'Upgradeword here', '<p>Upgradeword here</p>', "
                "'Upgradeword here', 2, '[]', TRUE, FALSE, 1)"
            )
        )
        db.session.commit()
        upgrade()
        db.session.remove()
    reader = app.test_client()
    assert "Upgradeword here" in reader.get("/posts/kept").get_data(as_text=True)
    assert 'class="result"' in reader.get("/search?q=upgradeword").get_data(as_text=True)
    with app.app_context():
        revision = db.session.get(Post, 7).published_revision
        assert revision.number == 1 and revision.title == "Kept title"


def test_feeds_show_the_published_revision_time(app, author, published):
    reader = app.test_client()
    before = ET.fromstring(reader.get("/atom.xml").data)
    ns = "{http://www.w3.org/2005/Atom}"
    updated = before.find(f"{ns}entry/{ns}updated").text
    stage_edit(app, author, published)
    staged = ET.fromstring(reader.get("/atom.xml").data)
    assert staged.find(f"{ns}entry/{ns}updated").text == updated
