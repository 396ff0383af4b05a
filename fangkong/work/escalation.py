"""The escalation ladder the clock sweeps share: an overdue item climbs the area tree.

A item one moment past its deadline is at level 1 (its own area); each further `step` it
stays overdue takes it one node up (community, sub-district, district), never above its
area's depth. The sweeps read only the items whose next level has come and write the new
levels' tasks in a few set-based statements, so a sweep over a district's backlog costs
what the items it moves cost, not what the table holds.

An item found several levels late (a backlog, a sweep that did not run for hours) gets a
task at every level it passed, as a sweep run every minute would have left it: the grid
keeps its task while the community's and the sub-district's are opened above it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from fangkong.core.areas import LEVELS, AreaCode
from fangkong.core.db import bulk

from .models import Task, TaskState

INSERT_BATCH = 2000


def escalation_area(area_code: str, level: int) -> str:
    """Level 1 is the item's own area; each level above it is the next node up."""
    area = AreaCode(area_code)
    for _step in range(level - 1):
        area = area.parent or area
    return area


def target_level(area_code: str, due: dt.datetime, now: dt.datetime, step: dt.timedelta) -> int:
    """The level an item overdue since `due` has reached at `now`."""
    return min(1 + int((now - due) / step), AreaCode(area_code).depth)


def due_for_escalation(now: dt.datetime, step: dt.timedelta) -> Q:
    """Items whose next level has come: level L + 1 is reached L steps after the deadline,
    and never above the item's own area's depth (a code is six digits and four characters
    more per level below the district). Items already at their level are not read at all.
    Needs `code_length` aliased to the area code's length."""
    ladder = Q(escalation_level=0)
    for level in range(1, len(LEVELS)):
        ladder |= Q(
            escalation_level=level,
            due_at__lte=now - level * step,
            code_length__gt=6 + 4 * (level - 1),
        )
    # The plain range first: the deadline index narrows the read to the overdue items,
    # which SQLite's planner does not do for the branches of the ladder alone.
    return Q(due_at__lt=now) & ladder


class NewTask(NamedTuple):
    """A task to write; a tuple, as a backlog makes tens of thousands of them."""

    key: str
    kind: str
    title: str
    area_code: str
    due_at: dt.datetime
    detail: dict | None = None
    assignee_id: int | None = None


_COLUMNS = {
    "created_at": "timestamptz",
    "updated_at": "timestamptz",
    "key": "text",
    "kind": "text",
    "title": "text",
    "detail": "jsonb",
    "area_code": "text",
    "assignee_id": "bigint",
    "state": "text",
    "due_at": "timestamptz",
}


def write_tasks(tasks: Sequence[NewTask], *, now: dt.datetime | None = None) -> None:
    """Insert the tasks whose key is new, in batches of plain multi-row INSERTs; a key already
    there (a re-run, a racing sweep) is left as it is. A backlog's thousands of tasks cost
    the ORM more in building statements than the database in writing them."""
    if not tasks:
        return
    ops = connection.ops
    postgres = connection.vendor == "postgresql"
    instants: dict[dt.datetime, object] = {}

    def instant(value: dt.datetime):
        # A sweep's tasks share one or two instants: each is converted once.
        if value not in instants:
            adapted = ops.adapt_datetimefield_value(value)
            instants[value] = adapted.isoformat() if postgres else adapted
        return instants[value]

    stamp = instant(now or timezone.now())
    rows = [
        (
            stamp,
            stamp,
            t.key,
            t.kind,
            t.title[:200],
            # PostgreSQL's rows travel as one JSON document: the detail goes inside it as it
            # is; SQLite stores JSON text.
            (t.detail or {}) if postgres else json.dumps(t.detail or {}, cls=DjangoJSONEncoder),
            t.area_code,
            t.assignee_id,
            TaskState.OPEN.value,
            instant(t.due_at),
        )
        for t in tasks
    ]
    table = ops.quote_name(Task._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            sql, params = bulk.insert(
                table, _COLUMNS, rows[start : start + INSERT_BATCH], "ON CONFLICT DO NOTHING"
            )
            cursor.execute(sql, params)


class Climb(NamedTuple):
    """An item's climb from level `first` to `last`: one task per level, keyed
    `<stem>:<level>`, in `areas[level - 1]`, its detail `detail` with the level added."""

    stem: str
    title: str
    areas: Sequence[str]
    first: int
    last: int
    detail: dict


def ladder_areas(area_code: str) -> list[str]:
    """The area of each level, level 1 (the item's own area) first: `escalation_area` of
    every level up to the district, in one pass."""
    return AreaCode(area_code).lineage[::-1]


# The database spreads each climb over its levels: a backlog's items are sent once each,
# not once per level, and the task rows are built where they are written.
_CLIMBS_SQL = {
    "postgresql": (
        "INSERT INTO {table} (created_at, updated_at, key, kind, title, detail, area_code,"
        " assignee_id, state, due_at)"
        " SELECT %s, %s, (c->>0) || ':' || n, %s, c->>1, (c->5) || jsonb_build_object('level', n),"
        " c->2->>(n - 1), NULL, %s, %s"
        " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS climbs(c, i)"
        " CROSS JOIN LATERAL generate_series((c->>3)::int, (c->>4)::int) AS n"
        " ORDER BY i, n ON CONFLICT DO NOTHING"
    ),
    # SQLite's upsert after INSERT … SELECT needs the SELECT's WHERE to tell it from a join.
    "sqlite": (
        "INSERT INTO {table} (created_at, updated_at, key, kind, title, detail, area_code,"
        " assignee_id, state, due_at)"
        " SELECT %s, %s, json_extract(c.value, '$[0]') || ':' || s.n, %s,"
        " json_extract(c.value, '$[1]'), json_set(json_extract(c.value, '$[5]'), '$.level', s.n),"
        " json_extract(c.value, '$[2][' || (s.n - 1) || ']'), NULL, %s, %s"
        " FROM json_each(%s) AS c JOIN ({levels}) AS s"
        " ON s.n BETWEEN json_extract(c.value, '$[3]') AND json_extract(c.value, '$[4]')"
        " WHERE true ORDER BY c.key, s.n ON CONFLICT DO NOTHING"
    ),
}
_LEVELS_SQL = " UNION ALL ".join(f"SELECT {n} AS n" for n in range(1, len(LEVELS) + 1))


def write_climbs(
    climbs: Sequence[Climb], *, kind: str, due_at: dt.datetime, now: dt.datetime
) -> None:
    """Insert a task for every level of every climb whose key is new, in one statement; a
    key already there (a re-run, a racing sweep) is left as it is. The tasks are open, of
    `kind`, due at `due_at` and unassigned."""
    if not climbs:
        return
    ops = connection.ops
    document = json.dumps(
        [[c.stem, c.title, list(c.areas), c.first, c.last, c.detail] for c in climbs],
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    sql = _CLIMBS_SQL["postgresql" if connection.vendor == "postgresql" else "sqlite"].format(
        table=ops.quote_name(Task._meta.db_table), levels=_LEVELS_SQL
    )
    stamp = ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                stamp,
                stamp,
                kind,
                TaskState.OPEN.value,
                ops.adapt_datetimefield_value(due_at),
                document,
            ],
        )
