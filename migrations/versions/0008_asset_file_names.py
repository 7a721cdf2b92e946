"""asset file names: attachments stored before the naming rule link the file a mirror holds

Attachments imported before the naming rule kept their tidied names (`page.html`) while the
mirror and `export --static` write such a file as `page.html.bin`: nginx and Caddy found it
(`try_files … .bin`), a plain static host did not. Each such asset takes the name the rule
gives, and the links to it in its post's turns (source, HTML, the original, other versions)
and revisions are rewritten to match. The app serves an asset by its id whatever the name, so
old links in pages already cached or mirrored keep working until they are rewritten.

Revision ID: 0008_asset_file_names
Revises: 0007_search_prefix_index
Create Date: 2026-11-29 22:10:00.000000

"""

import re

import sqlalchemy as sa
from alembic import op

from blog.assets import HEAD_BYTES, asset_file_name

revision = "0008_asset_file_names"
down_revision = "0007_search_prefix_index"
branch_labels = None
depends_on = None

ASSETS = sa.table(
    "assets",
    sa.column("id", sa.Integer),
    sa.column("post_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("data", sa.LargeBinary),
)
TURNS = sa.table(
    "turns",
    sa.column("id", sa.Integer),
    sa.column("post_id", sa.Integer),
    sa.column("source", sa.Text),
    sa.column("html", sa.Text),
    sa.column("original_source", sa.Text),
    sa.column("alternatives_json", sa.Text),
)
REVISIONS = sa.table(
    "revisions",
    sa.column("id", sa.Integer),
    sa.column("post_id", sa.Integer),
    sa.column("data", sa.Text),
)
# Stored names are tidied to these characters, so a link's name ends where they do.
ASSET_LINK = re.compile(r"/assets/(\d+)/([A-Za-z0-9._-]+)")


def upgrade():
    connection = op.get_bind()
    renamed: dict[int, tuple[str, str]] = {}
    posts: set[int] = set()
    heads = sa.select(
        ASSETS.c.id, ASSETS.c.post_id, ASSETS.c.name, sa.func.substr(ASSETS.c.data, 1, HEAD_BYTES)
    )
    for asset_id, post_id, name, head in connection.execute(heads):
        named = asset_file_name(name, bytes(head or b""))
        if named != name:
            renamed[asset_id] = (name, named)
            posts.add(post_id)
    if not renamed:
        return
    for asset_id, (_, named) in renamed.items():
        connection.execute(ASSETS.update().where(ASSETS.c.id == asset_id).values(name=named))

    def relink(text: str | None) -> str | None:
        def swap(link: re.Match[str]) -> str:
            old, named = renamed.get(int(link[1]), ("", ""))
            return f"/assets/{link[1]}/{named}" if link[2] == old else link[0]

        return ASSET_LINK.sub(swap, text) if text else text

    columns = ("source", "html", "original_source", "alternatives_json")
    rewrite(connection, TURNS, columns, posts, relink)
    rewrite(connection, REVISIONS, ("data",), posts, relink)


def rewrite(connection, table, columns, posts, relink) -> None:
    """Every row of `table` belonging to `posts` with its `columns` relinked, if they change."""
    chosen = sa.select(table.c.id, *(table.c[name] for name in columns))
    for row in connection.execute(chosen.where(table.c.post_id.in_(sorted(posts)))).all():
        values = {name: relink(getattr(row, name)) for name in columns}
        if any(values[name] != getattr(row, name) for name in columns):
            connection.execute(table.update().where(table.c.id == row.id).values(**values))


def downgrade():
    # The new names are as good to the app as the old ones: nothing to undo.
    pass
