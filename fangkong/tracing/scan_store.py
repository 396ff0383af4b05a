"""Writing and purging venue scans: one adapter per database behind the same functions.

PostgreSQL: the rows are COPYed into a temporary table and moved into the day partitions by one
INSERT … SELECT that skips a `source_id` already stored (the platform exports overlapping
files). SQLite: one executemany of the same guarded INSERT. Both run inside the caller's
transaction; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.db import connection

TABLE = "tracing_venuescan"
COLUMNS = (
    "venue_id",
    "scanned_at",
    "source_id",
    "document_type",
    "document_cipher",
    "document_index",
    "document_masked",
)


class ScanRow(NamedTuple):
    venue_id: int
    scanned_at: dt.datetime  # aware, whole seconds
    source_id: str
    document_type: str
    document_cipher: str
    document_index: str
    document_masked: str


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_day(moment: dt.datetime) -> dt.date:
    """The day (in the district's time zone) whose partition holds a scan at `moment`."""
    return moment.astimezone(_zone()).date()


def partition_name(day: dt.date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=_zone())
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=_zone())


def ensure_partitions(days: Iterable[dt.date]) -> int:
    """Create the missing day partitions on PostgreSQL; the number created (0 on SQLite)."""
    if not _postgres():
        return 0
    created = 0
    with connection.cursor() as cursor:
        for day in sorted(set(days)):
            name = partition_name(day)
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if cursor.fetchone()[0]:
                continue
            # Two importers starting the same day wait for each other instead of failing.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
            start, end = _day_bounds(day)
            # Names and bounds come from a date, never from input: DDL takes no parameters.
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{TABLE}" '
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            created += 1
    return created


COPY_SLICE = 10_000
# COPY's text format: these characters in a value are written as escapes.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = frozenset("\\\t\n\r")


def _copy_text(value: str) -> str:
    return value.translate(_COPY_ESCAPES) if not _NEEDS_ESCAPE.isdisjoint(value) else value


def _copy_line(row: ScanRow) -> str:
    """One row as a line of COPY text: text from outside is escaped; the cipher (base64) and
    the index (hex) need no escapes."""
    return (
        f"{row.venue_id}\t{row.scanned_at.isoformat()}\t{_copy_text(row.source_id)}\t"
        f"{_copy_text(row.document_type)}\t{row.document_cipher}\t{row.document_index}\t"
        f"{_copy_text(row.document_masked)}\n"
    )


def write_scans(rows: Sequence[ScanRow]) -> int:
    """Insert the rows whose `source_id` is not stored yet; the number inserted.

    A `source_id` repeated inside `rows` is inserted once (its first row).
    """
    if not rows:
        return 0
    ensure_partitions(local_day(r.scanned_at) for r in rows)
    return _write_postgres(rows) if _postgres() else _write_sqlite(rows)


STAGING_SQL = """
CREATE TEMPORARY TABLE IF NOT EXISTS tracing_scan_staging (
    n bigserial,
    venue_id bigint NOT NULL,
    scanned_at timestamp with time zone NOT NULL,
    source_id varchar(64) NOT NULL,
    document_type varchar(20) NOT NULL,
    document_cipher text NOT NULL,
    document_index varchar(40) NOT NULL,
    document_masked varchar(32) NOT NULL
) ON COMMIT DELETE ROWS
"""


def _write_postgres(rows: Sequence[ScanRow]) -> int:
    cols = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(STAGING_SQL)
        raw = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
        with raw.copy(f"COPY tracing_scan_staging ({cols}) FROM STDIN") as copy:
            # One block of COPY text per slice, not a call per row: the rows' Python work is
            # what limits the import, not the server.
            for start in range(0, len(rows), COPY_SLICE):
                copy.write("".join(map(_copy_line, rows[start : start + COPY_SLICE])))
        cursor.execute(
            f"INSERT INTO {TABLE} ({cols}) "  # noqa: S608 - fixed names
            f"SELECT DISTINCT ON (s.source_id) {', '.join('s.' + c for c in COLUMNS)} "
            "FROM tracing_scan_staging s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} t WHERE t.source_id = s.source_id) "
            "ORDER BY s.source_id, s.n "
            "ON CONFLICT DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute("TRUNCATE tracing_scan_staging")
    return inserted


def sqlite_time(moment: dt.datetime) -> str:
    # The text Django writes for an aware time on SQLite: UTC, no offset, whole seconds here.
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "seconds")


def _write_sqlite(rows: Sequence[ScanRow]) -> int:
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql = (
        f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) SELECT {placeholders} "  # noqa: S608 - fixed names
        f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} WHERE source_id = %s)"
    )
    params = [(r[0], sqlite_time(r[1]), *r[2:], r.source_id) for r in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount


class PurgeResult(NamedTuple):
    days_dropped: int
    rows_deleted: int


def purge_before(cutoff: dt.datetime) -> PurgeResult:
    """Remove every scan entered before `cutoff`: whole day partitions on PostgreSQL, then the
    rows left in the day that straddles the cutoff."""
    dropped = 0
    with connection.cursor() as cursor:
        if _postgres():
            # A partition cannot be dropped while its new rows' deferred foreign-key checks
            # wait for the commit (an import and a purge in one transaction): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name in _partitions_ending_by(cursor, cutoff):
                cursor.execute(f'DROP TABLE "{name}"')
                dropped += 1
        param = cutoff if _postgres() else sqlite_time(cutoff)
        cursor.execute(f"DELETE FROM {TABLE} WHERE scanned_at < %s", [param])  # noqa: S608
        return PurgeResult(dropped, cursor.rowcount)


def _partitions_ending_by(cursor, cutoff: dt.datetime) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [TABLE],
    )
    prefix = f"{TABLE}_p"
    out = []
    for (name,) in cursor.fetchall():
        if not name.startswith(prefix):
            continue
        day = dt.datetime.strptime(name.removeprefix(prefix), "%Y%m%d").date()
        if _day_bounds(day)[1] <= cutoff:
            out.append(name)
    return sorted(out)


def partition_days() -> list[dt.date]:
    """The days that have a partition (PostgreSQL); empty on SQLite."""
    if not _postgres():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        prefix = f"{TABLE}_p"
        return sorted(
            dt.datetime.strptime(n.removeprefix(prefix), "%Y%m%d").date()
            for (n,) in cursor.fetchall()
        )
