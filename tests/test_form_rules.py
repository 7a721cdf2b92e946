"""Every rule a studio or setup form states (required, a pattern, a length, a minimum) is also
checked by the server, with a message: a client that skips the browser's checks gets the reason,
and nothing is cut, rewritten or defaulted in silence."""

from __future__ import annotations

import re

import pytest

from blog.accounts import issue_setup_token
from blog.extensions import db
from blog.models import Post, Tag
from tests.conftest import TOKEN_PATTERN

HTTPS = "https://blog.test"


def messages(response) -> list[str]:
    return re.findall(r'class="flash flash--error"[^>]*>([^<]*)<', response.get_data(as_text=True))


def follow(author, response):
    assert response.status_code in (302, 303)
    return author.get(response.headers["Location"])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"token": ""}, "Paste the setup token printed on the server console."),
        ({"password": "short"}, "Use a password of at least 10 characters."),
        ({"username": ""}, "A user name of 1 to 80 characters is needed."),
    ],
)
def test_setup_says_which_rule_the_form_broke(app, fields, message):
    with app.app_context():
        token = issue_setup_token()
    client = app.test_client()
    page = client.get("/setup", base_url=HTTPS)
    csrf = TOKEN_PATTERN.search(page.get_data(as_text=True))
    form = {"token": token, "username": "alice", "password": "a long enough password"}
    form |= fields | {"csrf_token": csrf.group(1) or csrf.group(2)}
    response = client.post("/setup", data=form, base_url=HTTPS)
    assert response.status_code == 400
    assert messages(response) == [message]
    if "username" not in fields:
        assert 'value="alice"' in response.get_data(as_text=True)  # the name typed is kept


def test_a_new_post_needs_a_title_that_fits(app, author):
    blank = author.post("/studio/posts/new", {"title": "   "})
    assert blank.status_code == 422
    assert messages(blank) == ["Give the post a title."]
    long = follow(author, author.post("/studio/posts/new", {"title": "t" * 400}))
    assert messages(long) == ["A title is at most 300 characters; “" + "t" * 40 + "…” has 400."]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"slug": "Bad Slug!"},
            "A slug is lower-case letters, digits and hyphens: “Bad Slug!” is not one "
            "(“bad-slug” would be).",
        ),
        (
            {"series": "Shapes", "series_position": "-3"},
            "The part number in a series is a whole number, 0 or more.",
        ),
        (
            {"tags": "maths, " + "x" * 81},
            "A tag is at most 80 characters; “" + "x" * 40 + "…” has 81.",
        ),
        ({"model_name": "m" * 201}, "A model name is at most 200 characters"),
    ],
)
def test_the_details_form_refuses_what_its_rules_forbid(app, author, make_post, fields, message):
    post_id = make_post("Circles", status="draft")
    with app.app_context():
        post = db.session.get(Post, post_id)
        before = (post.slug, post.details_version)
    form = {"title": "Circles", "slug": before[0], "version": str(before[1])} | fields
    response = author.post(f"/studio/posts/{post_id}", form)
    assert response.status_code == 422
    assert messages(response)[0].startswith(message)
    # The author's typed values come back in the form, and nothing was saved.
    assert 'value="Circles"' in response.get_data(as_text=True)
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert (post.slug, post.details_version) == before
        assert post.tags == [] and post.series is None


def test_a_bulk_tag_longer_than_a_tag_is_refused(app, author, make_post):
    post_id = make_post("Circles", status="draft")
    response = author.post(
        "/studio/bulk",
        {"action": "tag", "value": "y" * 81, "post": str(post_id), "confirm": "yes"},
    )
    assert messages(follow(author, response)) == [
        "A tag is at most 80 characters; “" + "y" * 40 + "…” has 81."
    ]
    with app.app_context():
        assert db.session.scalars(db.select(Tag)).all() == []


@pytest.mark.parametrize("fields", [{"username": ""}, {"password": ""}, {"username": "  "}])
def test_sign_in_says_both_fields_are_needed(app, owner, client, fields):
    page = client.get("/login", base_url=HTTPS)
    csrf = TOKEN_PATTERN.search(page.get_data(as_text=True))
    form = {"username": "alice", "password": "wrong but present"} | fields
    response = client.post(
        "/login", data=form | {"csrf_token": csrf.group(1) or csrf.group(2)}, base_url=HTTPS
    )
    assert messages(response) == ["Enter your user name and your password."]
