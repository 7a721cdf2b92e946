"""preview links: a private, revocable address at which a draft can be read before Publish

Revision ID: 0013_preview_links
Revises: 0012_import_heartbeat
Create Date: 2026-12-06 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_preview_links"
down_revision = "0012_import_heartbeat"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "preview_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_preview_links_post_id", "preview_links", ["post_id"])
    op.create_index("ix_preview_links_token", "preview_links", ["token"], unique=True)


def downgrade():
    op.drop_index("ix_preview_links_token", table_name="preview_links")
    op.drop_index("ix_preview_links_post_id", table_name="preview_links")
    op.drop_table("preview_links")
