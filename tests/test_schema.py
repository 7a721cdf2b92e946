"""The models and the migrations describe one schema: on a freshly migrated database (SQLite,
or PostgreSQL with TEST_DATABASE_URL), `flask db check` finds nothing to change."""

from __future__ import annotations

import re

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from blog.extensions import db
from blog.imports.files import import_file
from blog.models import Asset, Post, User
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
