"""The studio dashboard: filters, search, sort, pages, bulk actions with confirmation, and a
bounded number of SQL statements at any number of posts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from blog import posts
from blog.extensions import db
from blog.models import Post, Series, Tag, Turn
from blog.scan import scan_text
from tests.test_architecture import WRITES, statements

HTMX = {"HX-Request": "true", "HX-Target": "post-list"}


def listed_titles(response) -> list[str]:
    """The post titles of the list, in order."""
    return re.findall(
        r'<h2 class="post-card__title"><a href="/studio/posts/\d+"[^>]*>([^<]*)</a>',
        response.get_data(as_text=True),
    )


def seed(app, count: int, start: int = 0, **values) -> None:
    """`count` drafts of two turns each, written fast with Core inserts."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with app.app_context():
        rows = [
            {
                "slug": f"seeded-{n}",
                "title": f"Seeded conversation {n}",
                "status": "draft",
                "source_kind": "chatgpt",
                "model_name": "gpt-4o",
                "findings": 0,
                "created_at": base + timedelta(minutes=n),
                "updated_at": base + timedelta(minutes=n),
            }
            | values
            for n in range(start, start + count)
        ]
        ids = db.session.execute(insert(Post).returning(Post.id), rows).scalars().all()
        turn_rows = []
        for post_id in ids:
            for position, role in enumerate(("user", "assistant")):
                turn_rows.append(
                    {
                        "post_id": post_id,
                        "position": position,
                        "role": role,
                        "source": f"turn {position} of post {post_id}",
                        "text": f"turn {position} of post {post_id}",
                        "reviewed": role == "user",
                    }
                )
        db.session.execute(insert(Turn), turn_rows)
        db.session.commit()


def test_filters_by_status_source_model_tag_review_and_findings(app, author, make_post):
    make_post("Plain draft", [("user", "hello"), ("user", "again")])
    make_post("Needs review", [("user", "q"), ("assistant", "an answer")])
    make_post("Leaky", [("user", "write to bob.smith@gmail.com please")])
    make_post("Tagged one", [("user", "x")], tags="maths")
    make_post("Out there", publish=True)
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.title == "Plain draft"))
        posts.update_post(post, {"model_name": "claude-3"}, None)

    def titles(query: str) -> list[str]:
        return sorted(listed_titles(author.get("/studio/?" + query)))

    assert titles("status=published") == ["Out there"]
    assert "Out there" not in titles("status=draft")
    assert titles("model=claude-3") == ["Plain draft"]
    assert titles("tag=maths") == ["Tagged one"]
    assert titles("unreviewed=1") == ["Needs review"]
    assert titles("findings=1") == ["Leaky"]
    assert titles("source=editor&status=draft&unreviewed=1") == ["Needs review"]
    assert titles("source=chatgpt") == []
    page = author.get("/studio/").get_data(as_text=True)
    assert "1 finding" in page and "1 to review" in page


def test_search_reads_titles_and_the_text_of_turns_of_drafts(app, author, make_post):
    make_post("About monads", [("user", "plain words")])
    make_post("Other", [("user", "the word **Functor** appears here")])
    make_post("Percent", [("user", "100% sure")])
    assert listed_titles(author.get("/studio/?q=MONAD")) == ["About monads"]
    assert listed_titles(author.get("/studio/?q=functor")) == ["Other"]
    # LIKE's wildcards in the query are matched literally.
    assert listed_titles(author.get("/studio/?q=0%25 s")) == ["Percent"]
    assert listed_titles(author.get("/studio/?q=_")) == []


def test_sorts_by_title_dates_and_conversation_date(app, author):
    seed(app, 3)
    with app.app_context():
        for n, when in enumerate((datetime(2024, 5, 1), None, datetime(2023, 1, 1))):
            post = db.session.scalar(select(Post).where(Post.slug == f"seeded-{n}"))
            post.conversation_at = when
        db.session.commit()
    names = [f"Seeded conversation {n}" for n in range(3)]
    assert listed_titles(author.get("/studio/")) == names[::-1]  # last changed first
    assert listed_titles(author.get("/studio/?sort=created&order=asc")) == names
    assert listed_titles(author.get("/studio/?sort=title")) == names
    assert listed_titles(author.get("/studio/?sort=title&order=desc")) == names[::-1]
    # Posts with no conversation date come last either way.
    assert listed_titles(author.get("/studio/?sort=conversation")) == [names[0], names[2], names[1]]
    assert listed_titles(author.get("/studio/?sort=conversation&order=asc")) == [
        names[2],
        names[0],
        names[1],
    ]


def test_pages_of_fifty_and_out_of_range_pages_are_not_found(app, author):
    seed(app, 120)
    first = author.get("/studio/")
    assert len(listed_titles(first)) == 50 and "page 1 of 3" in first.get_data(as_text=True)
    assert 'href="/studio/?page=2"' in first.get_data(as_text=True)
    third = author.get("/studio/?page=3")
    assert len(listed_titles(third)) == 20
    all_titles = set()
    for number in (1, 2, 3):
        all_titles.update(listed_titles(author.get(f"/studio/?page={number}")))
    assert len(all_titles) == 120
    for bad in ("4", "0", "-1", "two", "99999999999999999999"):
        assert author.get(f"/studio/?page={bad}").status_code == 404, bad
    # Filters narrow the pages too: two pages of seeded posts past page 1 do not exist here.
    assert author.get("/studio/?q=conversation 11&page=2").status_code == 404


