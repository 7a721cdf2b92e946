"""Command-line commands: create-user, import, publish, rerender."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from blog.extensions import db
from blog.models import Post, Turn, User
from tests.conftest import FIXTURES, SHARED

SEED = SHARED / "seeds" / "000_b359b7a8eeae3857.txt"
SEED_LAYOUT = FIXTURES / "md_seed_layout.md"


def seed_file():
    return SEED if SEED.exists() else SEED_LAYOUT


def test_create_user_with_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["create-user", "carol", "--password-stdin"], input="a fine long password\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "carol"))
        assert user is not None and user.password_hash != "a fine long password"


def test_create_user_refuses_short_password(runner):
    result = runner.invoke(args=["create-user", "dave", "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and "at least" in result.output


def test_seed_post_imports_publishes_and_reads_right(app, runner, client, owner):
    result = runner.invoke(args=["import", str(seed_file())])
    assert result.exit_code == 0, result.output
    slug = re.search(r"created\s+(\S+)\s+", result.output).group(1)

    refused = runner.invoke(args=["publish", slug, "--yes"])
    assert refused.exit_code == 1
    assert "not yet reviewed" in refused.output

    published = runner.invoke(args=["publish", slug, "--reviewed", "--yes"])
    assert published.exit_code == 0, published.output

    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    roles = re.findall(r'id="turn-(\d+)" data-role="(\w+)"', page)
    assert roles == [
        ("1", "user"),
        ("2", "assistant"),
        ("3", "user"),
        ("4", "assistant"),
        ("5", "user"),
        ("6", "assistant"),
    ]
    assert '<aside class="ai-disclosure"' in page and 'rel="license"' in page

    feed = ET.fromstring(client.get("/feed.xml").data)
    item = feed.find("channel/item")
    body = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert 'class="ai-disclosure"' in body and 'rel="license"' in body


def test_reimport_is_recognised_not_duplicated(app, runner, owner):
    assert runner.invoke(args=["import", str(seed_file())]).exit_code == 0
    again = runner.invoke(args=["import", str(seed_file())])
    assert again.exit_code == 0 and "skipped" in again.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 1


def test_import_refuses_bad_file_and_saves_nothing(app, runner, owner, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('[{"mapping": {"a": ')
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1
    assert "Not imported" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Post.id))) == 0


def test_rerender_rebuilds_stored_html(app, runner, make_post):
    post_id = make_post(turns=[("user", "*hello*")])
    with app.app_context():
        # HTML stored before turns had render keys (an upgraded database).
        db.session.execute(db.update(Turn).values(html="stale", render_key=None))
        db.session.commit()
    result = runner.invoke(args=["rerender"])
    assert result.exit_code == 0 and "Rendered 1 turn" in result.output
    with app.app_context():
        assert db.session.get(Post, post_id).turns[0].html == "<p><em>hello</em></p>"
