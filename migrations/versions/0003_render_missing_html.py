"""render the turns stored without HTML

Imports used to leave a turn's HTML empty and render it on a reader's first visit; now every
turn is rendered when it is saved, so turns left empty by earlier versions are rendered here,
once, and no page ever has to write.

Revision ID: 0003_render_html
Revises: 0002
Create Date: 2026-11-29 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0003_render_html"
down_revision = "0002"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    from blog.posts import render_html

    turns = sa.table(
        "turns", sa.column("id", sa.Integer), sa.column("source", sa.Text), sa.column("html", sa.Text)
    )
    bind = op.get_bind()
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(turns.c.id, turns.c.source)
            .where(turns.c.html.is_(None), turns.c.id > last_id)
            .order_by(turns.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            turns.update().where(turns.c.id == sa.bindparam("turn_id")).values(html=sa.bindparam("rendered")),
            [{"turn_id": row.id, "rendered": render_html(row.source or "")} for row in rows],
        )
        last_id = rows[-1].id


def downgrade():
    # The stored HTML is derived from the source; keeping it loses nothing.
    pass
