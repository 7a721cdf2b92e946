"""turns keep their plain text and word count; search reads it; every turn rendered again

Revision ID: 0003_turn_plain_text
Revises: 0002
Create Date: 2026-11-29 15:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0003_turn_plain_text"
down_revision = "0002"
branch_labels = None
depends_on = None

PUBLISHED = "(SELECT status FROM posts WHERE id = new.post_id) = 'published'"
SEARCH_TRIGGERS = ("turns_search_insert", "turns_search_update", "posts_search_publish")


def sqlite_triggers(body: str, columns: str) -> list[str]:
    """The search triggers that copy a turn's words into the index, reading `body`."""
    return [
        f"""CREATE TRIGGER turns_search_insert AFTER INSERT ON turns WHEN {PUBLISHED} BEGIN
        DELETE FROM search_index WHERE rowid = new.id;
        INSERT INTO search_index(rowid, body, post_id, turn_id)
        VALUES (new.id, {body.format(row="new")}, new.post_id, new.id); END""",
        f"""CREATE TRIGGER turns_search_update AFTER UPDATE OF {columns} ON turns
        WHEN {PUBLISHED} BEGIN
        DELETE FROM search_index WHERE rowid = old.id;
        INSERT INTO search_index(rowid, body, post_id, turn_id)
        VALUES (new.id, {body.format(row="new")}, new.post_id, new.id); END""",
        f"""CREATE TRIGGER posts_search_publish AFTER UPDATE OF status ON posts
        WHEN new.status = 'published' AND old.status != 'published' BEGIN
        DELETE FROM search_index WHERE rowid = -new.id;
        DELETE FROM search_index WHERE rowid IN (SELECT id FROM turns WHERE post_id = new.id);
        INSERT INTO search_index(rowid, body, post_id, turn_id)
        VALUES (-new.id, new.title, new.id, NULL);
        INSERT INTO search_index(rowid, body, post_id, turn_id)
        SELECT id, {body.format(row="turns")}, post_id, id FROM turns WHERE post_id = new.id; END""",
    ]


def postgres_search(body: str) -> list[str]:
    return [
        "DROP INDEX IF EXISTS ix_turns_search_vector",
        "ALTER TABLE turns DROP COLUMN IF EXISTS search_vector",
        f"""ALTER TABLE turns ADD COLUMN search_vector tsvector
            GENERATED ALWAYS AS (to_tsvector('english', {body})) STORED""",
        "CREATE INDEX ix_turns_search_vector ON turns USING gin (search_vector)",
    ]


def index_from(body: str, columns: str, postgres_body: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SEARCH_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in sqlite_triggers(body, columns):
            op.execute(statement)
        op.execute("DELETE FROM search_index WHERE turn_id IS NOT NULL")
        op.execute(
            f"""INSERT INTO search_index(rowid, body, post_id, turn_id)
            SELECT turns.id, {body.format(row="turns")}, turns.post_id, turns.id
            FROM turns JOIN posts ON posts.id = turns.post_id
            WHERE posts.status = 'published'"""
        )
    else:
        for statement in postgres_search(postgres_body):
            op.execute(statement)


def upgrade():
    op.add_column("turns", sa.Column("text", sa.Text(), nullable=True))
    op.add_column("turns", sa.Column("words", sa.Integer(), nullable=True))
    # Search shows snippets of what readers see, not the Markdown source.
    index_from(
        "coalesce({row}.text, {row}.source)", "source, text", "coalesce(text, source, '')"
    )
    # Stored HTML came from the old renderer (python-markdown): rebuild it and fill the new
    # columns, so no page shows the old rendering or raw Markdown after the upgrade.
    from blog.posts.rerender import rerender_turns

    def progress(done, total):
        print(f"  rendered {done} of {total} turns", flush=True)

    count = rerender_turns(op.get_bind(), progress=progress)
    if count:
        print(f"Rendered {count} turn(s) with the CommonMark reader.", flush=True)


def downgrade():
    index_from("{row}.source", "source", "coalesce(source, '')")
    op.drop_column("turns", "words")
    op.drop_column("turns", "text")
