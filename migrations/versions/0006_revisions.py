"""revisions: readers see a post's published revision; search indexes it, not the live turns

Revision ID: 0004_revisions
Revises: 0004_import_batches
Create Date: 2026-11-29 16:00:00.000000

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0004_revisions"
down_revision = "0004_import_batches"
branch_labels = None
depends_on = None

OLD_TRIGGERS = (
    "turns_search_insert",
    "turns_search_update",
    "turns_search_delete",
    "posts_search_title",
    "posts_search_publish",
    "posts_search_unpublish",
    "posts_search_delete",
)
# An external-content index over search_entries: the service writes entries, these keep
# the FTS5 table in step.
SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE search_index USING fts5(
        body, content = 'search_entries', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER search_entries_insert AFTER INSERT ON search_entries BEGIN
        INSERT INTO search_index(rowid, body) VALUES (new.id, new.body); END""",
    """CREATE TRIGGER search_entries_delete AFTER DELETE ON search_entries BEGIN
        INSERT INTO search_index(search_index, rowid, body)
        VALUES ('delete', old.id, old.body); END""",
]
POSTGRES_SEARCH = [
    "ALTER TABLE turns DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
    """ALTER TABLE search_entries ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('english', coalesce(body, ''))) STORED""",
    "CREATE INDEX ix_search_entries_search_vector ON search_entries USING gin (search_vector)",
]


