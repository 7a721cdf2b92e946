"""import batches, to list and undo imports; each post's open privacy findings counted

Each import is recorded and its posts marked, so it can be undone; the dashboard reads the
stored count of findings instead of scanning every post.

Revision ID: 0004_import_batches
Revises: 0004_author_name_setting
Create Date: 2026-11-29 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0004_import_batches"
down_revision = "0004_author_name_setting"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("turn_count", sa.Integer(), nullable=False),
        sa.Column("updated_ids_json", sa.Text(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_import_batches_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Rebuilding the posts table (Alembic's batch mode) would drop its search triggers;
        # SQLite adds a column with its reference in place.
        op.execute(
            "ALTER TABLE posts ADD COLUMN import_batch_id INTEGER "
            "CONSTRAINT fk_posts_import_batch_id_import_batches "
            "REFERENCES import_batches (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("posts", sa.Column("import_batch_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_posts_import_batch_id_import_batches"),
            "posts",
            "import_batches",
            ["import_batch_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.add_column("posts", sa.Column("findings", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_posts_import_batch_id"), "posts", ["import_batch_id"])
    op.create_index("ix_posts_updated_at", "posts", ["updated_at"])

    from blog.posts.findings import count_all_findings

    count = count_all_findings(op.get_bind())
    if count:
        print(f"Counted the open privacy findings of {count} post(s).", flush=True)


def downgrade():
    op.drop_index("ix_posts_updated_at", table_name="posts")
    op.drop_index(op.f("ix_posts_import_batch_id"), table_name="posts")
    op.drop_column("posts", "findings")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_posts_import_batch_id_import_batches"), "posts", type_="foreignkey"
        )
    op.drop_column("posts", "import_batch_id")
    op.drop_table("import_batches")
