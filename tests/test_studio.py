"""The author's editor: sign-in, turns edited in place, publishing, CSRF."""

from __future__ import annotations

import re

import pytest

from blog.extensions import db
from blog.models import Post, Turn

HTMX = {"HX-Request": "true"}


def load(app, post_id):
    with app.app_context():
        post = db.session.get(Post, post_id)
        return post, [(t.id, t.role, t.source, t.version) for t in post.turns]


@pytest.mark.parametrize("path", ["/studio/", "/studio/posts/new", "/studio/settings"])
def test_studio_requires_sign_in(client, path):
    response = client.get(path, base_url="https://blog.test")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def studio_rules(app, method: str) -> list:
    return [
        r for r in app.url_map.iter_rules() if r.rule.startswith("/studio") and method in r.methods
    ]


def sample_path(rule, post_id: int) -> str:
    """The rule's path with the post's id and 1 for any other argument."""
    values = {name: post_id if name == "post_id" else 1 for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def test_every_studio_route_needs_sign_in_and_is_never_cached(app, client, author, make_post):
    post_id = make_post()
    anonymous = app.test_client()
    rules = studio_rules(app, "GET")
    assert len(rules) >= 15
    for rule in rules:
        path = sample_path(rule, post_id)
        refused = anonymous.get(path, base_url="https://blog.test")
        assert refused.status_code == 302 and "/login" in refused.headers["Location"], path
        response = author.get(path)
        assert response.headers["Cache-Control"] == "private, no-store", path
        assert "HX-Request" in response.headers["Vary"], path
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow", path
    for rule in studio_rules(app, "POST"):
        path = sample_path(rule, post_id)
        # Signed in, with a token: what the route answers (done, refused or not found) is
        # never kept by a cache.
        response = author.post(path, data={})
        assert response.headers["Cache-Control"] == "private, no-store", path


def test_login_next_never_leaves_the_site(client, owner):
    from tests.conftest import Author

    helper = Author(client)
    token = helper.token()
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "alice", "password": "correct horse battery staple", "csrf_token": token},
        base_url="https://blog.test",
    )
    assert response.headers["Location"] == "/studio/"
    token = helper.token()
    client.post(
        "/logout", data={"csrf_token": helper.token("/studio/")}, base_url="https://blog.test"
    )
    response = client.post(
        "/login?next=/studio/settings",
        data={
            "username": "alice",
            "password": "correct horse battery staple",
            "csrf_token": helper.token(),
        },
        base_url="https://blog.test",
    )
    assert response.headers["Location"] == "/studio/settings"
    assert token


def test_wrong_password_is_refused(client, owner):
    from tests.conftest import Author

    response = Author(client).login(password="not the password")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)


def test_create_post_and_edit_turn_in_place(app, author):
    response = author.post("/studio/posts/new", {"title": "My chat", "first_role": "user"})
    assert response.status_code == 303
    post_id = int(re.search(r"/studio/posts/(\d+)", response.headers["Location"]).group(1))
    _, turns = load(app, post_id)
    turn_id, _, _, version = turns[0]

    form = author.get(f"/studio/posts/{post_id}/turns/{turn_id}/edit", headers=HTMX)
    assert "<textarea" in form.get_data(as_text=True) and "<html" not in form.get_data(as_text=True)

    saved = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "What is **HTMX**?", "version": version},
        headers=HTMX,
    )
    assert saved.status_code == 200
    fragment = saved.get_data(as_text=True)
    assert "<strong>HTMX</strong>" in fragment and "<textarea" not in fragment

    cancelled = author.get(f"/studio/posts/{post_id}/turns/{turn_id}", headers=HTMX)
    assert "<strong>HTMX</strong>" in cancelled.get_data(as_text=True)


