"""turns keep their plain text and word count; every turn rendered again with the CommonMark reader

Revision ID: 0003_turn_plain_text
Revises: 0002
Create Date: 2026-11-29 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0003_turn_plain_text"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("turns", sa.Column("text", sa.Text(), nullable=True))
    op.add_column("turns", sa.Column("words", sa.Integer(), nullable=True))
    # Stored HTML came from the old renderer (python-markdown): rebuild it, and fill the new
    # columns, so no page shows the old rendering or raw Markdown after the upgrade.
    from blog.rerender import rerender_turns

    def progress(done, total):
        print(f"  rendered {done} of {total} turns", flush=True)

    count = rerender_turns(op.get_bind(), progress=progress)
    if count:
        print(f"Rendered {count} turn(s) with the CommonMark reader.", flush=True)


def downgrade():
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_column("words")
        batch_op.drop_column("text")
