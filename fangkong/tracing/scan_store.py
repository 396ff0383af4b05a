"""Writing and purging venue scans: one adapter per database behind the same functions.

A `source_id` already stored is skipped (the platform exports overlapping files). On
PostgreSQL each batch claims its new ids in `tracing_scansource` (one index for every day,
which a partitioned table cannot have): one look-up of the batch's ids, then a COPY of the
new ones, under the writers' lock. Then COPY writes their rows straight into the
partitioned table (it routes each row to its day). On SQLite one prepared executemany
writes the rows, each guarded by a probe of the scans' own source-id index.
Both run inside the caller's transaction; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import operator
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
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
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# Every scan writer takes this lock for its transaction: the check for stored source ids and
# the COPY after it must not interleave with another writer's, or both would store one id.
WRITE_LOCK = "tracing.venue_scans.write"


def _copy_line(row: ScanRow) -> str:
    """One row as a line of COPY text. Nearly every line needs no escape: it is built plainly
    and checked whole (six tabs, one line break, no backslash), and escaped field by field
    only when the check fails."""
    line = (
        f"{row.venue_id}\t{row.scanned_at.isoformat()}\t{row.source_id}\t{row.document_type}\t"
        f"{row.document_cipher}\t{row.document_index}\t{row.document_masked}\n"
    )
    if line.count("\t") == 6 and line.count("\n") == 1 and "\\" not in line and "\r" not in line:
        return line
    fields = (str(row.venue_id), row.scanned_at.isoformat(), *row[2:7])
    return "\t".join(f.translate(COPY_ESCAPES) for f in fields) + "\n"


def write_scans(rows: Sequence[ScanRow]) -> int:
    """Insert the rows whose `source_id` is not stored yet; the number inserted.

    A `source_id` repeated inside `rows` is inserted once (its first row).
    """
    if not rows:
        return 0
    ensure_partitions(_days(r.scanned_at for r in rows))
    first = first_per_source(rows, operator.attrgetter("source_id"))
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [WRITE_LOCK])
            claimed = claim_source_ids(
                cursor.cursor, {sid: row.scanned_at.isoformat() for sid, row in first.items()}
            )
            fresh = [row for sid, row in first.items() if sid in claimed]
            if fresh:
                _copy_postgres(cursor, fresh)
            return len(fresh)
        return _insert_sqlite(list(first.values()))


def _days(moments: Iterable[dt.datetime]) -> set[dt.date]:
    """The local days of `moments`, worked out once per quarter of an hour (every zone's
    offset is a whole number of quarters), not once per scan."""
    seen: dict[int, dt.date] = {}
    for moment in moments:
        quarter = int(moment.timestamp()) // 900
        if quarter not in seen:
            seen[quarter] = local_day(moment)
    return set(seen.values())


def first_per_source[Row](rows: Iterable[Row], source_id: Callable[[Row], str]) -> dict[str, Row]:
    """The first row of each source id (a batch or a file's chunk may repeat one), by its id."""
    first: dict[str, Row] = {}
    for row in rows:
        first.setdefault(source_id(row), row)
    return first


SOURCES = "tracing_scansource"
_STORED = f"SELECT source_id FROM {SOURCES} WHERE source_id = ANY({{ids}})"  # noqa: S608


def claim_source_ids(cursor, times: dict[str, str]) -> set[str]:
    """PostgreSQL: record the ids of `times` (source id → ISO time of its scan) that are not
    stored yet, and return them; the caller then writes those scans, in the same
    transaction. One probe of one index an id, not one per day partition.

    `cursor` is psycopg's own (COPY is not in the DB-API), and the caller holds WRITE_LOCK:
    no other writer can store one of these ids between the look-up and the COPY. That pair
    costs the server less than one INSERT … ON CONFLICT, which makes every row's insertion
    speculative."""
    if not times:
        return set()
    ids = list(times)
    # One text parameter split by the server costs far less to send than an array of
    # 50,000 strings; an id holding the separator (never seen) takes the array.
    joined = _SEPARATOR.join(ids)
    if joined.count(_SEPARATOR) == len(ids) - 1:
        cursor.execute(_STORED.format(ids=f"string_to_array(%s, chr({ord(_SEPARATOR)}))"), [joined])
    else:
        cursor.execute(_STORED.format(ids="%s::text[]"), [ids])
    stored = {sid for (sid,) in cursor.fetchall()}
    new = [sid for sid in ids if sid not in stored] if stored else ids
    if new:
        # This runs in the import's writer thread, holding Python's lock against the reader:
        # the ids are escaped one by one only when one of them needs it (hardly ever).
        if any(c in joined for c in "\\\t\n\r"):
            lines = [f"{s.translate(COPY_ESCAPES)}\t{times[s]}\n" for s in new]
        else:
            lines = [f"{s}\t{times[s]}\n" for s in new]
        with cursor.copy(f"COPY {SOURCES} (source_id, scanned_at) FROM STDIN") as copy:
            copy.write("".join(lines))
    return set(new)


def purge_source_ids_before(cutoff: dt.datetime) -> int:
    """PostgreSQL: forget the ids of scans entered before `cutoff` (their scans are purged);
    the number forgotten. Nothing to do on SQLite, whose scans carry their own ids."""
    if not _postgres():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SOURCES} WHERE scanned_at < %s", [cutoff])  # noqa: S608
        return cursor.rowcount


