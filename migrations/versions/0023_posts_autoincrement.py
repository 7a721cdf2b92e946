"""posts.id AUTOINCREMENT on SQLite: a deleted post's id is never given to a new post

A post's id is part of public, permanent addresses: its fediverse object id
`/fediverse/posts/<id>`, where a deleted post leaves a Tombstone, and which remote servers
remember (they drop a Create for an id they have seen). SQLite reuses the largest rowid once
its row is deleted; PostgreSQL's sequences never do. With AUTOINCREMENT SQLite never does
either, so the table is rebuilt with it, keeping every row, column, default, key and index
(posts has no triggers). Other tables' foreign keys name `posts`, so they point at the rebuilt
table; foreign key enforcement is off meanwhile, so dropping the old table cascades nothing.
Downgrading rebuilds it the same way, its key plain again.

The sequence then starts past every post id known to have existed, those of deleted posts
kept by the federation tables included, so an id freed before this migration is not reused.

Only `posts` needs it: turns, revisions and assets are addressed by their post (a turn or
revision id is looked up within its post, an asset by its token), and a post's revisions go
only with it.

Revision ID: 0023_posts_autoincrement
Revises: 0022_federation_delivery
Create Date: 2026-12-06 20:50:00.000000

"""

import re

from alembic import op

revision = "0023_posts_autoincrement"
down_revision = "0022_federation_delivery"
branch_labels = None
depends_on = None

# Tables keeping ids of posts that may be gone (no foreign key: they outlive their post).
DELETED_POST_IDS = (("fediverse_posts", "post_id"), ("fediverse_undelivered", "post_id"))

AUTOINCREMENT_KEY = "CONSTRAINT pk_posts PRIMARY KEY AUTOINCREMENT"
PLAIN_ID = re.compile(r"\bid INTEGER NOT NULL,")
AUTOINCREMENT_ID = re.compile(rf"\bid INTEGER NOT NULL {AUTOINCREMENT_KEY},")
TABLE_KEY = re.compile(r",\s*CONSTRAINT pk_posts PRIMARY KEY \(id\)")
FIRST_KEY = re.compile(r",(\s*)(CONSTRAINT fk_posts_author_id_users FOREIGN KEY)")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        rebuild_sqlite_posts(autoincrement=True)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        rebuild_sqlite_posts(autoincrement=False)


def rebuild_sqlite_posts(*, autoincrement: bool) -> None:
    """Rebuild posts from its stored CREATE TABLE, its key made AUTOINCREMENT or plain again."""
    connection = op.get_bind()
    (table_sql,) = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'posts'"
    ).one()
    if ("AUTOINCREMENT" in table_sql.upper()) == autoincrement:
        return
    rebuilt_sql = (autoincrementing if autoincrement else plain)(table_sql)
    indexes = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts'"
        " AND sql IS NOT NULL"
    ).all()
    triggers = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'posts'"
    ).all()
    sqlite = connection.connection.dbapi_connection
    # SQLite ignores PRAGMA foreign_keys inside a transaction: end the one the earlier
    # migrations opened (the database is whole at their revision there), and rebuild in one.
    if sqlite.in_transaction:
        sqlite.commit()
    sqlite.execute("PRAGMA foreign_keys = OFF")
    try:
        sqlite.execute("BEGIN")
        sqlite.execute(rebuilt_sql)
        columns = ", ".join(
            f'"{row[1]}"' for row in sqlite.execute('PRAGMA table_info("posts")').fetchall()
        )
        sqlite.execute(f"INSERT INTO posts_rebuilt ({columns}) SELECT {columns} FROM posts")
        sqlite.execute("DROP TABLE posts")
        sqlite.execute("ALTER TABLE posts_rebuilt RENAME TO posts")
        for (statement,) in indexes + triggers:
            sqlite.execute(statement)
        if autoincrement:
            sqlite.execute("DELETE FROM sqlite_sequence WHERE name = 'posts'")
            sqlite.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('posts', ?)", (largest(sqlite),)
            )
        broken = sqlite.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rebuilding posts broke foreign keys: {broken}")
        sqlite.commit()
    except BaseException:
        sqlite.rollback()
        raise
    finally:
        sqlite.execute("PRAGMA foreign_keys = ON")


def autoincrementing(table_sql: str) -> str:
    """posts_rebuilt as posts is, its key declared on the id column with AUTOINCREMENT."""
    rebuilt, changes = renamed(table_sql)
    rebuilt, changes[1] = PLAIN_ID.subn(f"id INTEGER NOT NULL {AUTOINCREMENT_KEY},", rebuilt, 1)
    rebuilt, changes[2] = TABLE_KEY.subn("", rebuilt)
    return checked(rebuilt, changes, table_sql)


def plain(table_sql: str) -> str:
    """posts_rebuilt as 0001 made posts: the key a table constraint before the foreign keys."""
    rebuilt, changes = renamed(table_sql)
    rebuilt, changes[1] = AUTOINCREMENT_ID.subn("id INTEGER NOT NULL,", rebuilt, 1)
    rebuilt, changes[2] = FIRST_KEY.subn(
        r",\1CONSTRAINT pk_posts PRIMARY KEY (id),\1\2", rebuilt, 1
    )
    return checked(rebuilt, changes, table_sql)


def renamed(table_sql: str) -> tuple[str, list[int]]:
    rebuilt, count = re.subn(r'^CREATE TABLE "?posts"?', "CREATE TABLE posts_rebuilt", table_sql)
    return rebuilt, [count, 0, 0]


def checked(rebuilt: str, changes: list[int], table_sql: str) -> str:
    if changes != [1, 1, 1]:
        raise RuntimeError(f"posts is not as the migrations made it:\n{table_sql}")
    return rebuilt


def largest(sqlite) -> int:
    """The largest post id ever given, as far as the database remembers one."""
    found = [sqlite.execute("SELECT max(id) FROM posts").fetchone()[0]]
    for table, column in DELETED_POST_IDS:
        found.append(sqlite.execute(f"SELECT max({column}) FROM {table}").fetchone()[0])
    return max((value for value in found if value is not None), default=0)