def test_htmx_gets_the_list_alone_and_the_page_varies_on_it(app, author, make_post):
    make_post("A draft")
    full = author.get("/studio/?status=draft")
    fragment = author.get("/studio/?status=draft", headers=HTMX)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<section id="post-list"')
    assert "A draft" in body
    assert fragment.headers["HX-Push-Url"] == "/studio/?status=draft"
    # The filter form works without JavaScript: a plain GET with the same parameters.
    assert 'method="get"' in full.get_data(as_text=True)


def test_bulk_delete_shows_what_will_happen_then_does_it(app, author, make_post):
    keep = make_post("Keep me")
    drop = [make_post("Drop one"), make_post("Drop two")]
    query = "&".join(f"post={i}" for i in drop)
    confirm = author.get(f"/studio/bulk?action=delete&{query}&back=/studio/%3Fstatus%3Ddraft")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "2 posts" in page and "Drop one" in page and "Drop two" in page
    assert "Keep me" not in page
    form = {"action": "delete", "post": drop, "back": "/studio/?status=draft"}
    assert author.post("/studio/bulk", form).status_code == 303  # not confirmed: nothing done
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Post.id))) == 3
    done = author.post("/studio/bulk", form | {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == "/studio/?status=draft"
    with app.app_context():
        assert db.session.scalars(select(Post.id)).all() == [keep]
        assert db.session.scalar(select(db.func.count(Turn.id))) == 2


def test_bulk_delete_of_published_posts_needs_the_extra_tick(app, author, make_post):
    live = make_post("Live", publish=True)
    draft = make_post("Draft")
    page = author.get(f"/studio/bulk?action=delete&post={live}&post={draft}").get_data(as_text=True)
    assert 'name="include_published"' in page and "published or unlisted" in page
    form = {"action": "delete", "post": [live, draft], "confirm": "yes"}
    author.post("/studio/bulk", form)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Post.id))) == 2
    author.post("/studio/bulk", form | {"include_published": "yes"})
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Post.id))) == 0
    assert author.client.get("/posts/live", base_url="https://blog.test").status_code == 404


def test_bulk_tag_and_series_through_confirmation(app, author, make_post):
    first = make_post("First", tags="old")
    second = make_post("Second")
    untouched = make_post("Untouched")
    page = author.get(
        f"/studio/bulk?action=tag&value=Maths&scope=page&page_ids={first},{second}"
    ).get_data(as_text=True)
    assert "Add the tag “Maths”: 2 posts" in page and "Untouched" not in page
    author.post(
        "/studio/bulk",
        {"action": "tag", "value": "Maths", "post": [first, second], "confirm": "yes"},
    )
    author.post(
        "/studio/bulk",
        {"action": "series", "value": "Learning", "post": [first, second], "confirm": "yes"},
    )
    with app.app_context():
        tagged = {p.title: sorted(t.name for t in p.tags) for p in db.session.scalars(select(Post))}
        assert tagged == {"First": ["Maths", "old"], "Second": ["Maths"], "Untouched": []}
        series = db.session.scalar(select(Series))
        parts = db.session.execute(
            select(Post.title, Post.series_position).where(Post.series_id == series.id)
        ).all()
        assert series.title == "Learning" and sorted(parts) == [("First", 1), ("Second", 2)]
        assert db.session.get(Post, untouched).series_id is None
        assert db.session.scalar(select(db.func.count(Tag.id))) == 2


def test_bulk_without_a_selection_or_name_says_so(app, author, make_post):
    post_id = make_post("One")
    nothing = author.get("/studio/bulk?action=delete")
    assert nothing.status_code == 303
    assert "Tick at least one post" in author.get("/studio/").get_data(as_text=True)
    unnamed = author.get(f"/studio/bulk?action=tag&post={post_id}&value=")
    assert unnamed.status_code == 303
    assert author.get(f"/studio/bulk?action=explode&post={post_id}").status_code == 400
    evil = author.get(f"/studio/bulk?action=delete&post={post_id}&back=//evil.example/")
    assert "//evil.example" not in evil.get_data(as_text=True)


def test_findings_count_follows_edits_and_dismissals(app, author, make_post):
    post_id = make_post("Leaky", [("user", "mail bob.smith@gmail.com")])
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.findings == 1
        posts.set_excluded(post.turns[0], True)
        assert db.session.get(Post, post_id).findings == 0
        posts.set_excluded(post.turns[0], False)
        assert db.session.get(Post, post_id).findings == 1
        found = scan_text(post.turns[0].source)[0]
    response = author.post(
        f"/studio/posts/{post_id}/findings/dismiss",
        {"fingerprint": found.fingerprint, "kind": found.kind, "reason": "a public address"},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Post, post_id).findings == 0


def test_the_dashboard_and_bulk_confirmations_write_nothing(app, author, make_post):
    post_id = make_post("A draft", [("user", "hello"), ("assistant", "there")])
    with statements(app) as seen:
        for path in (
            "/studio/",
            "/studio/?q=hello&status=draft&unreviewed=1&sort=title",
            f"/studio/bulk?action=delete&post={post_id}",
            "/studio/imports",
        ):
            assert author.get(path).status_code == 200, path
    assert [s for s in seen if WRITES.match(s)] == []


def test_statements_per_page_are_the_same_at_fifty_and_five_thousand_posts(app, author):
    queries = ("/studio/", "/studio/?q=conversation 4&status=draft&unreviewed=1&sort=title")

    def counts() -> list[int]:
        found = []
        for path in queries:
            with statements(app) as seen:
                assert author.get(path).status_code == 200
            found.append(len(seen))
        return found

    seed(app, 50)
    small = counts()
    seed(app, 4950, start=50)
    large = counts()
    assert small == large
    assert max(large) <= 12
