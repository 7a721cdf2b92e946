"""federation delivery: failing inboxes and the deliveries given up, for the studio

`fediverse_inboxes` holds an inbox while its deliveries fail (how many tries, since when,
when it is tried next); `fediverse_undelivered` keeps each activity given up after its whole
retry schedule, which the author sees in the studio. Both start empty.

Revision ID: 0022_federation_delivery
Revises: 0018_post_agent
Create Date: 2026-12-06 20:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0022_federation_delivery"
down_revision = "0021_assets_token"
branch_labels = None
depends_on = None


def moment(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade():
    op.create_table(
        "fediverse_inboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox", sa.String(length=500), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        moment("failing_since"),
        moment("retry_at"),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inbox"),
    )
    op.create_table(
        "fediverse_undelivered",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox", sa.String(length=500), nullable=False),
        sa.Column("activity_type", sa.String(length=40), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        moment("first_tried_at"),
        moment("gave_up_at"),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fediverse_undelivered_post_id", "fediverse_undelivered", ["post_id"])
    op.create_index("ix_fediverse_undelivered_gave_up_at", "fediverse_undelivered", ["gave_up_at"])


def downgrade():
    op.drop_table("fediverse_undelivered")
    op.drop_table("fediverse_inboxes")
