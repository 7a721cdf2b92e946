"""scheduled publishing: a draft published by the worker at a time the author chose

posts.scheduled_at (when, UTC), posts.scheduled_status (public or unlisted) and
posts.schedule_problem (why it was not published at that time, for the studio to show).

Revision ID: 0015_scheduled_publishing
Revises: 0013_preview_links
Create Date: 2026-12-06 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_scheduled_publishing"
down_revision = "0013_preview_links"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("posts", sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "posts",
        sa.Column("scheduled_status", sa.String(length=20), nullable=False, server_default=""),
    )
    op.add_column(
        "posts", sa.Column("schedule_problem", sa.Text(), nullable=False, server_default="")
    )
    op.create_index("ix_posts_scheduled_at", "posts", ["scheduled_at"])


def downgrade():
    op.drop_index("ix_posts_scheduled_at", table_name="posts")
    op.drop_column("posts", "schedule_problem")
    op.drop_column("posts", "scheduled_status")
    op.drop_column("posts", "scheduled_at")