def test_plain_form_editing_works_without_javascript(app, author, make_post):
    post_id = make_post()
    _, turns = load(app, post_id)
    turn_id, _, _, version = turns[0]
    page = author.get(f"/studio/posts/{post_id}/turns/{turn_id}/edit")
    assert "<html" in page.get_data(as_text=True)
    response = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "Edited without JS", "version": version},
    )
    assert response.status_code == 303
    assert load(app, post_id)[1][0][2] == "Edited without JS"


def test_stale_turn_save_is_refused_and_shows_both_texts(app, author, make_post):
    post_id = make_post()
    _, turns = load(app, post_id)
    turn_id, _, _, version = turns[1]
    first = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "Tab one wins", "version": version},
        headers=HTMX,
    )
    assert first.status_code == 200
    second = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "Tab two text", "version": version},
        headers=HTMX,
    )
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert "Tab one wins" in body and "Tab two text" in body
    assert load(app, post_id)[1][1][2] == "Tab one wins"


def test_add_move_role_and_delete_turns(app, author, make_post):
    post_id = make_post(turns=[("user", "first"), ("assistant", "second")])
    _, turns = load(app, post_id)
    first_id = turns[0][0]
    author.post(f"/studio/posts/{post_id}/turns", {"after": first_id, "role": "note"}, headers=HTMX)
    roles = [t[1] for t in load(app, post_id)[1]]
    assert roles == ["user", "note", "assistant"]

    note_id = load(app, post_id)[1][1][0]
    author.post(
        f"/studio/posts/{post_id}/turns/{note_id}/move", {"direction": "down"}, headers=HTMX
    )
    assert [t[1] for t in load(app, post_id)[1]] == ["user", "assistant", "note"]

    author.post(f"/studio/posts/{post_id}/turns/{note_id}/role", {"role": "system"}, headers=HTMX)
    assert [t[1] for t in load(app, post_id)[1]] == ["user", "assistant", "system"]

    deleted = author.post(f"/studio/posts/{post_id}/turns/{note_id}/delete", headers=HTMX)
    assert 'id="turns"' not in deleted.get_data(as_text=True)
    assert [t[1] for t in load(app, post_id)[1]] == ["user", "assistant"]


def test_publish_needs_review_and_checklist(app, author, client, make_post):
    post_id = make_post(turns=[("user", "q"), ("assistant", "unreviewed answer")])
    with app.app_context():
        db.session.execute(db.update(Turn).where(Turn.post_id == post_id).values(reviewed=False))
        db.session.execute(db.update(Turn).where(Turn.role == "user").values(reviewed=True))
        db.session.commit()
    refused = author.post(
        f"/studio/posts/{post_id}/publish",
        {"confirm_policies": "1", "confirm_privacy": "1"},
        follow_redirects=True,
    )
    assert "not yet reviewed" in refused.get_data(as_text=True)
    assert load(app, post_id)[0].status == "draft"

    ai_turn = load(app, post_id)[1][1][0]
    author.post(f"/studio/posts/{post_id}/turns/{ai_turn}/review", {"reviewed": "1"})
    no_checklist = author.post(f"/studio/posts/{post_id}/publish", {}, follow_redirects=True)
    assert "checklist" in no_checklist.get_data(as_text=True)
    assert load(app, post_id)[0].status == "draft"

    author.post(
        f"/studio/posts/{post_id}/publish", {"confirm_policies": "1", "confirm_privacy": "1"}
    )
    post = load(app, post_id)[0]
    assert post.status == "published" and post.checklist_confirmed_at is not None
    assert client.get(f"/posts/{post.slug}").status_code == 200


def test_post_without_csrf_token_is_refused(app, author, make_post):
    post_id = make_post()
    _, turns = load(app, post_id)
    response = author.client.post(
        f"/studio/posts/{post_id}/turns/{turns[0][0]}",
        data={"source": "sneaky", "version": turns[0][3]},
        base_url="https://blog.test",
    )
    assert response.status_code in (302, 303, 400)
    assert load(app, post_id)[1][0][2] != "sneaky"


