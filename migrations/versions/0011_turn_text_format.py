"""turns.text_format: a turn is shown as Markdown or as typed

Revision ID: 0011_turn_text_format
Revises: 0010_asset_tokens
Create Date: 2026-12-06 17:40:00.000000

Chat apps show a person's message as typed; rendered as Markdown, a pasted two-line snippet
became one line. Turns saved before keep Markdown: their published pages stay as they were
until the author chooses otherwise in the editor.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_turn_text_format"
down_revision = "0010_asset_tokens"
branch_labels = None
depends_on = None


# Plain ALTER TABLE: Alembic's batch mode would rebuild the table on SQLite.
def upgrade():
    op.add_column(
        "turns",
        sa.Column("text_format", sa.String(10), nullable=False, server_default="markdown"),
    )


def downgrade():
    op.drop_column("turns", "text_format")
