"""asset tokens: assets are addressed by an unguessable token, and public only once published

An asset was served at `/assets/<id>/<any name>` to anyone while its post was public, so
counting ids listed the files of every published and unlisted post, and an image uploaded
into a staged edit of a published post was public at once. Each asset gets a random token
(its address becomes `/assets/<token>/<name>`, the name checked) and a `published` flag,
set at Publish and Update for the files the published revision shows. Links to assets in
turns (source, HTML, the original, other versions) and revisions are rewritten to the new
address; the flag is set from each public post's published revision, so files only its
working copy shows stay private. The page cache is emptied (its pages hold the old links);
a static mirror is rebuilt with `flask --app app mirror`.

Revision ID: 0010_asset_tokens
Revises: 0009_details_version
Create Date: 2026-12-06 17:00:00.000000

"""

import json
import re
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010_asset_tokens"
down_revision = "0009_details_version"
branch_labels = None
depends_on = None

ASSETS = sa.table(
    "assets",
    sa.column("id", sa.Integer),
    sa.column("post_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("token", sa.String),
    sa.column("published", sa.Boolean),
)
TURNS = sa.table(
    "turns",
    sa.column("id", sa.Integer),
    sa.column("source", sa.Text),
    sa.column("html", sa.Text),
    sa.column("original_source", sa.Text),
    sa.column("alternatives_json", sa.Text),
)
REVISIONS = sa.table("revisions", sa.column("id", sa.Integer), sa.column("data", sa.Text))
POSTS = sa.table(
    "posts",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("published_revision_id", sa.Integer),
)
SETTINGS = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.String))
TURN_COLUMNS = ("source", "html", "original_source", "alternatives_json")
# Stored names are tidied to these characters, so a link's name ends where they do. The app
# links its assets by path alone: `/assets/` right after a host name is another site's.
ID_LINK = re.compile(r"(?<![\w.-])/assets/(\d+)/([A-Za-z0-9._-]+)")
TOKEN_LINK = re.compile(r"(?<![\w.-])/assets/([A-Za-z0-9_-]{16,})/([A-Za-z0-9._-]+)")


def upgrade():
    connection = op.get_bind()
    op.add_column("assets", sa.Column("token", sa.String(32), nullable=True))
    op.add_column(
        "assets", sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    assets = {}
    for asset_id, name in connection.execute(sa.select(ASSETS.c.id, ASSETS.c.name)).all():
        token = secrets.token_urlsafe(16)
        assets[asset_id] = (token, name)
        connection.execute(ASSETS.update().where(ASSETS.c.id == asset_id).values(token=token))
    op.create_index("ix_assets_token", "assets", ["token"], unique=True)
    if assets:

        def relink(text: str | None) -> str | None:
            def swap(link: re.Match[str]) -> str:
                # The old address served the file under any name: the new one names it.
                found = assets.get(int(link[1]))
                return f"/assets/{found[0]}/{found[1]}" if found else link[0]

            return ID_LINK.sub(swap, text) if text else text

        rewrite(connection, TURNS, TURN_COLUMNS, relink)
        rewrite(connection, REVISIONS, ("data",), relink)
        publish_shown(connection)
    forget_cached_pages(connection)


def publish_shown(connection) -> None:
    """Mark public the files each public post's published revision shows in a visible turn."""
    published = sa.select(POSTS.c.id, REVISIONS.c.data).join(
        REVISIONS, REVISIONS.c.id == POSTS.c.published_revision_id
    )
    reachable = published.where(POSTS.c.status.in_(("published", "unlisted")))
    for post_id, data in connection.execute(reachable).all():
        turns = json.loads(data or "{}").get("turns", [])
        shown = {
            link[0]
            for turn in turns
            if not turn.get("excluded")
            for text in (turn.get("source") or "", turn.get("html") or "")
            for link in TOKEN_LINK.findall(text)
        }
        if shown:
            connection.execute(
                ASSETS.update()
                .where(ASSETS.c.post_id == post_id, ASSETS.c.token.in_(sorted(shown)))
                .values(published=True)
            )


def rewrite(connection, table, columns, relink) -> None:
    """Every row of `table` linking an asset, with its `columns` relinked, if they change."""
    linking = sa.or_(*(table.c[name].like("%/assets/%") for name in columns))
    chosen = sa.select(table.c.id, *(table.c[name] for name in columns)).where(linking)
    for row in connection.execute(chosen).all():
        values = {name: relink(getattr(row, name)) for name in columns}
        if any(values[name] != getattr(row, name) for name in columns):
            connection.execute(table.update().where(table.c.id == row.id).values(**values))


def forget_cached_pages(connection) -> None:
    # Cached pages hold the old links; a new generation makes every worker drop them.
    row = connection.execute(sa.select(SETTINGS.c.value).where(SETTINGS.c.key == "generation"))
    current = row.scalar()
    if current is not None and current.isdigit():
        connection.execute(
            SETTINGS.update()
            .where(SETTINGS.c.key == "generation")
            .values(value=str(int(current) + 1))
        )


def downgrade():
    connection = op.get_bind()
    ids = {
        token: asset_id
        for asset_id, token in connection.execute(sa.select(ASSETS.c.id, ASSETS.c.token)).all()
    }
    if ids:

        def relink(text: str | None) -> str | None:
            def swap(link: re.Match[str]) -> str:
                asset_id = ids.get(link[1])
                return f"/assets/{asset_id}/{link[2]}" if asset_id else link[0]

            return TOKEN_LINK.sub(swap, text) if text else text

        rewrite(connection, TURNS, TURN_COLUMNS, relink)
        rewrite(connection, REVISIONS, ("data",), relink)
    forget_cached_pages(connection)
    op.drop_index("ix_assets_token", table_name="assets")
    op.drop_column("assets", "published")
    op.drop_column("assets", "token")
