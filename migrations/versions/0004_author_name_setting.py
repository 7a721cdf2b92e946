"""the site's author name is the one name readers see: filled from the only account if empty

Revision ID: 0004_author_name_setting
Revises: 0003_turn_plain_text
Create Date: 2026-11-29 16:00:00.000000

Bylines used to print the account's display name while the footer and disclosure printed the
settings' author name. Pages now read only the settings, so a site that never set one keeps
the name its bylines showed. A name already set is left alone, even when it differs.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_author_name_setting"
down_revision = "0003_turn_plain_text"
branch_labels = None
depends_on = None

settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
users = sa.table(
    "users", sa.column("username", sa.String), sa.column("display_name", sa.String)
)


def configured_author() -> str:
    try:
        from flask import current_app

        return current_app.config.get("SITE_AUTHOR") or ""
    except RuntimeError:  # run by Alembic outside the app
        return ""


def upgrade():
    connection = op.get_bind()
    accounts = connection.execute(sa.select(users.c.username, users.c.display_name)).all()
    if len(accounts) != 1 or configured_author():
        return
    name = (accounts[0].display_name or accounts[0].username or "").strip()
    current = connection.execute(
        sa.select(settings.c.value).where(settings.c.key == "author_name")
    ).first()
    if current is None:
        op.execute(settings.insert().values(key="author_name", value=name))
    elif not (current.value or "").strip():
        op.execute(
            settings.update().where(settings.c.key == "author_name").values(value=name)
        )


def downgrade():
    """Nothing to undo: the setting is the author's own from now on."""
