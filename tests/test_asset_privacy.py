"""A post's files are public exactly as far as its published revision shows them, and only at
an address nobody can guess: a token and the file's own name, never a counted id."""

from __future__ import annotations

import io
import json
import re

from flask_migrate import downgrade, upgrade
from PIL import Image
from sqlalchemy import select, text

from blog import posts as content
from blog.extensions import db
from blog.imports.files import import_file
from blog.models import Asset, Post, User
from tests.conftest import colloquy_json_with_files

HTTPS = "https://blog.test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ADDRESS = re.compile(r"/assets/([A-Za-z0-9_-]{22})/([A-Za-z0-9._-]+)$")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 90, 200)).save(out, "PNG")
    return out.getvalue()


def uploaded(author, post_id: int) -> str:
    """Upload an image in the editor, as the author does; its URL."""
    response = author.post(
        f"/studio/posts/{post_id}/images",
        data={"image": (io.BytesIO(png()), "plot.png"), "alt": "Plot"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["url"]


def show(app, post_id: int, source: str, *, update: bool) -> None:
    """Put `source` in the post's first turn (a staged edit), and Update if asked."""
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.save_turn(post.turns[0], source, None)
        if update:
            content.publish(post, confirmed=True, mark_reviewed=True)


def status(app, url: str) -> int:
    """What an anonymous reader gets at `url`."""
    return app.test_client().get(url, base_url=HTTPS).status_code


def test_an_image_uploaded_into_a_staged_edit_is_private_until_update(app, author, make_post):
    post_id = make_post("Already public", publish=True)
    url = uploaded(author, post_id)
    assert ADDRESS.search(url), url
    assert status(app, url) == 404  # uploaded, not yet shown by anything public

    show(app, post_id, f"Here is the plot:\n\n![Plot]({url})", update=False)
    assert status(app, url) == 404  # shown only by the staged edit
    own = author.get(url)
    assert own.status_code == 200 and own.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        slug = db.session.get(Post, post_id).slug
    assert url not in app.test_client().get(f"/posts/{slug}", base_url=HTTPS).get_data(True)

    with app.app_context():
        content.publish(db.session.get(Post, post_id), confirmed=True, mark_reviewed=True)
    reader = app.test_client().get(url, base_url=HTTPS)
    assert reader.status_code == 200 and reader.mimetype == "image/png"
    assert reader.headers["Cache-Control"] == "public, max-age=300"
    assert url in app.test_client().get(f"/posts/{slug}", base_url=HTTPS).get_data(True)

    # An Update that no longer shows it takes it back.
    show(app, post_id, "No picture after all.", update=True)
    assert status(app, url) == 404
    assert author.get(url).status_code == 200


def test_a_wrong_name_or_the_counted_id_finds_nothing(app, author, make_post):
    post_id = make_post("Public with a picture", publish=True)
    url = uploaded(author, post_id)
    show(app, post_id, f"![Plot]({url})", update=True)
    assert status(app, url) == 200
    token, name = ADDRESS.search(url).groups()
    with app.app_context():
        asset_id = db.session.scalar(select(Asset.id).where(Asset.token == token))
    wrong = [
        f"/assets/{token}/other.png",
        f"/assets/{token}/{name.upper()}",
        f"/assets/{token}/{name}/x",
        f"/assets/{asset_id}/{name}",  # the old address: ids count up
        f"/assets/{asset_id}/anything",
        f"/assets/{token[:-1]}/{name}",
    ]
    for path in wrong:
        assert status(app, path) == 404, path
        assert author.get(path).status_code == 404, path  # not even for the author


def test_tokens_are_random_and_long(app, owner):
    with app.app_context():
        post = content.create_post(db.session.get(User, owner), "Files")
        assets = [
            Asset(post_id=post.id, name="a.png", mime_type="image/png", data=PNG) for _ in "ab"
        ]
        db.session.add_all(assets)
        db.session.commit()
        tokens = [asset.token for asset in assets]
    assert len(set(tokens)) == 2
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", token) for token in tokens)  # 128 bits


def test_a_drafts_files_are_never_public_and_follow_the_post(app, author, owner):
    files = {"chart.png": ("image/png", PNG), "notes.txt": ("text/plain", b"Notes.\n")}
    with app.app_context():
        report = import_file(
            colloquy_json_with_files("Imported", files).encode(),
            "files.json",
            db.session.get(User, owner),
        )
        post_id = report.created[0].id
        source = db.session.get(Post, post_id).turns[0].source
    urls = re.findall(r"\((/assets/[^)]+)\)", source)
    assert len(urls) == 2 and all(ADDRESS.search(url) for url in urls)
    assert [status(app, url) for url in urls] == [404, 404]
    assert [author.get(url).status_code for url in urls] == [200, 200]

    with app.app_context():
        content.publish(db.session.get(Post, post_id), confirmed=True, mark_reviewed=True)
    assert [status(app, url) for url in urls] == [200, 200]
    with app.app_context():
        content.unpublish(db.session.get(Post, post_id))
    assert [status(app, url) for url in urls] == [404, 404]
    with app.app_context():
        content.publish(db.session.get(Post, post_id), status="unlisted", confirmed=True)
    # Unlisted: reachable by whoever has the address, listed nowhere.
    assert [status(app, url) for url in urls] == [200, 200]
    sitemap = app.test_client().get("/sitemap.xml", base_url=HTTPS).get_data(as_text=True)
    assert "/assets/" not in sitemap


def test_a_file_of_a_left_out_turn_is_not_public(app, author, make_post):
    post_id = make_post("Public", publish=True)
    url = uploaded(author, post_id)
    with app.app_context():
        post = db.session.get(Post, post_id)
        content.save_turn(post.turns[0], f"![Plot]({url})", None)
        content.set_excluded(post.turns[0], True)
        content.publish(post, confirmed=True, mark_reviewed=True)
    assert status(app, url) == 404


def test_the_upgrade_gives_every_file_a_token_and_publishes_only_what_readers_saw(app, owner):
    other_site = "https://example.com/assets/1/x.png"
    with app.app_context():
        post = content.create_post(db.session.get(User, owner), "Before the upgrade")
        shown = Asset(post_id=post.id, name="shown.png", mime_type="image/png", data=PNG)
        staged = Asset(post_id=post.id, name="staged.png", mime_type="image/png", data=PNG)
        db.session.add_all([shown, staged])
        db.session.commit()
        shown_id, staged_id = shown.id, staged.id
        content.add_turn(post, "user", source=f"![a](/assets/{shown.token}/shown.png)")
        content.add_turn(post, "assistant", source=f"[elsewhere]({other_site})")
        content.publish(post, confirmed=True, mark_reviewed=True)
        content.save_turn(post.turns[1], f"![b](/assets/{staged.token}/staged.png)", None)
        post_id = post.id
        generation = db.session.scalar(text("SELECT value FROM settings WHERE key='generation'"))
        db.session.remove()

        # The schema before tokens: links by id, as every older install has them.
        downgrade(revision="0009_details_version")
        stored = " ".join(db.session.scalars(text("SELECT source || html FROM turns")))
        revision = db.session.scalar(text("SELECT data FROM revisions"))
        assert f"/assets/{shown_id}/shown.png" in stored
        assert f"/assets/{staged_id}/staged.png" in stored
        assert f"/assets/{shown_id}/shown.png" in revision and other_site in revision
        db.session.remove()

        upgrade()
        tokens = dict(db.session.execute(select(Asset.id, Asset.token)).all())
        published = dict(db.session.execute(select(Asset.id, Asset.published)).all())
        assert published == {shown_id: True, staged_id: False}
        post = db.session.get(Post, post_id)
        sources = [turn.source for turn in post.turns]
        assert sources == [
            f"![a](/assets/{tokens[shown_id]}/shown.png)",
            f"![b](/assets/{tokens[staged_id]}/staged.png)",
        ]
        data = json.loads(post.published_revision.data)
        assert data["turns"][0]["source"] == sources[0]
        assert f'src="/assets/{tokens[shown_id]}/shown.png"' in data["turns"][0]["html"]
        # Another site's link is left alone.
        assert other_site in data["turns"][1]["source"] and other_site in data["turns"][1]["html"]
        assert int(
            db.session.scalar(text("SELECT value FROM settings WHERE key='generation'"))
        ) > int(generation)
        db.session.remove()
    assert status(app, f"/assets/{tokens[shown_id]}/shown.png") == 200
    assert status(app, f"/assets/{tokens[staged_id]}/staged.png") == 404
    assert status(app, f"/assets/{shown_id}/shown.png") == 404
