"""Turn rows written in large batches: the driver's executemany, or COPY on PostgreSQL."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from operator import itemgetter

from sqlalchemy import Connection, Dialect, insert
from sqlalchemy.exc import DBAPIError

from ..models import Turn

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
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_TURN_INSERTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def write_turn_rows(connection: Connection, rows: list[dict]) -> None:
    """Insert the rows (each with every column of TURN_COLUMNS)."""
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        dialect = connection.dialect
        prepared = turn_insert(dialect)
        if prepared is None:
            connection.execute(insert(Turn), chunk)
        elif dialect.driver == "psycopg":
            copy_turns(connection, map(prepared[1], chunk))
        else:
            statement, values = prepared
            connection.exec_driver_sql(statement, list(map(values, chunk)))


def turn_insert(dialect: Dialect) -> tuple[str, Callable[[dict], tuple]] | None:
    """A driver-level INSERT for turn rows and a function that gives a row's values for it
    (None for a driver whose parameter style it does not write).

    Each value is converted as SQLAlchemy would bind it (UTC timestamps, booleans, NULs
    replaced by the column type), so whole batches go to the driver's executemany without
    per-row statement handling.
    """
    if dialect in _TURN_INSERTS:
        return _TURN_INSERTS[dialect]
    placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
    if placeholder is None:
        _TURN_INSERTS[dialect] = None
        return None
    quote = dialect.identifier_preparer.quote
    table = dialect.identifier_preparer.format_table(Turn.__table__)
    statement = (
        f"INSERT INTO {table} ({', '.join(quote(name) for name in TURN_COLUMNS)}) "
        f"VALUES ({', '.join([placeholder] * len(TURN_COLUMNS))})"
    )
    processors = [
        (index, processor)
        for index, name in enumerate(TURN_COLUMNS)
        if (processor := Turn.__table__.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    plain = itemgetter(*TURN_COLUMNS)

    def values(row: dict) -> tuple:
        converted = list(plain(row))
        for index, processor in processors:
            converted[index] = processor(converted[index])
        return tuple(converted)

    _TURN_INSERTS[dialect] = statement, values
    return statement, values


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
