"""Turn rows written in large batches: the driver's executemany, or COPY on PostgreSQL."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from operator import itemgetter

from sqlalchemy import Connection, Dialect, insert
from sqlalchemy.exc import DBAPIError

from ..models import Turn

# Turn rows (of one post or several) inserted with one statement.
BATCH = 5000
TURN_COLUMNS = (
    "post_id",
    "position",
    "role",
    "speaker",
    "model",
    "source",
    "text_format",
    "html",
    "text",
    "words",
    "render_key",
    "original_source",
    "alternatives_json",
    "reviewed",
    "excluded",
    "created_at",
    "version",
)
# A prepared row: every column but the post's, which is known only once the post is written.
ROW_COLUMNS = TURN_COLUMNS[1:]
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_TURN_VALUES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class TurnValues:
    """Turn rows as one database's driver takes them: tuples in ROW_COLUMNS order, each value
    converted as SQLAlchemy would bind it (UTC timestamps, booleans, NULs replaced by the
    column type), so an import converts a row while it reads its file and writes whole
    batches with the driver's executemany, or COPY on PostgreSQL, with no per-row work.

    For a driver whose parameter style this does not write, the rows stay plain and go through
    SQLAlchemy's own INSERT.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
        quote = dialect.identifier_preparer.quote
        table = dialect.identifier_preparer.format_table(Turn.__table__)
        self.statement = (
            None
            if placeholder is None
            else f"INSERT INTO {table} ({', '.join(quote(name) for name in TURN_COLUMNS)}) "
            f"VALUES ({', '.join([placeholder] * len(TURN_COLUMNS))})"
        )
        self.processors = {}
        if placeholder is not None:
            for name in ROW_COLUMNS:
                column_type = Turn.__table__.c[name].type.dialect_impl(dialect)
                if processor := column_type.bind_processor(dialect):
                    self.processors[ROW_COLUMNS.index(name)] = processor
        self.plain = itemgetter(*ROW_COLUMNS)
        self.render_key_at = ROW_COLUMNS.index("render_key")

    def of(self, row: dict) -> tuple:
        """A row (a dict with every column of ROW_COLUMNS) as the driver takes it."""
        if not self.processors:
            return self.plain(row)
        converted = list(self.plain(row))
        for index, processor in self.processors.items():
            converted[index] = processor(converted[index])
        return tuple(converted)

    def replaced(self, values: tuple, **fields: object) -> tuple:
        """`values` with some columns given new values (converted the same way)."""
        converted = list(values)
        for name, value in fields.items():
            index = ROW_COLUMNS.index(name)
            processor = self.processors.get(index)
            converted[index] = processor(value) if processor else value
        return tuple(converted)

    def write(self, connection: Connection, rows: Iterable[tuple[int, list[tuple]]]) -> None:
        """Insert each post's rows (`(post_id, its converted rows)`)."""
        chunk: list[tuple] = []
        for post_id, values in rows:
            chunk.extend((post_id, *each) for each in values)
            if len(chunk) >= BATCH:
                self._insert(connection, chunk)
                chunk = []
        if chunk:
            self._insert(connection, chunk)

    def _insert(self, connection: Connection, chunk: list[tuple]) -> None:
        if self.statement is None:
            connection.execute(
                insert(Turn), [dict(zip(TURN_COLUMNS, row, strict=True)) for row in chunk]
            )
        elif self.dialect.driver == "psycopg":
            copy_turns(connection, chunk)
        else:
            connection.exec_driver_sql(self.statement, chunk)


def turn_values(dialect: Dialect) -> TurnValues:
    """The dialect's `TurnValues`, made once."""
    if dialect not in _TURN_VALUES:
        _TURN_VALUES[dialect] = TurnValues(dialect)
    return _TURN_VALUES[dialect]


def copy_turns(connection: Connection, rows: Iterable[tuple]) -> None:
    """Write turn rows with PostgreSQL's COPY, which is faster than INSERT for many rows."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    statement = (
        f"COPY {dialect.identifier_preparer.format_table(Turn.__table__)} "
        f"({', '.join(quote(name) for name in TURN_COLUMNS)}) FROM STDIN"
    )
    error = dialect.loaded_dbapi.Error
    try:
        with (
            connection.connection.driver_connection.cursor() as cursor,
            cursor.copy(statement) as copy,
        ):
            for row in rows:
                copy.write_row(row)
    except error as exc:
        # Raised as SQLAlchemy raises driver errors for every other statement.
        raise DBAPIError.instance(statement, None, exc, error, dialect=dialect) from exc
