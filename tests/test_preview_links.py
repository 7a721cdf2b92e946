"""Private preview links: a draft readable at an unguessable address until the author revokes it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from blog import posts as content
from blog.extensions import db
from blog.mirror import Mirror, build
from blog.models import Asset, Post, PreviewLink
from tests.conftest import app_settings
from tests.test_architecture import WRITES, statements

HTTPS = "https://blog.test"
BANNER = "Preview — not published."
LINK = re.compile(r"https://blog\.test/preview/([A-Za-z0-9_-]+)")


@pytest.fixture
def draft(make_post):
    return make_post(
        "A draft to share",
        [("user", "Is *this* ready?"), ("assistant", "Nearly: one more pass.")],
        model_name="GPT-4o",
    )


def make_link(app, post_id: int) -> str:
    with app.app_context():
        return content.create_preview_link(db.session.get(Post, post_id)).token


def test_a_link_is_unguessable_and_finds_its_post_until_revoked(app, draft, make_post):
    other = make_post("Another draft")
    with app.app_context():
        post = db.session.get(Post, draft)
        version = post.version
        first = content.create_preview_link(post)
        second = content.create_preview_link(post)
        assert len(first.token) >= 43 and first.token != second.token
        assert content.post_for_preview(first.token).id == draft
        assert content.post_for_preview("") is None
        assert content.post_for_preview(first.token[:-1]) is None
        # A link is no edit: the post's version (and its readers' caches) are left alone.
        assert db.session.get(Post, draft).version == version
        with pytest.raises(content.ContentError):
            content.revoke_preview_link(db.session.get(Post, other), first.id)
        content.revoke_preview_link(db.session.get(Post, draft), first.id)
        assert content.post_for_preview(first.token) is None
        assert content.post_for_preview(second.token).id == draft
        assert [link.id for link in content.preview_links(post)] == [second.id]


def test_deleting_the_post_deletes_its_links(app, draft):
    token = make_link(app, draft)
    with app.app_context():
        content.delete_post(db.session.get(Post, draft))
        assert content.post_for_preview(token) is None
        assert db.session.scalar(select(func.count()).select_from(PreviewLink)) == 0


def test_the_number_of_links_is_bounded(app, draft):
    with app.app_context():
        post = db.session.get(Post, draft)
        for _ in range(content.sharing.MAX_LINKS_PER_POST):
            content.create_preview_link(post)
        with pytest.raises(content.ContentError, match="revoke one first"):
            content.create_preview_link(post)


def test_anyone_with_the_link_reads_the_draft_as_a_reader_would(app, draft):
    token = make_link(app, draft)
    reader = app.test_client()
    page = reader.get(f"/preview/{token}", base_url=HTTPS)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert BANNER in html
    assert "<em>this</em>" in html and "Nearly: one more pass." in html
    assert 'class="ai-disclosure' in html and "GPT-4o" in html
    assert 'class="license' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # Nothing that leads a reader of the link into the studio or to addresses that 404.
    assert "/studio/" not in html and "Back to the editor" not in html
    assert 'rel="canonical"' not in html and ".md" not in html
    # The draft itself stays off the site.
    with app.app_context():
        slug = db.session.get(Post, draft).slug
    assert reader.get(f"/posts/{slug}", base_url=HTTPS).status_code == 404


def test_reading_a_link_writes_nothing(app, draft):
    token = make_link(app, draft)
    with statements(app) as seen:
        assert app.test_client().get(f"/preview/{token}", base_url=HTTPS).status_code == 200
    assert seen and [s for s in seen if WRITES.match(s)] == []


def test_a_published_posts_link_shows_the_staged_working_copy(app, author, make_post):
    post_id = make_post("Live post", [("user", "Q?"), ("assistant", "Old answer.")], publish=True)
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.save_turn(post.turns[1], "New answer, staged.", None)
        slug = post.slug
    token = make_link(app, post_id)
    reader = app.test_client()
    shared = reader.get(f"/preview/{token}", base_url=HTTPS).get_data(as_text=True)
    public = reader.get(f"/posts/{slug}", base_url=HTTPS).get_data(as_text=True)
    assert "New answer, staged." in shared and "changes to this post" in shared
    assert "Old answer." in public and "New answer" not in public


def test_the_author_makes_and_revokes_a_link_in_the_publish_panel(app, author, draft):
    editor = author.get(f"/studio/posts/{draft}").get_data(as_text=True)
    assert "Make a preview link" in editor
    made = author.post(f"/studio/posts/{draft}/preview-links", follow_redirects=True)
    html = made.get_data(as_text=True)
    assert "Preview link made" in html
    token = LINK.search(html).group(1)
    reader = app.test_client()
    assert reader.get(f"/preview/{token}", base_url=HTTPS).status_code == 200

    with app.app_context():
        link_id = db.session.scalar(select(PreviewLink.id).where(PreviewLink.token == token))
    # htmx gets the links fragment back, with the link gone.
    revoked = author.post(
        f"/studio/posts/{draft}/preview-links/{link_id}/revoke", headers={"HX-Request": "true"}
    )
    assert revoked.status_code == 200
    assert "revoked" in revoked.get_data(as_text=True) and token not in revoked.get_data(
        as_text=True
    )
    gone = reader.get(f"/preview/{token}", base_url=HTTPS)
    assert gone.status_code == 404
    assert gone.headers["Cache-Control"] == "private, no-store"
    # Revoking twice, or another post's link, is refused with a message, not a traceback.
    again = author.post(f"/studio/posts/{draft}/preview-links/{link_id}/revoke")
    assert again.status_code == 303


def test_links_are_made_and_revoked_only_by_the_signed_in_author(app, client, owner, draft):
    token = make_link(app, draft)
    with app.app_context():
        link_id = db.session.scalar(select(PreviewLink.id))
    for path in (
        f"/studio/posts/{draft}/preview-links",
        f"/studio/posts/{draft}/preview-links/{link_id}/revoke",
    ):
        response = client.post(path, base_url=HTTPS)
        assert response.status_code in (302, 400)
    assert client.get(f"/preview/{token}", base_url=HTTPS).status_code == 200


def test_the_page_cache_never_keeps_a_preview(app, draft):
    token = make_link(app, draft)
    for _ in range(2):  # a second read would be the cached one
        assert app.test_client().get(f"/preview/{token}", base_url=HTTPS).status_code == 200
    with app.app_context():
        content.revoke_preview_link(
            db.session.get(Post, draft), db.session.scalar(select(PreviewLink.id))
        )
    assert app.test_client().get(f"/preview/{token}", base_url=HTTPS).status_code == 404


def test_the_static_mirror_never_writes_a_preview(tmp_path, make_post):
    from flask_migrate import upgrade

    from blog import create_app

    mirror = tmp_path / "mirror"
    app = create_app(app_settings(tmp_path, STATIC_MIRROR_DIR=str(mirror), SITE_URL=HTTPS))
    with app.app_context():
        upgrade()
        post = content.create_post(None, "Mirrored draft")
        content.add_turn(post, "user", source="Shared, not published?")
        token = content.create_preview_link(post).token
    try:
        build(app, mirror)
        Mirror(app, mirror).page(f"/preview/{token}")
        written = [p.relative_to(mirror).as_posix() for p in mirror.rglob("*") if p.is_file()]
        assert written and not [p for p in written if "preview" in p or token in p]
        assert app.test_client().get(f"/preview/{token}", base_url=HTTPS).status_code == 200
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def with_image(app, post_id: int, name: str = "chart.png") -> tuple[str, str]:
    """A PNG kept with the post and shown by a new turn of it; its token and file name."""
    with app.app_context():
        post = db.session.get(Post, post_id)
        asset = Asset(post_id=post.id, name=name, mime_type="image/png", data=PNG)
        db.session.add(asset)
        db.session.commit()
        turn = content.add_turn(post, "user")
        content.save_turn(turn, f"![a chart](/assets/{asset.token}/{name})", None)
        return asset.token, name


def test_the_drafts_images_are_shown_at_the_link_and_nowhere_else(app, draft, make_post):
    token = make_link(app, draft)
    image, name = with_image(app, draft)
    other_image, other_name = with_image(app, make_post("Someone else's draft"), "other.png")
    reader = app.test_client()
    html = reader.get(f"/preview/{token}", base_url=HTTPS).get_data(as_text=True)
    address = f"/preview/{token}/assets/{image}/{name}"
    assert f'src="{address}"' in html and f'src="/assets/{image}' not in html
    with reader.get(address, base_url=HTTPS) as shown:
        assert shown.status_code == 200 and shown.get_data() == PNG
        assert shown.mimetype == "image/png"
        assert shown.headers["Cache-Control"] == "private, no-store"
    # Not public by itself, not another post's file under this link, and gone with the link.
    assert reader.get(f"/assets/{image}/{name}", base_url=HTTPS).status_code == 404
    elsewhere = f"/preview/{token}/assets/{other_image}/{other_name}"
    assert reader.get(elsewhere, base_url=HTTPS).status_code == 404
    assert reader.get(f"/preview/{token}/assets/{image}/x.png", base_url=HTTPS).status_code == 404
    with app.app_context():
        link_id = db.session.scalar(select(PreviewLink.id).where(PreviewLink.token == token))
        content.revoke_preview_link(db.session.get(Post, draft), link_id)
    assert reader.get(address, base_url=HTTPS).status_code == 404
