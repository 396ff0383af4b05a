"""Writing one chunk of a platform's scans file, fast: each chunk is one transaction.

A chunk's rows come as plain tuples `(venue_code, source_id, time_text, document)`:
`time_text` is ISO 8601 to the second with `Z` or a whole-hour offset, and `document` is what
`document_encoder()` made of the person's document (once per person, not per row). The first
row of each `source_id` is written unless the id is stored already: one set-based statement
per chunk (on PostgreSQL it claims the new ids in the table of imported ids, one index for
every day), then one write — COPY text straight into the day partitions on PostgreSQL, streamed
from a thread while the caller reads the next chunk (the database works on one core, the
reading and encryption on the other), one prepared executemany on SQLite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection
from psycopg.copy import QueuedLibpqWriter

from .scan_store import (
    COLUMNS,
    COPY_ESCAPES,
    TABLE,
    WRITE_LOCK,
    claim_source_ids,
    ensure_partitions,
    local_day,
    sqlite_time,
    stored_source_ids,
)

ChunkRow = tuple[str, str, str, object]  # venue code, source id, time text, encoded document
_SQLITE_INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "  # noqa: S608 - fixed names
    f"VALUES ({', '.join(['?'] * len(COLUMNS))})"
)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _copy_tail(document: tuple[str, str, str, str]) -> str:
    """The document's four columns as the end of a COPY text line."""
    return "".join("\t" + f.translate(COPY_ESCAPES) for f in document) + "\n"


def document_encoder() -> Callable[[tuple[str, str, str, str]], object]:
    """What the writer of this database keeps of a person's (type, cipher, index, masked):
    the end of a COPY line on PostgreSQL, the tuple itself on SQLite."""
    return _copy_tail if _postgres() else tuple


def plain_utc(moment: dt.datetime) -> str:
    """A time parsed some other way, as the plain text the writers take (UTC, `Z`)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain_time_text(text: str) -> bool:
    """Whether an ISO 8601 time (already parsed) is plain enough to write as it is:
    `YYYY-MM-DDTHH:MM:SS` in ASCII digits, no fraction, `Z` or an offset of whole hours."""
    n = len(text)
    if n == 20:
        tail = text[19] == "Z"
    elif n == 25:
        tail = text[19] in "+-" and text[22:] == ":00"
    else:
        return False
    return (
        tail
        and text[10] == "T"
        and text[4] == text[7] == "-"
        and text[13] == text[16] == ":"
        and text.isascii()
    )


@dataclass
class Written:
    inserted: int = 0


@contextlib.contextmanager
def writing(rows: Sequence[ChunkRow], venue_ids: dict[str, int]) -> Iterator[Written]:
    """Write the chunk inside the caller's transaction; `inserted` is known when the block
    ends. The block's body may run while the database is still writing (PostgreSQL), so it
    must not use the connection."""
    written = Written()
    if not connection.in_atomic_block:
        raise RuntimeError("write a chunk of scans inside the importer's transaction")
    if not rows:
        yield written
        return
    with connection.cursor() as cursor:
        if _postgres():
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [WRITE_LOCK])
            ensure_partitions(_days(rows))
            first = _first_of_each(rows)
            claimed = claim_source_ids(cursor, {r[1]: r[2] for r in first})
            fresh = first if len(claimed) == len(first) else [r for r in first if r[1] in claimed]
            written.inserted = len(fresh)
            if not fresh:
                yield written
                return
            raw = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
            text = _copy_text(fresh, venue_ids)
            sql = f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN"
            # Straight into the partitioned table: PostgreSQL routes each row to its day.
            with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
                copy.write(text)
                del text
                yield written
            return
        # SQLite's connections BEGIN IMMEDIATE: the probe and the insert hold the write lock
        # together, so no other writer can store one of these ids in between.
        fresh = _fresh(cursor, rows)
        if fresh:
            times = _sqlite_times(fresh)
            connection.connection.executemany(
                _SQLITE_INSERT,
                [
                    (venue_ids[r[0]], t, r[1], *r[3])
                    for r, t in zip(fresh, times, strict=True)  # type: ignore[misc]
                ],
            )
        written.inserted = len(fresh)
        yield written


def _first_of_each(rows: Sequence[ChunkRow], skip: Collection[str] = ()) -> Sequence[ChunkRow]:
    """The first row of each source id, leaving out the ids of `skip`."""
    if not skip and len({r[1] for r in rows}) == len(rows):
        return rows
    seen, out = set(skip), []
    for row in rows:
        if row[1] not in seen:
            seen.add(row[1])
            out.append(row)
    return out


def _fresh(cursor, rows: Sequence[ChunkRow]) -> Sequence[ChunkRow]:
    """SQLite: the first row of each source id, unless the id is stored already."""
    return _first_of_each(rows, stored_source_ids(cursor, {r[1] for r in rows}))


def _hour_key(text: str) -> str:
    # The hour and the offset: every row of one hour and offset shares its day and UTC hour.
    return text[:13] + text[19:]


def _days(rows: Sequence[ChunkRow]) -> set[dt.date]:
    keys = {_hour_key(r[2]) for r in rows}
    return {local_day(dt.datetime.fromisoformat(k[:13] + ":00:00" + k[13:])) for k in keys}


def _sqlite_times(rows: Sequence[ChunkRow]) -> list[str]:
    """Each row's time as Django writes it on SQLite (UTC, no offset), shifted once per hour
    and offset of the chunk, not once per row."""
    hours: dict[str, str] = {}
    out = []
    append = out.append
    for row in rows:
        text = row[2]
        key = text[:13] + text[19:]
        hour = hours.get(key)
        if hour is None:
            moment = dt.datetime.fromisoformat(text[:13] + ":00:00" + text[19:])
            hour = hours[key] = sqlite_time(moment)[:13]
        append(hour + text[13:19])
    return out


def _copy_text(rows: Sequence[ChunkRow], venue_ids: dict[str, int]) -> str:
    """The rows as COPY text. Times are plain and documents were escaped when encoded; only
    a source id may hold a tab, a line break or a backslash, and hardly ever does."""
    ids = {code: str(pk) for code, pk in venue_ids.items()}
    sources = "".join(r[1] for r in rows)
    if any(c in sources for c in "\\\t\n\r"):
        return "".join(f"{ids[c]}\t{t}\t{s.translate(COPY_ESCAPES)}{d}" for c, s, t, d in rows)
    return "".join([f"{ids[c]}\t{t}\t{s}{d}" for c, s, t, d in rows])
