"""federation blocks: refused servers and accounts, and rejected replies

`fediverse_blocks` holds each blocked server (its host name: it and its subdomains) or account
(its actor id); `fediverse_comments.rejected_at` marks a reply the author rejected, kept so
the same note arriving again is not put back in moderation. Existing replies stay as they were.

Revision ID: 0019_federation_blocks
Revises: 0018_post_agent
Create Date: 2026-12-06 19:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_federation_blocks"
down_revision = "0018_post_agent"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fediverse_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target"),
    )
    op.add_column(
        "fediverse_comments",
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade():
    op.drop_column("fediverse_comments", "rejected_at")
    op.drop_table("fediverse_blocks")