def test_htmx_request_with_header_token_is_accepted(app, author, make_post):
    post_id = make_post()
    _, turns = load(app, post_id)
    token = author.token("/studio/")
    response = author.client.post(
        f"/studio/posts/{post_id}/turns/{turns[0][0]}",
        data={"source": "via header", "version": turns[0][3]},
        headers={"HX-Request": "true", "X-CSRFToken": token},
        base_url="https://blog.test",
    )
    assert response.status_code == 200
    assert load(app, post_id)[1][0][2] == "via header"


def test_live_preview_renders_without_saving(author):
    response = author.post("/studio/preview", {"source": "# Heading\n\n<script>x</script>"})
    body = response.get_data(as_text=True)
    assert "<h1>Heading</h1>" in body and "<script>" not in body


def test_settings_change_disclosure_but_never_remove_it(app, author, client, make_post):
    post_id = make_post(publish=True)
    response = author.post(
        "/studio/settings",
        {
            "site_title": "My AI Notes",
            "author_name": "Alice",
            "default_license": "cc-by-4.0",
            "disclosure": "Made with {model}; {author} checked it.",
            "site_description": "",
        },
    )
    assert response.status_code == 303
    slug = load(app, post_id)[0].slug
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert "My AI Notes" in page and "checked it." in page
    removed = author.post("/studio/settings", {"disclosure": "No model here"})
    assert removed.status_code == 422
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    assert '<aside class="ai-disclosure"' in page


def test_first_run_setup_with_console_token(app, client, capsys):
    from tests.conftest import Author

    helper = Author(client)
    page = client.get("/setup", base_url="https://blog.test")
    assert page.status_code == 200
    token = re.search(r"setup token: (\S+)", capsys.readouterr().err).group(1)
    bad = client.post(
        "/setup",
        data={
            "token": "wrong",
            "username": "bob",
            "password": "a long password",
            "csrf_token": helper.token("/setup"),
        },
        base_url="https://blog.test",
    )
    assert bad.status_code == 400
    good = client.post(
        "/setup",
        data={
            "token": token,
            "username": "bob",
            "password": "a long password",
            "csrf_token": helper.token("/setup"),
        },
        base_url="https://blog.test",
    )
    assert good.status_code == 302
    assert client.get("/setup", base_url="https://blog.test").status_code == 404


def test_speaker_label_is_editable(app, author, client, make_post):
    post_id = make_post(publish=True)
    _, turns = load(app, post_id)
    turn_id, _, source, version = turns[1]
    author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": source, "version": version, "speaker": "ChatGPT (GPT-4)"},
        headers=HTMX,
    )
    slug = load(app, post_id)[0].slug
    author.post(
        f"/studio/posts/{post_id}/publish",
        {"confirm_policies": "1", "confirm_privacy": "1", "status": "published"},
    )
    assert "ChatGPT (GPT-4)" in client.get(f"/posts/{slug}").get_data(as_text=True)


def test_refused_changes_are_explained_and_nothing_is_saved(app, author, make_post):
    post_id = make_post("Keep me")
    page = author.post(
        f"/studio/posts/{post_id}",
        {"title": "Keep me", "license": "not-a-license"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Choose a license from the list." in page
    _, turns = load(app, post_id)
    htmx = author.post(
        f"/studio/posts/{post_id}/turns/{turns[0][0]}/role", {"role": "wizard"}, headers=HTMX
    )
    # The page reloads at the refused turn, where the flash explains why.
    target = f"/studio/posts/{post_id}#t{turns[0][0]}"
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == target
    assert load(app, post_id)[1][0][1] == "user"


def test_nul_characters_in_forms_are_stored_not_refused(app, author, make_post):
    post_id = make_post("Clean title")
    response = author.post(
        f"/studio/posts/{post_id}", {"title": "Odd\x00title", "summary": "a\x00b"}
    )
    assert response.status_code == 303
    assert author.post("/studio/settings", {"author_name": "Al\x00ice"}).status_code == 303
    post = load(app, post_id)[0]
    assert post.title == "Odd\ufffdtitle" and post.summary == "a\ufffdb"
