"""Plain SQL for the few paths that run for every sample of a 25-million-person round.

The ORM's query building costs more than these queries, so sample registration writes SQL
by hand with the helpers below. On PostgreSQL three things make a statement cheap:

- A list travels as one parameter (an array for `= ANY`, a JSON document for rows): the
  statement's text stays the same whatever the batch size.
- Parameters travel apart from the SQL (settings.POSTGRES_OPTIONS), so psycopg prepares
  each statement once per connection and PostgreSQL stops parsing and planning it on every
  batch.
- Statements that do not need each other's results are sent together in a pipeline: one
  round trip instead of one each, which on a busy two-core machine was a third of the time.

On SQLite the database runs inside the process: the same statements simply run one by one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Sequence

from django.db import connection


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def member_of(column: str, values: Sequence, kind: str) -> tuple[str, list]:
    """`column` is one of `values` (of PostgreSQL type `kind`): the SQL and its parameters.
    An empty list matches nothing on both databases."""
    if _postgres():
        return f"{column} = ANY(%s::{kind}[])", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _json_value(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def insert(table: str, columns: dict[str, str], rows: Sequence[tuple], tail: str = "") -> tuple:
    """INSERT of `rows` into `table`; `columns` maps each column to its PostgreSQL type.

    On PostgreSQL the rows travel as one JSON document: psycopg dumps lists element by
    element in Python (0.3 ms for a 20-sample batch), the json module in C."""
    names = ", ".join(columns)
    if _postgres():
        values = ", ".join(f"(r->>{i})::{kind}" for i, kind in enumerate(columns.values()))
        sql = f"INSERT INTO {table} ({names}) SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS r {tail}"  # noqa: S608 - names from the caller's code
        document = json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))
        return sql, [document]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(rows))} {tail}"  # noqa: S608 - names from the caller's code
    return sql, [value for row in rows for value in row]


class Statements:
    """Statements sent together. Read their rows with `rows()` inside the `statements()`
    block, after the last one is sent: the first read sends them all."""

    def __init__(self) -> None:
        self._cursors: list = []

    def run(self, sql: str, params: Sequence = ()):
        """Send one statement; its rows are read later with `rows()`."""
        cursor = connection.cursor()
        self._cursors.append(cursor)
        cursor.execute(sql, params)
        if _postgres():
            return cursor
        # sqlite3 loses the rest of a RETURNING statement's rows once another statement
        # runs on the connection: read them now.
        return _Read(cursor.fetchall())

    def run_many(self, sql: str, params: Sequence[Sequence]) -> None:
        cursor = connection.cursor()
        self._cursors.append(cursor)
        cursor.executemany(sql, params)

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()


class _Read:
    def __init__(self, rows: list[tuple]) -> None:
        self._rows = rows

    def fetchall(self) -> list[tuple]:
        return self._rows


def rows(cursor) -> list[tuple]:
    return list(cursor.fetchall())


@contextlib.contextmanager
def statements() -> Iterator[Statements]:
    """A group of statements that need none of each other's results.

    On PostgreSQL they go out in one pipeline; an error in any of them (a unique key a
    concurrent batch took first) is raised as Django's own error when the block ends, and
    the enclosing transaction rolls back as usual.
    """
    group = Statements()
    try:
        if not _postgres():
            yield group
            return
        # Django's per-request health check runs on a first cursor, outside the pipeline.
        connection.cursor().close()
        with connection.wrap_database_errors, connection.connection.pipeline():
            yield group
    finally:
        group.close()
