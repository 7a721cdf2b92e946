"""posts.details_version: the details form is versioned apart from the turns

Revision ID: 0009_details_version
Revises: 0008_asset_file_names
Create Date: 2026-12-06 16:40:00.000000

Save details compared the post's one version, which every turn action (Mark reviewed, Leave
out) bumps, so a save after any turn action was refused as stale and the typed title lost.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_details_version"
down_revision = "0008_asset_file_names"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on every database: Alembic's batch mode would rebuild `posts` on SQLite and
# lose its search triggers.
def upgrade():
    op.add_column(
        "posts", sa.Column("details_version", sa.Integer(), nullable=False, server_default="1")
    )


def downgrade():
    op.drop_column("posts", "details_version")
