"""Save details after turn actions on the same page: the typed values are saved, never lost."""

from __future__ import annotations

import re

import pytest

from blog.extensions import db
from blog.models import Post

HTMX = {"HX-Request": "true"}


def details_version(page: str) -> str:
    form = page[page.index('id="details-title"') :]
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def post_state(app, post_id):
    with app.app_context():
        post = db.session.get(Post, post_id)
        return post.title, [(t.id, t.role) for t in post.turns]


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
@pytest.mark.parametrize(
    "action, data",
    [
        ("review", {"reviewed": "1"}),
        ("review", {"reviewed": "1", "next": "1"}),
        ("exclude", {"excluded": "1"}),
        ("role", {"role": "note"}),
    ],
)
def test_save_details_after_a_turn_action_keeps_the_new_title(
    app, author, make_post, action, data, headers
):
    post_id = make_post("conversations.json")
    page = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    version = details_version(page)
    _, turns = post_state(app, post_id)
    assistant = next(turn_id for turn_id, role in turns if role == "assistant")
    done = author.post(f"/studio/posts/{post_id}/turns/{assistant}/{action}", data, headers)
    assert done.status_code in (200, 303), done.get_data(as_text=True)

    saved = author.post(
        f"/studio/posts/{post_id}", {"title": "What HTMX is for", "version": version}
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)
    assert post_state(app, post_id)[0] == "What HTMX is for"


def test_a_turn_edit_does_not_make_details_stale(app, author, make_post):
    post_id = make_post("Old title")
    version = details_version(author.get(f"/studio/posts/{post_id}").get_data(as_text=True))
    with app.app_context():
        turn = db.session.get(Post, post_id).turns[0]
        turn_id, turn_version = turn.id, turn.version
    edited = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "Hello again?", "version": turn_version},
        HTMX,
    )
    assert edited.status_code == 200
    saved = author.post(f"/studio/posts/{post_id}", {"title": "New title", "version": version})
    assert saved.status_code == 303
    assert post_state(app, post_id)[0] == "New title"


def test_a_real_conflict_keeps_every_typed_value_in_the_form(app, author, make_post):
    post_id = make_post("Old title")
    version = details_version(author.get(f"/studio/posts/{post_id}").get_data(as_text=True))
    # Another window saves the details first.
    first = author.post(f"/studio/posts/{post_id}", {"title": "Other tab", "version": version})
    assert first.status_code == 303

    refused = author.post(
        f"/studio/posts/{post_id}",
        {
            "title": "My careful title",
            "summary": "Typed & kept",
            "tags": "htmx, web",
            "version": version,
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "changed in another window" in page
    assert 'value="My careful title"' in page
    assert "Typed &amp; kept</textarea>" in page
    assert 'value="htmx, web"' in page
    # Nothing of the refused save reached the post; the page's version lets the author retry.
    assert post_state(app, post_id)[0] == "Other tab"
    retried = author.post(
        f"/studio/posts/{post_id}", {"title": "My careful title", "version": details_version(page)}
    )
    assert retried.status_code == 303
    assert post_state(app, post_id)[0] == "My careful title"


def test_a_refused_value_is_explained_and_the_form_keeps_the_rest(app, author, make_post):
    post_id = make_post("Old title")
    version = details_version(author.get(f"/studio/posts/{post_id}").get_data(as_text=True))
    refused = author.post(
        f"/studio/posts/{post_id}",
        {"title": "Kept title", "license": "not-a-license", "version": version},
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Choose a license from the list." in page
    assert 'value="Kept title"' in page
    assert post_state(app, post_id)[0] == "Old title"


def test_a_version_that_is_not_a_number_is_refused_not_a_server_error(author, make_post):
    post_id = make_post("Old title")
    refused = author.post(f"/studio/posts/{post_id}", {"title": "x", "version": "abc"})
    assert refused.status_code == 409


def test_unpublish_asks_first_and_is_undone_in_one_click(app, author, make_post, client):
    post_id = make_post("On the site", publish=True)
    with app.app_context():
        slug = db.session.get(Post, post_id).slug
    page = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    assert 'name="confirm" value="yes" required' in page[page.index("Unpublish…") :]

    unconfirmed = author.post(f"/studio/posts/{post_id}/unpublish", follow_redirects=True)
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert client.get(f"/posts/{slug}", base_url="https://blog.test").status_code == 200

    author.post(f"/studio/posts/{post_id}/unpublish", {"confirm": "yes"})
    assert client.get(f"/posts/{slug}", base_url="https://blog.test").status_code == 404
    editor = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    assert "Put it back on the site" in editor

    back = author.post(f"/studio/posts/{post_id}/restore-on-site", follow_redirects=True)
    assert "Back on the site: readers see revision 1 again." in back.get_data(as_text=True)
    reader = client.get(f"/posts/{slug}", base_url="https://blog.test")
    assert reader.status_code == 200 and "On the site" in reader.get_data(as_text=True)
    again = author.post(f"/studio/posts/{post_id}/restore-on-site", follow_redirects=True)
    assert "already on the site" in again.get_data(as_text=True)


def test_the_editor_header_says_a_published_post_has_staged_changes(app, author, make_post):
    post_id = make_post("On the site", publish=True)
    assert "Staged changes" not in author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    with app.app_context():
        turn = db.session.get(Post, post_id).turns[0]
        turn_id, version = turn.id, turn.version
    author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}", {"source": "Hello again?", "version": version}
    )
    page = author.get(f"/studio/posts/{post_id}").get_data(as_text=True)
    header = page[: page.index('id="details-title"')]
    assert "Staged changes</strong> — readers still see the published version" in header
    assert '<a href="#publish">Update</a>' in page