_SEPARATOR = "\x1f"  # the unit separator of ASCII: no platform puts it in an id


def _copy_postgres(cursor, rows: Sequence[ScanRow]) -> None:
    raw = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
    # Straight into the partitioned table: PostgreSQL routes each row to its day.
    with raw.copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        # One block of COPY text per slice, not a call per row.
        for start in range(0, len(rows), COPY_SLICE):
            copy.write("".join(map(_copy_line, rows[start : start + COPY_SLICE])))


def sqlite_time(moment: dt.datetime) -> str:
    # The text Django writes for an aware time on SQLite: UTC, no offset, whole seconds here.
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "seconds")


SQLITE_INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "  # noqa: S608 - fixed names
    f"SELECT {', '.join(['?'] * len(COLUMNS))} "
    f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} WHERE source_id = ?)"
)


def _insert_sqlite(rows: Sequence[ScanRow]) -> int:
    # sqlite3's own connection: plain tuples and one prepared statement for the whole list,
    # without Django's rewriting of every parameter list. The guard is the duplicate check:
    # one probe of the source-id index per row, under the write lock of the transaction.
    done = connection.connection.executemany(
        SQLITE_INSERT, [(r[0], sqlite_time(r[1]), *r[2:], r[2]) for r in rows]
    )
    return done.rowcount


class PurgeResult(NamedTuple):
    days_dropped: int
    rows_deleted: int


def drop_days_before(cutoff: dt.datetime) -> int:
    """Drop the day partitions whose every scan was entered before `cutoff` (PostgreSQL): a
    day of scans goes at the cost of a table's removal, however many rows it holds. The
    number dropped (0 on SQLite, which has no partitions)."""
    if not _postgres():
        return 0
    dropped = 0
    with connection.cursor() as cursor:
        # A partition cannot be dropped while its new rows' deferred foreign-key checks
        # wait for the commit (an import and a purge in one transaction): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name in _partitions_ending_by(cursor, cutoff):
            cursor.execute(f'DROP TABLE "{name}"')
            dropped += 1
    return dropped


def delete_before(cutoff: dt.datetime, *, limit: int) -> int:
    """Delete up to `limit` of the scans entered before `cutoff`; the number deleted.

    On PostgreSQL what is left before the cut after `drop_days_before` lies in the one day
    that straddles it, found by the BRIN summary of that partition, and is deleted in one
    statement: run as often as the worker runs it, that is a few minutes' scans. SQLite has
    no partitions: a batch at a time is all it can do, so that a writer waiting for its single
    lock waits for one batch. It finds them through the (venue, time) index, one probe a
    venue: the scans keep no index of the time alone, which every imported row would pay for.
    """
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute(f"DELETE FROM {TABLE} WHERE scanned_at < %s", [cutoff])  # noqa: S608
        else:
            # CROSS JOIN keeps the venues as SQLite's outer loop: a probe of the index each.
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE id IN ("  # noqa: S608 - fixed names
                f"SELECT s.id FROM tracing_venue v CROSS JOIN {TABLE} s "
                "WHERE s.venue_id = v.id AND s.scanned_at < %s LIMIT %s)",
                [sqlite_time(cutoff), limit],
            )
        return cursor.rowcount


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
