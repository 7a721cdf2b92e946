"""fediverse: remote actors, followers, delivered posts, reactions and replies

Revision ID: 0017_fediverse
Revises: 0016_render_keys
Create Date: 2026-12-06 17:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_fediverse"
down_revision = "0016_render_keys"
branch_labels = None
depends_on = None


def created_at(name: str = "created_at", nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "fediverse_actors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=500), nullable=False),
        sa.Column("key_id", sa.String(length=500), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("inbox", sa.String(length=500), nullable=False),
        sa.Column("shared_inbox", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        created_at("fetched_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uri"),
    )
    op.create_index("ix_fediverse_actors_key_id", "fediverse_actors", ["key_id"])
    op.create_table(
        "fediverse_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_uri", sa.String(length=500), nullable=False),
        sa.Column("inbox", sa.String(length=500), nullable=False),
        sa.Column("shared_inbox", sa.String(length=500), nullable=False),
        sa.Column("follow_id", sa.String(length=500), nullable=False),
        created_at(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor_uri"),
    )
    op.create_table(
        "fediverse_posts",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=True),
        created_at("deleted_at", nullable=True),
        created_at("updated_at"),
        sa.PrimaryKeyConstraint("post_id"),
    )
    op.create_table(
        "fediverse_reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_uri", sa.String(length=500), nullable=False),
        sa.Column("activity_id", sa.String(length=500), nullable=False),
        created_at(),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id", "actor_uri", "kind"),
    )
    op.create_index("ix_fediverse_reactions_post_id", "fediverse_reactions", ["post_id"])
    op.create_table(
        "fediverse_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("object_uri", sa.String(length=500), nullable=False),
        sa.Column("actor_uri", sa.String(length=500), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        created_at("received_at"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("object_uri"),
    )
    op.create_index("ix_fediverse_comments_post_id", "fediverse_comments", ["post_id"])
    op.create_index("ix_fediverse_comments_actor_uri", "fediverse_comments", ["actor_uri"])


def downgrade():
    op.drop_index("ix_fediverse_comments_actor_uri", table_name="fediverse_comments")
    op.drop_index("ix_fediverse_comments_post_id", table_name="fediverse_comments")
    op.drop_table("fediverse_comments")
    op.drop_index("ix_fediverse_reactions_post_id", table_name="fediverse_reactions")
    op.drop_table("fediverse_reactions")
    op.drop_table("fediverse_posts")
    op.drop_table("fediverse_followers")
    op.drop_index("ix_fediverse_actors_key_id", table_name="fediverse_actors")
    op.drop_table("fediverse_actors")
