"""Smaller hardening: hidden tags, CSRF rotation, remember-me length, private draft assets,
huge numbers, the production host requirement and the disclosure wording."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blog import create_app
from blog import posts as content
from blog.disclosure import WordingError, check_wording, fill
from blog.extensions import db
from blog.models import Asset, User
from tests.conftest import Author

HTTPS = "https://blog.test"


def post_with_tag(app, owner, tag: str, status: str | None) -> int:
    with app.app_context():
        post = content.create_post(db.session.get(User, owner), f"About {tag}")
        content.save_turn(content.add_turn(post, "user"), "Hello?", None)
        content.update_post(post, {"tags": tag}, None)
        if status:
            content.publish(post, status=status, confirmed=True, mark_reviewed=True)
        return post.id


@pytest.mark.parametrize("status", [None, "unlisted"])
def test_tags_of_only_drafts_or_unlisted_posts_are_not_found(app, client, owner, status):
    post_with_tag(app, owner, "secret-plans", status)
    assert client.get("/tags/secret-plans", base_url=HTTPS).status_code == 404
    assert client.get("/tags/secret-plans/feed.xml", base_url=HTTPS).status_code == 404
    post_with_tag(app, owner, "secret-plans", "published")
    assert client.get("/tags/secret-plans", base_url=HTTPS).status_code == 200


def test_a_form_token_from_before_sign_out_fails_after_the_next_sign_in(app, client, owner):
    author = Author(client)
    author.login()
    old_token = author.token("/studio/")
    author.post("/logout")
    author.login()
    client.post("/logout", data={"csrf_token": old_token}, base_url=HTTPS)
    assert author.get("/studio/").status_code == 200  # the stale token signed nobody out


def test_remember_me_lasts_thirty_days_by_default(app):
    assert timedelta(seconds=app.config["REMEMBER_COOKIE_DURATION"]) == timedelta(days=30)


def test_a_drafts_assets_are_never_stored_by_caches(app, author, owner):
    post_id = post_with_tag(app, owner, "draft-only", None)
    with app.app_context():
        asset = Asset(post_id=post_id, name="a.png", mime_type="image/png", data=b"\x89PNG")
        db.session.add(asset)
        db.session.commit()
        url = f"/assets/{asset.token}/a.png"
    response = author.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "path",
    ["/?page=99999999999999999999", "/assets/99999999999999999999999/x.png",
     "/tags/x?page=10000000000000000000000"],
)  # fmt: skip
def test_huge_numbers_are_not_found_rather_than_errors(client, owner, path):
    assert client.get(path, base_url=HTTPS).status_code == 404


def test_huge_ids_in_studio_routes_are_not_found(app, author):
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule and "GET" in rule.methods and rule.rule.startswith("/studio"):
            path = rule.rule
            for argument in rule.arguments:
                value = "9" * 30 if f"<int:{argument}>" in path else "x"
                path = path.replace(f"<int:{argument}>", value).replace(f"<{argument}>", value)
            assert author.get(path).status_code == 404, path


def test_production_refuses_to_start_without_a_host(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_TRUSTED_HOSTS", raising=False)
    monkeypatch.delenv("FLASK_SITE_URL", raising=False)
    settings = {"SECRET_KEY": "p" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"}
    with pytest.raises(RuntimeError, match="TRUSTED_HOSTS"):
        create_app(settings)
    app = create_app({**settings, "SITE_URL": "https://blog.example.org"})
    assert app.config["TRUSTED_HOSTS"] == ["blog.example.org"]


def test_disclosure_wording_fills_only_the_named_fields():
    wording = "{author} and {model} ({kind}); {model.__class__.__init__} {0} {{braces}}"
    text = fill(wording, kind="verbatim", model="Model X", author="Ann")
    assert text == "Ann and Model X (verbatim); {model.__class__.__init__} {0} {{braces}}"
    with pytest.raises(WordingError):
        check_wording(wording)
