"""assets.token NOT NULL: every asset is addressed by its token, as the model says

0010 added the column nullable, to fill it for existing rows; every asset has had a token
since, and an asset without one could not be served. The database now refuses one too.
PostgreSQL alters the column; SQLite cannot, so the small `assets` table is rebuilt by hand
(no table refers to it, and it has no triggers: nothing cascades or is lost), keeping its
columns, keys and indexes.

Revision ID: 0021_assets_token
Revises: 0018_post_agent
Create Date: 2026-12-06 20:10:00.000000

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0021_assets_token"
down_revision = "0019_federation_blocks"
branch_labels = None
depends_on = None

ASSETS = sa.table("assets", sa.column("id", sa.Integer), sa.column("token", sa.String))
COLUMNS = "id, post_id, name, mime_type, data, created_at, token, published"


def upgrade():
    connection = op.get_bind()
    untokened = connection.execute(sa.select(ASSETS.c.id).where(ASSETS.c.token.is_(None)))
    for (asset_id,) in untokened.all():
        connection.execute(
            ASSETS.update().where(ASSETS.c.id == asset_id).values(token=secrets.token_urlsafe(16))
        )
    if connection.dialect.name == "sqlite":
        rebuild_sqlite_assets(token_nullable=False)
    else:
        op.alter_column("assets", "token", existing_type=sa.String(32), nullable=False)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        rebuild_sqlite_assets(token_nullable=True)
    else:
        op.alter_column("assets", "token", existing_type=sa.String(32), nullable=True)


def rebuild_sqlite_assets(*, token_nullable: bool) -> None:
    """The assets table as 0001 and 0010 made it, with the token's NOT NULL as asked."""
    op.execute(
        f"""CREATE TABLE assets_rebuilt (
        id INTEGER NOT NULL,
        post_id INTEGER NOT NULL,
        name VARCHAR(300) NOT NULL,
        mime_type VARCHAR(100) NOT NULL,
        data BLOB NOT NULL,
        created_at DATETIME NOT NULL,
        token VARCHAR(32){"" if token_nullable else " NOT NULL"},
        published BOOLEAN DEFAULT 0 NOT NULL,
        CONSTRAINT pk_assets PRIMARY KEY (id),
        CONSTRAINT fk_assets_post_id_posts FOREIGN KEY(post_id)
            REFERENCES posts (id) ON DELETE CASCADE
        )"""
    )
    op.execute(f"INSERT INTO assets_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM assets")
    op.execute("DROP TABLE assets")
    op.execute("ALTER TABLE assets_rebuilt RENAME TO assets")
    op.execute("CREATE INDEX ix_assets_post_id ON assets (post_id)")
    op.execute("CREATE UNIQUE INDEX ix_assets_token ON assets (token)")
