"""Plain SQL for the few paths that run for every sample of a 25-million-person round.

The ORM's query building costs more than these queries, so sample registration writes SQL
by hand with the helpers below. On PostgreSQL a list travels as one parameter (an array for
`= ANY`, a JSON document for rows): the statement's text stays the same whatever the batch
size, and psycopg, which dumps a list element by element in Python, has one string to send.

Measured and left out, on loopback with two cores: server-side binding with prepared
statements (planning each run anew, which a new round's changing tables need, cost the
backend more than parsing saved) and psycopg pipelines (their Python bookkeeping cost more
than the round trips they saved).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from django.db import connection


def _postgres() -> bool:
    return connection.vendor == "postgresql"


_INTEGER_KINDS = frozenset({"bigint", "integer", "smallint"})


def array_literal(values: Sequence, kind: str) -> str:
    """`values` in PostgreSQL's array syntax, for one text parameter cast to `kind[]`.

    psycopg adapts a list element by element in Python (a third of a millisecond for the
    six lists of a 20-sample batch); joined here, the one string is quoted in C. Integers
    are written as such (`int()` refuses anything else); every other element is double-quoted
    with its backslashes and double quotes escaped, so commas, braces, spaces and NULL-like
    words stay data."""
    if kind in _INTEGER_KINDS:
        return "{" + ",".join([str(int(v)) for v in values]) + "}"
    if not values:
        return "{}"
    return (
        '{"' + '","'.join([str(v).replace("\\", "\\\\").replace('"', '\\"') for v in values]) + '"}'
    )


def member_of(column: str, values: Sequence, kind: str) -> tuple[str, list]:
    """`column` is one of `values` (of PostgreSQL type `kind`): the SQL and its parameters.
    An empty list matches nothing on both databases."""
    if _postgres():
        return f"{column} = ANY(%s::{kind}[])", [array_literal(values, kind)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _json_value(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def insert(table: str, columns: dict[str, str], rows: Sequence[tuple], tail: str = "") -> tuple:
    """INSERT of `rows` into `table`; `columns` maps each column to its PostgreSQL type.

    On PostgreSQL the rows travel as one JSON document, dumped by the json module in C
    (as 11 arrays, a 20-sample batch took 0.3 ms of Python to send)."""
    names = ", ".join(columns)
    if _postgres():
        values = ", ".join(f"(r->>{i})::{kind}" for i, kind in enumerate(columns.values()))
        sql = f"INSERT INTO {table} ({names}) SELECT {values} FROM jsonb_array_elements(%s::jsonb) AS r {tail}"  # noqa: S608 - names from the caller's code
        document = json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))
        return sql, [document]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(rows))} {tail}"  # noqa: S608 - names from the caller's code
    return sql, [value for row in rows for value in row]
