"""import jobs' heartbeat: a worker that dies mid-step is noticed within a minute

A job whose worker was killed stayed "Reading…" until the step's time limit plus a margin had
passed (11 minutes by default). The running step now beats every few seconds; a step whose
beat stops is failed with the reason by the job's page or the worker's sweep. Empty while a
step waits in the queue.

Revision ID: 0012_import_heartbeat
Revises: 0011_turn_text_format
Create Date: 2026-12-06 17:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_import_heartbeat"
down_revision = "0011_turn_text_format"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "import_jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade():
    op.drop_column("import_jobs", "heartbeat_at")
