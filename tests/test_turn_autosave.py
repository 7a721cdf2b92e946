"""The editor's hooks for keeping typed text across a reload (static/autosave.js, run in
tests/browser/test_authoring.py): the script under the strict CSP, and what it reads."""

from __future__ import annotations

import re

from blog.extensions import db
from blog.models import Post


def test_the_studio_loads_the_script_from_a_file_under_the_csp(app, author, make_post):
    post_id = make_post()
    page = author.get(f"/studio/posts/{post_id}")
    html = page.get_data(as_text=True)
    assert '<script src="/static/autosave.js" defer></script>' in html
    # Nothing inline: the policy runs scripts from this site's files only.
    inline = [s for s in re.findall(r"<script([^>]*)>", html) if "src=" not in s]
    assert inline == []
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    with author.get("/static/autosave.js") as script:
        assert script.status_code == 200 and "javascript" in script.content_type
        assert "localStorage" in script.get_data(as_text=True)


def test_the_open_editor_names_its_post_turn_and_version(app, author, make_post):
    post_id = make_post()
    with app.app_context():
        turn = db.session.get(Post, post_id).turns[1]
        turn_id, version = turn.id, turn.version
    fragment = author.get(
        f"/studio/posts/{post_id}/turns/{turn_id}/edit", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert f'id="t{turn_id}"' in fragment and f'data-turn-id="{turn_id}"' in fragment
    assert f'data-post-id="{post_id}"' in fragment
    assert f'<input type="hidden" name="version" value="{version}">' in fragment
    # A stale save still answers 409 with both texts: what a restored older text leads to.
    stale = author.post(
        f"/studio/posts/{post_id}/turns/{turn_id}",
        {"source": "Typed against an old version", "version": version - 1},
        headers={"HX-Request": "true"},
    )
    assert stale.status_code == 409
    assert "Typed against an old version" in stale.get_data(as_text=True)