def upgrade():
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column(
            "series_id", sa.Integer(), sa.ForeignKey("series.id", ondelete="SET NULL")
        ),
        sa.Column("series_position", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_revisions_post_id", "revisions", ["post_id"])
    op.create_table(
        "revision_tags",
        sa.Column(
            "revision_id",
            sa.Integer(),
            sa.ForeignKey("revisions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "tag_id", sa.Integer(), sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "search_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("turn_number", sa.Integer()),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_search_entries_post_id", "search_entries", ["post_id"])
    # A plain column: adding a constraint would make SQLite rebuild `posts`, and a rebuild
    # under enforced foreign keys would empty every table that cascades from it. Revisions
    # are deleted only with their post, so the pointer cannot dangle.
    op.add_column("posts", sa.Column("published_revision_id", sa.Integer()))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in OLD_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_index")
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    else:
        for statement in POSTGRES_SEARCH:
            op.execute(statement)
    first_revisions(bind)


def first_revisions(bind) -> None:
    """Every published or unlisted post gets revision 1: what readers saw before the upgrade."""
    from blog.posts.revisions import snapshot_data

    posts = bind.execute(
        sa.text(
            "SELECT id, title, summary, model_name, license, how_made, source_kind, status, "
            "conversation_at, series_id, series_position, updated_at FROM posts "
            "WHERE status IN ('published', 'unlisted') ORDER BY id"
        )
    ).all()
    for post in posts:
        turns = bind.execute(
            sa.text(
                "SELECT id, position, role, speaker, model, source, html, text, words, "
                "excluded, reviewed, original_source, alternatives_json, created_at "
                "FROM turns WHERE post_id = :id ORDER BY position"
            ),
            {"id": post.id},
        ).all()
        tags = bind.execute(
            sa.text(
                "SELECT tags.id, tags.name, tags.slug FROM tags JOIN post_tags "
                "ON post_tags.tag_id = tags.id WHERE post_tags.post_id = :id ORDER BY tags.name"
            ),
            {"id": post.id},
        ).all()
        series = bind.execute(
            sa.text("SELECT title, slug FROM series WHERE id = :id"), {"id": post.series_id}
        ).first()
        data = snapshot_data(post, turns, tags, series)
        revision_id = bind.execute(
            sa.text(
                "INSERT INTO revisions (post_id, number, created_at, note, status, title, "
                "series_id, series_position, data) VALUES (:post_id, 1, :at, :note, :status, "
                ":title, :series_id, :position, :data) RETURNING id"
            ),
            {
                "post_id": post.id,
                "at": post.updated_at,
                "note": "As published before revisions were kept",
                "status": post.status,
                "title": post.title,
                "series_id": post.series_id,
                "position": post.series_position or 0,
                "data": json.dumps(data, ensure_ascii=False),
            },
        ).scalar_one()
        bind.execute(
            sa.text("UPDATE posts SET published_revision_id = :rid WHERE id = :id"),
            {"rid": revision_id, "id": post.id},
        )
        for tag in tags:
            bind.execute(
                sa.text("INSERT INTO revision_tags (revision_id, tag_id) VALUES (:r, :t)"),
                {"r": revision_id, "t": tag.id},
            )
        if post.status == "published":
            index_entries(bind, post, data)


def index_entries(bind, post, data: dict) -> None:
    visible = [t for t in data["turns"] if not t["excluded"]]
    rows = [{"post_id": post.id, "n": None, "body": post.title}] + [
        {"post_id": post.id, "n": n, "body": t["text"] or t["source"]}
        for n, t in enumerate(visible, start=1)
    ]
    bind.execute(
        sa.text(
            "INSERT INTO search_entries (post_id, turn_number, body) VALUES (:post_id, :n, :body)"
        ),
        rows,
    )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("search_entries_insert", "search_entries_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_index")
    op.drop_column("posts", "published_revision_id")
    op.drop_table("search_entries")
    op.drop_table("revision_tags")
    op.drop_table("revisions")
    old_search(bind)


def old_search(bind) -> None:
    """The search of 0003: triggers on the live turns, filled again for published posts."""
    if bind.dialect.name != "sqlite":
        op.execute(
            """ALTER TABLE turns ADD COLUMN search_vector tsvector GENERATED ALWAYS AS
            (to_tsvector('english', coalesce(text, source, ''))) STORED"""
        )
        op.execute("CREATE INDEX ix_turns_search_vector ON turns USING gin (search_vector)")
        op.execute(
            """ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS
            (to_tsvector('english', coalesce(title, ''))) STORED"""
        )
        op.execute("CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)")
        return
    op.execute(
        """CREATE VIRTUAL TABLE search_index USING fts5(
        body, post_id UNINDEXED, turn_id UNINDEXED,
        tokenize = 'porter unicode61 remove_diacritics 2')"""
    )
    for statement in OLD_SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(
        """INSERT INTO search_index(rowid, body, post_id, turn_id)
        SELECT -id, title, id, NULL FROM posts WHERE status = 'published'"""
    )
    op.execute(
        """INSERT INTO search_index(rowid, body, post_id, turn_id)
        SELECT turns.id, coalesce(turns.text, turns.source), turns.post_id, turns.id
        FROM turns JOIN posts ON posts.id = turns.post_id WHERE posts.status = 'published'"""
    )


PUBLISHED = "(SELECT status FROM posts WHERE id = new.post_id) = 'published'"
OLD_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER turns_search_insert AFTER INSERT ON turns WHEN {PUBLISHED} BEGIN
    DELETE FROM search_index WHERE rowid = new.id;
    INSERT INTO search_index(rowid, body, post_id, turn_id)
    VALUES (new.id, coalesce(new.text, new.source), new.post_id, new.id); END""",
    f"""CREATE TRIGGER turns_search_update AFTER UPDATE OF source, text ON turns
    WHEN {PUBLISHED} BEGIN
    DELETE FROM search_index WHERE rowid = old.id;
    INSERT INTO search_index(rowid, body, post_id, turn_id)
    VALUES (new.id, coalesce(new.text, new.source), new.post_id, new.id); END""",
    """CREATE TRIGGER turns_search_delete AFTER DELETE ON turns BEGIN
    DELETE FROM search_index WHERE rowid = old.id; END""",
    """CREATE TRIGGER posts_search_title AFTER UPDATE OF title ON posts
    WHEN new.status = 'published' BEGIN
    DELETE FROM search_index WHERE rowid = -old.id;
    INSERT INTO search_index(rowid, body, post_id, turn_id)
    VALUES (-new.id, new.title, new.id, NULL); END""",
    """CREATE TRIGGER posts_search_publish AFTER UPDATE OF status ON posts
    WHEN new.status = 'published' AND old.status != 'published' BEGIN
    DELETE FROM search_index WHERE rowid = -new.id;
    DELETE FROM search_index WHERE rowid IN (SELECT id FROM turns WHERE post_id = new.id);
    INSERT INTO search_index(rowid, body, post_id, turn_id)
    VALUES (-new.id, new.title, new.id, NULL);
    INSERT INTO search_index(rowid, body, post_id, turn_id)
    SELECT id, coalesce(text, source), post_id, id FROM turns WHERE post_id = new.id; END""",
    """CREATE TRIGGER posts_search_unpublish AFTER UPDATE OF status ON posts
    WHEN old.status = 'published' AND new.status != 'published' BEGIN
    DELETE FROM search_index WHERE rowid = -old.id;
    DELETE FROM search_index WHERE rowid IN (SELECT id FROM turns WHERE post_id = old.id);
    END""",
    """CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
    DELETE FROM search_index WHERE rowid = -old.id; END""",
]
