"""render keys: what each turn's HTML was rendered from, and an import's rendering progress

`turns.render_key` hashes a turn's source, display form and the renderer's version: a turn
whose key matches needs no rendering again, and a turn with the same key lends its HTML to
another (a re-import). Empty for every existing turn, so the next `flask --app app rerender`
renders each once and records its key. An import job counts the turns it renders after its
drafts are saved.

Revision ID: 0016_render_keys
Revises: 0015_scheduled_publishing
Create Date: 2026-12-06 17:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_render_keys"
down_revision = "0015_scheduled_publishing"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("turns", sa.Column("render_key", sa.String(length=40), nullable=True))
    op.create_index("ix_turns_render_key", "turns", ["render_key"])
    op.add_column(
        "import_jobs",
        sa.Column("render_total", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "import_jobs", sa.Column("rendered", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade():
    op.drop_column("import_jobs", "rendered")
    op.drop_column("import_jobs", "render_total")
    op.drop_index("ix_turns_render_key", table_name="turns")
    op.drop_column("turns", "render_key")
