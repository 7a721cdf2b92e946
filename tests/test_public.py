"""The readers' side: pages, disclosure and license everywhere, drafts hidden, caching."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from blog import posts as content
from blog.extensions import db
from blog.models import Post

ATOM = "{http://www.w3.org/2005/Atom}"


def slug_of(app, post_id):
    with app.app_context():
        return db.session.get(Post, post_id).slug


def test_post_page_shows_turns_disclosure_and_license(app, client, make_post):
    post_id = make_post(
        "Pi vs Tau",
        [("user", "Is pi better?"), ("assistant", "Both work."), ("note", "I agree.")],
        publish=True,
        model_name="ChatGPT (GPT-4)",
    )
    page = client.get(f"/posts/{slug_of(app, post_id)}").get_data(as_text=True)
    assert 'id="turn-1" data-role="user"' in page
    assert 'id="turn-2" data-role="assistant"' in page
    assert 'id="turn-3" data-role="note"' in page
    assert '<aside class="ai-disclosure"' in page
    assert "ChatGPT (GPT-4)" in page
    assert 'rel="license" href="https://creativecommons.org/licenses/by-nc-sa/4.0/"' in page
    assert "Alice Author" in page


@pytest.mark.parametrize("path", ["/", "/archive", "/search?q=x", "/license", "/no-such-page"])
def test_every_public_page_has_disclosure_and_license(client, make_post, path):
    make_post(publish=True)
    page = client.get(path).get_data(as_text=True)
    assert '<aside class="ai-disclosure"' in page
    assert 'rel="license"' in page
    assert 'rel="alternate" type="application/rss+xml"' in page


def test_drafts_are_invisible_to_anonymous_readers(app, client, make_post):
    draft = make_post("Secret draft", [("user", "draftonlyword"), ("assistant", "reply")])
    slug = slug_of(app, draft)
    assert client.get(f"/posts/{slug}").status_code == 404
    assert client.get(f"/posts/{slug}.md").status_code == 404
    for path in ["/", "/feed.xml", "/atom.xml", "/sitemap.xml", "/archive"]:
        body = client.get(path).get_data(as_text=True)
        assert "Secret draft" not in body and "draftonlyword" not in body, path
    search = client.get("/search?q=draftonlyword").get_data(as_text=True)
    assert "Secret draft" not in search and 'class="result"' not in search


def test_index_is_newest_first_and_paginated(app, client, make_post):
    app.config["POSTS_PER_PAGE"] = 2
    for n in range(3):
        make_post(f"Post number {n}", publish=True)
    first = client.get("/").get_data(as_text=True)
    assert first.index("Post number 2") < first.index("Post number 1")
    assert "Post number 0" not in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Post number 0" in second
    assert client.get("/?page=9").status_code == 404


def test_a_card_counts_its_turns_in_words_that_agree(client, make_post):
    make_post("One turn", turns=[("user", "Only a prompt.")], publish=True)
    make_post("Two turns", publish=True)
    page = client.get("/").get_data(as_text=True)
    assert " 1 turn ·" in page and " 2 turns ·" in page and "1 turns" not in page


def test_rss_feed_parses_and_items_carry_disclosure_and_license(app, client, make_post):
    make_post("Feed me", [("user", "q"), ("assistant", "a <b>bold</b> & more")], publish=True)
    response = client.get("/feed.xml")
    assert response.mimetype == "application/rss+xml"
    root = ET.fromstring(response.data)
    item = root.find("channel/item")
    assert item.findtext("title") == "Feed me"
    content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert 'class="ai-disclosure"' in content and 'rel="license"' in content
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == "Alice Author"


def test_atom_feed_parses_and_names_the_author_not_the_model(app, client, make_post):
    make_post("Atom post", publish=True, model_name="Claude 3")
    root = ET.fromstring(client.get("/atom.xml").data)
    entry = root.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Alice Author"
    assert "Claude 3" not in entry.findtext(f"{ATOM}author/{ATOM}name")
    assert 'class="ai-disclosure"' in entry.findtext(f"{ATOM}content")
    assert entry.find(f"{ATOM}link[@rel='license']") is not None


def test_cached_page_answers_conditional_requests_and_is_invalidated(app, client, make_post):
    post_id = make_post("Cached", [("user", "one"), ("assistant", "first text")], publish=True)
    slug = slug_of(app, post_id)
    first = client.get(f"/posts/{slug}")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]
    assert client.get(f"/posts/{slug}", headers={"If-None-Match": etag}).status_code == 304
    with app.app_context():
        from blog import posts as content

        post = db.session.get(Post, post_id)
        content.save_turn(post.turns[1], "second text", None)
    staged = client.get(f"/posts/{slug}", headers={"If-None-Match": etag})
    # A staged edit changes nothing readers see: the cached page still validates.
    assert staged.status_code in (200, 304)
    assert "second text" not in staged.get_data(as_text=True)
    with app.app_context():
        content.publish(db.session.get(Post, post_id), confirmed=True)
    changed = client.get(f"/posts/{slug}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "second text" in changed.get_data(as_text=True)


def test_unpublished_post_disappears_at_once(app, client, make_post):
    post_id = make_post("Going away", publish=True)
    slug = slug_of(app, post_id)
    assert client.get(f"/posts/{slug}").status_code == 200
    assert "Going away" in client.get("/feed.xml").get_data(as_text=True)
    with app.app_context():
        from blog import posts as content

        content.unpublish(db.session.get(Post, post_id))
    assert client.get(f"/posts/{slug}").status_code == 404
    assert "Going away" not in client.get("/feed.xml").get_data(as_text=True)
    assert "Going away" not in client.get("/").get_data(as_text=True)


def test_old_slug_redirects_after_rename(app, client, make_post):
    post_id = make_post("First title", publish=True)
    old = slug_of(app, post_id)
    with app.app_context():
        from blog import posts as content

        content.update_post(db.session.get(Post, post_id), {"slug": "better-title"}, None)
    response = client.get(f"/posts/{old}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/posts/better-title")


def test_404_page_is_friendly(client):
    response = client.get("/posts/nothing-here")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_cached_pages_are_served_before_flask_and_keyed_by_host(app, client, make_post):
    from flask import request_started

    post_id = make_post("Fast page", publish=True)
    slug = slug_of(app, post_id)
    started = []

    def count(sender, **extra):
        started.append(sender)

    request_started.connect(count, app)
    try:
        first = client.get(f"/posts/{slug}")
        second = client.get(f"/posts/{slug}")
    finally:
        request_started.disconnect(count, app)
    assert first.data == second.data
    assert len(started) == 1  # the second answer never entered Flask
    assert second.headers["Content-Security-Policy"] and second.headers["ETag"]

    forged = client.get(f"/posts/{slug}", headers={"Host": "evil.example"})
    assert forged.status_code in (200, 400)
    assert "evil.example" not in client.get(f"/posts/{slug}").get_data(as_text=True)


def test_a_repeat_read_of_a_cached_page_asks_the_database_one_cheap_question(
    app, client, make_post
):
    from sqlalchemy import event

    from blog.caching import sqlite_reader

    post_id = make_post("Often read", publish=True)
    slug = slug_of(app, post_id)
    assert client.get(f"/posts/{slug}").status_code == 200  # rendered and stored
    with app.app_context():
        engine = db.engine
    orm: list[str] = []
    raw: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        orm.append(statement)

    sqlite = engine.dialect.name == "sqlite"
    # The test client answers on this thread, so this is the connection the cache asks.
    reader = sqlite_reader(engine.url.database).connection if sqlite else None
    event.listen(engine, "before_cursor_execute", record)
    if reader is not None:
        reader.set_trace_callback(raw.append)
    try:
        for _ in range(3):
            assert client.get(f"/posts/{slug}").status_code == 200
        quiet, quiet_orm = list(raw), list(orm)
        with app.app_context():
            content.unpublish(db.session.get(Post, post_id))
        raw.clear()
        gone = client.get(f"/posts/{slug}")
    finally:
        if reader is not None:
            reader.set_trace_callback(None)
        event.remove(engine, "before_cursor_execute", record)
    if sqlite:
        # Three hits while nothing changed: no table read at all, one look at the file each.
        assert quiet_orm == []
        assert quiet == ["PRAGMA data_version"] * 3
        # After a commit anywhere, the first look reads the counter again.
        assert raw[:2] == ["PRAGMA data_version", raw[1]] and "FROM settings" in raw[1]
    else:
        # PostgreSQL has no data_version: each hit reads the counter's two rows, nothing more.
        assert len(quiet_orm) == 3 and all("FROM settings" in s for s in quiet_orm)
        assert len(set(quiet_orm)) == 1
    assert gone.status_code == 404


def test_signed_in_author_gets_fresh_private_pages(app, author, make_post):
    post_id = make_post("Private view", publish=True)
    response = author.get(f"/posts/{slug_of(app, post_id)}")
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_an_unlisted_posts_tags_are_named_not_linked_to_a_missing_page(client, make_post):
    make_post("Quiet", publish=True, status="unlisted", tags="quietonly")
    page = client.get("/posts/quiet").get_data(as_text=True)
    assert "Tags: quietonly" in page
    assert 'href="/tags/quietonly"' not in page
    assert client.get("/tags/quietonly").status_code == 404
    make_post("Loud", publish=True, tags="loudtag")
    assert 'href="/tags/loudtag"' in client.get("/posts/loud").get_data(as_text=True)


def test_a_prompt_changed_since_the_import_is_marked_and_the_post_is_not_verbatim(
    app, client, make_post
):
    post_id = make_post("Changed prompt")
    with app.app_context():
        prompt = db.session.get(Post, post_id).turns[0]
        prompt.original_source = prompt.source  # as an import records it
        content.save_turn(prompt, "Hello, fixed?", None)
        content.publish(db.session.get(Post, post_id), confirmed=True, mark_reviewed=True)
    page = client.get("/posts/changed-prompt").get_data(as_text=True)
    assert page.count('<span class="turn__edited">edited by the author</span>') == 1
    assert "Verbatim" not in page
    assert "edited by the author" in client.get("/feed.xml").get_data(as_text=True)


@pytest.mark.parametrize(
    "kind, name",
    [("claude-code", "Claude Code"), ("ai-studio", "Google AI Studio"), ("odd", "odd")],
)
def test_the_source_is_named_as_readers_know_it(app, client, make_post, kind, name):
    post_id = make_post("From an app")
    with app.app_context():
        post = db.session.get(Post, post_id)
        post.source_kind = kind
        content.publish(post, confirmed=True, mark_reviewed=True)
    page = client.get(f"/posts/{slug_of(app, post_id)}").get_data(as_text=True)
    assert f"imported from {name}</dd>" in page
