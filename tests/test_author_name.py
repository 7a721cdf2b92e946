"""One author name: given at setup, edited in settings, printed everywhere the same."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from blog import posts as content
from blog.accounts import issue_setup_token
from blog.extensions import db
from blog.models import User
from blog.settings import load_settings
from tests.conftest import PASSWORD, Author

HTTPS = "https://blog.test"
ATOM = "{http://www.w3.org/2005/Atom}"


def publish_a_post(app) -> str:
    with app.app_context():
        user = db.session.scalars(db.select(User)).one()
        post = content.create_post(user, "Naming a grey cat")
        content.add_turn(post, "user", source="What should I call my grey cat?")
        content.add_turn(post, "assistant", source="Ash, Smoke or Pebble.")
        content.publish(post, confirmed=True, mark_reviewed=True)
        return post.slug


def names_shown(client, slug: str) -> dict[str, str]:
    page = client.get(f"/posts/{slug}", base_url=HTTPS).get_data(as_text=True)
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1])
    home = client.get("/", base_url=HTTPS).get_data(as_text=True)
    rss = ET.fromstring(client.get("/feed.xml", base_url=HTTPS).data)
    atom = ET.fromstring(client.get("/atom.xml", base_url=HTTPS).data)
    return {
        "byline": re.search(r'<span class="post__author">([^<]*)</span>', page)[1],
        "post footer": re.search(r"Published by ([^.<]*)\. ", page)[1],
        "site footer": re.search(r"Published by ([^.<]*)\. ", home)[1],
        "disclosure": re.search(r"published by ([^.,<]*)", page, re.I)[1],
        "json-ld": ld["author"]["name"],
        "rss": rss.find("channel/item/{http://purl.org/dc/elements/1.1/}creator").text,
        "atom": atom.find(f"{ATOM}entry/{ATOM}author/{ATOM}name").text,
    }


def test_the_name_given_at_setup_is_the_one_name_readers_see(app, client):
    with app.app_context():
        token = issue_setup_token()
    helper = Author(client)
    response = helper.client.post(
        "/setup",
        data={
            "token": token,
            "username": "alice",
            "password": PASSWORD,
            "display_name": "Alice Example",
            "csrf_token": helper.token("/setup"),
        },
        base_url=HTTPS,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert load_settings().author_name == "Alice Example"
    slug = publish_a_post(app)

    shown = names_shown(client, slug)
    assert set(shown.values()) == {"Alice Example"}, shown

    settings = helper.get("/studio/settings").get_data(as_text=True)
    assert 'name="author_name" value="Alice Example"' in settings
    helper.post(
        "/studio/settings", data={"author_name": "Ada Example", "default_license": "cc-by-4.0"}
    )

    shown = names_shown(client, slug)
    assert set(shown.values()) == {"Ada Example"}, shown


def test_create_user_fills_an_empty_author_name_but_never_replaces_one(app, runner):
    result = runner.invoke(
        args=["create-user", "bob", "--password-stdin", "--display-name", "Bob Writer"],
        input="a fine long password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert load_settings().author_name == "Bob Writer"

    runner.invoke(
        args=["create-user", "eve", "--password-stdin", "--display-name", "Eve"],
        input="another long password\n",
    )
    with app.app_context():
        assert load_settings().author_name == "Bob Writer"


def test_the_settings_name_wins_over_a_different_display_name(app, owner, client):
    with app.app_context():
        db.session.get(User, owner).display_name = "Old Display Name"
        db.session.commit()
    slug = publish_a_post(app)

    shown = names_shown(client, slug)
    assert set(shown.values()) == {"Alice Author"}, shown
    page = client.get(f"/posts/{slug}", base_url=HTTPS).get_data(as_text=True)
    assert "Old Display Name" not in page


def test_the_upgrade_fills_an_empty_author_name_from_the_only_account(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from blog import create_app
    from tests.conftest import database_url

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-" + "k" * 40,
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
            "HUEY_SQLITE_PATH": str(tmp_path / "queue.sqlite3"),
        }
    )
    with app.app_context():
        upgrade(revision="0003_turn_plain_text")
        db.session.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, session_token, "
                "created_at) VALUES ('alice', 'Alice Example', 'x', 't', CURRENT_TIMESTAMP)"
            )
        )
        db.session.execute(text("INSERT INTO settings (key, value) VALUES ('author_name', '')"))
        db.session.commit()

        upgrade()

        assert load_settings().author_name == "Alice Example"
        db.session.remove()
        db.engine.dispose()
