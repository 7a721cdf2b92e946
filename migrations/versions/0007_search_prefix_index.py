"""search prefix index: a search for the start of a word reads one list, not every word's

Without a prefix index FTS5 answers "fun*" by merging the postings of every word that starts
with "fun", all of them, in memory, before the newest can be taken; with 3- and 4-character
prefixes indexed (the shortest prefixes a search accepts, which match the most words) it reads
one list, as for a whole word. Longer prefixes match few enough words to merge. The index
grows by about a third. PostgreSQL answers prefixes from its GIN index already.

Revision ID: 0007_search_prefix_index
Revises: 0004_revisions
Create Date: 2026-11-29 18:30:00.000000

"""

from alembic import op

revision = "0007_search_prefix_index"
down_revision = "0004_revisions"
branch_labels = None
depends_on = None

# The triggers on search_entries name the index by its name alone, so they keep it in step
# once it is created again.
SQLITE_SEARCH_INDEX = """CREATE VIRTUAL TABLE search_index USING fts5(
    body, content = 'search_entries', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'{options})"""


def upgrade():
    recreate_sqlite_index(", prefix = '3 4'")


def downgrade():
    recreate_sqlite_index("")


def recreate_sqlite_index(options: str) -> None:
    """FTS5 takes its options only when the table is created: create it again, then fill it
    from the entries it indexes."""
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS search_index")
    op.execute(SQLITE_SEARCH_INDEX.format(options=options))
    op.execute("INSERT INTO search_index(search_index) VALUES ('rebuild')")
