"""post agent: the program that wrote an imported session's log, and its version

`posts.agent` ("Claude Code", "Codex CLI") and `posts.agent_version` ("2.0.14", or
"2.0.10–2.0.14" when a session spans versions), as the log states them; empty for every
existing post and for sources that name no agent. Readers see them in "How this was made".

Revision ID: 0018_post_agent
Revises: 0017_fediverse
Create Date: 2026-12-06 18:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_post_agent"
down_revision = "0017_fediverse"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "posts", sa.Column("agent", sa.String(length=80), nullable=False, server_default="")
    )
    op.add_column(
        "posts",
        sa.Column("agent_version", sa.String(length=80), nullable=False, server_default=""),
    )


def downgrade():
    op.drop_column("posts", "agent_version")
    op.drop_column("posts", "agent")
