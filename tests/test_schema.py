"""The models and the migrations describe one schema: on a freshly migrated database (SQLite,
or PostgreSQL with TEST_DATABASE_URL), `flask db check` finds nothing to change."""

from __future__ import annotations

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from blog import posts as content
from blog.extensions import db
from blog.federation.models import FederatedPost
from blog.imports.files import import_file
from blog.models import Asset, Post, Turn, User, utcnow
from tests.conftest import colloquy_json_with_files

# Autogenerate's notes of a difference; PostgreSQL's SERIAL sequences are notes, not changes.
DIFFERENCE = re.compile(r"^.*\bDetected (?!sequence named).*$", re.MULTILINE)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_a_migrated_database_matches_the_models(app, runner):
    result = runner.invoke(args=["db", "check"])
    assert DIFFERENCE.findall(result.output) == []
    assert result.exit_code == 0, result.output


def test_asset_tokens_are_required_and_kept_across_the_migration(app, owner):
    with app.app_context():
        report = import_file(
            colloquy_json_with_files("Pictures", {"a.png": ("image/png", PNG)}).encode(),
            "pictures.json",
            db.session.get(User, owner),
        )
        post_id = report.created[0].id
        stored = select(Asset.id, Asset.token, Asset.name, Asset.data)
        (before,) = db.session.execute(stored.where(Asset.post_id == post_id))
        db.session.commit()
        downgrade(revision="0019_federation_blocks")
        assert next(c for c in inspect(db.engine).get_columns("assets") if c["name"] == "token")[
            "nullable"
        ]
        upgrade()
        token = next(c for c in inspect(db.engine).get_columns("assets") if c["name"] == "token")
        assert token["nullable"] is False
        (after,) = db.session.execute(stored)
        assert tuple(after) == tuple(before)
        with pytest.raises(IntegrityError):
            db.session.execute(Asset.__table__.update().values(token=None))
        db.session.rollback()
        # The key to its post holds as before (on SQLite the table was rebuilt).
        db.session.delete(db.session.get(Post, post_id))
        db.session.commit()
        assert db.session.scalars(select(Asset.id)).all() == []


def test_a_deleted_posts_id_is_never_given_to_a_new_post(app, owner):
    with app.app_context():
        author = db.session.get(User, owner)
        content.create_post(author, "Kept")
        deleted = content.create_post(author, "Deleted").id
        content.delete_post(db.session.get(Post, deleted))
        assert content.create_post(author, "Written after").id > deleted


def test_the_rebuilt_posts_table_keeps_its_rows_keys_and_indexes(app, owner):
    """0023 rebuilds posts on SQLite; everything that pointed at a post still does, and ids
    of posts deleted before it, remembered by the federation, are not given again."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("0023 changes nothing on PostgreSQL, whose sequences never reuse ids")
        fresh = schema_of_posts()
        downgrade(revision="0022_federation_delivery")
        assert schema_of_posts() | {"sql": fresh["sql"]} == fresh
        author = db.session.get(User, owner)
        post = content.create_post(author, "Kept with its turns")
        content.add_turn(post, "user", source="A question")
        content.set_tags(post, "kept, rebuilt")
        db.session.commit()
        kept = post.id
        gone = content.create_post(author, "Deleted and told").id
        content.delete_post(db.session.get(Post, gone))
        db.session.add(FederatedPost(post_id=gone + 7, deleted_at=utcnow()))
        db.session.commit()
        before = schema_of_posts()
        rows = db.session.execute(select(Post.__table__)).all()
        db.session.remove()

        upgrade()

        after = schema_of_posts()
        assert "AUTOINCREMENT" in after["sql"] and "AUTOINCREMENT" not in before["sql"]
        assert after["indexes"] == before["indexes"]
        assert after["columns"] == before["columns"]
        assert after["keys"] == before["keys"]
        assert after["referring"] == before["referring"]
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert db.session.execute(select(Post.__table__)).all() == rows
        post = db.session.get(Post, kept)
        assert [turn.source for turn in post.turns] == ["A question"]
        assert [tag.name for tag in post.tags] == ["kept", "rebuilt"]
        assert content.create_post(author, "After the migration").id > gone + 7
        # The keys to the rebuilt table hold and cascade as before.
        content.delete_post(db.session.get(Post, kept))
        assert db.session.scalars(select(Turn.id)).all() == []


def schema_of_posts() -> dict:
    """How SQLite holds posts: its table, columns, keys, indexes, and the keys naming it."""
    with db.engine.connect() as connection:

        def rows(statement: str) -> list:
            return [tuple(row) for row in connection.exec_driver_sql(statement).all()]

        tables = [name for (name,) in rows("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            "sql": rows("SELECT sql FROM sqlite_master WHERE name = 'posts'")[0][0],
            "columns": rows("PRAGMA table_xinfo(posts)"),
            "keys": rows("PRAGMA foreign_key_list(posts)"),
            "indexes": sorted(
                rows("SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='posts'")
            ),
            "referring": sorted(
                (table, *key)
                for table in tables
                for key in rows(f'PRAGMA foreign_key_list("{table}")')
                if key[2] == "posts"
            ),
        }
