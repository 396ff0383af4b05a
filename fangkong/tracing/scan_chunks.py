"""Writing one chunk of a platform's scans file, fast: each chunk is one transaction.

A chunk's rows come as plain tuples `(venue_code, source_id, time_text, document)`:
`time_text` is ISO 8601 to the second with `Z` or a whole-hour offset, and `document` is what
`document_encoder()` made of the person's document (once per person, not per row). The first
row of each `source_id` is written unless the id is stored already.

The database's part runs in a thread while the importer reads and encrypts the next chunk
(the database works on one core, the reading on the other). On PostgreSQL it claims the new
ids in the table of imported ids (one index for every day), then COPYs their rows straight
into the day partitions. On SQLite the chunk goes as one JSON array to one INSERT … SELECT
that skips the stored ids: SQLite lets go of Python's lock for the whole statement, where an
executemany would take it back for every row. The text of either is made before the thread
starts, so the thread never waits for Python's lock behind the reader.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import operator
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection

from fangkong.core.db.sqlite.checkpoints import WalCheckpoints

from .scan_store import (
    COLUMNS,
    COPY_ESCAPES,
    TABLE,
    WRITE_LOCK,
    claim_source_ids,
    ensure_partitions,
    first_per_source,
    local_day,
)

ChunkRow = tuple[str, str, str, object]  # venue code, source id, time text, encoded document
# SQLite turns the time text into its stored form itself (UTC, no offset: as Django writes it).
_SQLITE_INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "  # noqa: S608 - fixed names
    "SELECT value->>0, datetime(value->>1), value->>2, value->>3, value->>4, value->>5, "
    f"value->>6 FROM json_each(?) WHERE NOT EXISTS (SELECT 1 FROM {TABLE} s "
    "WHERE s.source_id = value->>2)"
)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _copy_tail(document: tuple[str, str, str, str]) -> str:
    """The document's four columns as the end of a COPY text line."""
    return "".join("\t" + f.translate(COPY_ESCAPES) for f in document) + "\n"


def _json_tail(document: tuple[str, str, str, str]) -> str:
    """The document's four columns as the end of a row of the SQLite writer's JSON array."""
    return "," + json.dumps(document, ensure_ascii=False, separators=(",", ":"))[1:]


def document_encoder() -> Callable[[tuple[str, str, str, str]], object]:
    """What the writer of this database keeps of a person's (type, cipher, index, masked):
    the end of a COPY line on PostgreSQL, the end of a JSON row on SQLite."""
    return _copy_tail if _postgres() else _json_tail


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


@contextlib.contextmanager
def committing() -> Iterator[Callable[[], None]]:
    """Around an import's run of chunks: yields what to call after each chunk's commit. On
    SQLite the log's checkpoints then run beside the import instead of inside its commits
    (`core.db.sqlite.checkpoints`); PostgreSQL needs nothing."""
    if _postgres():
        yield lambda: None
        return
    connection.ensure_connection()
    with WalCheckpoints(connection.connection, str(connection.settings_dict["NAME"])) as wal:
        yield wal.committed


@dataclass
class Written:
    inserted: int = 0


@contextlib.contextmanager
def writing(rows: Sequence[ChunkRow], venue_ids: dict[str, int]) -> Iterator[Written]:
    """Write the chunk inside the caller's transaction; `inserted` is known when the block
    ends. The database's whole part, the duplicate check and the write, runs in a thread
    while the block's body runs (the importer reads the next chunk meanwhile): the body must
    not use the connection."""
    written = Written()
    if not connection.in_atomic_block:
        raise RuntimeError("write a chunk of scans inside the importer's transaction")
    if not rows:
        yield written
        return
    first = list(first_per_source(rows, operator.itemgetter(1)).values())
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [WRITE_LOCK])
        ensure_partitions(_days(rows))
        # psycopg's own connection: COPY is not in the DB-API. The text is made here, before
        # the thread starts: made there, it would wait for Python's lock behind the reader.
        job = functools.partial(
            _write_postgres, connection.connection, first, _copy_text(first, venue_ids)
        )
    else:
        # SQLite's connections BEGIN IMMEDIATE: the check and the insert hold the write lock
        # together, so no other writer can store one of these ids in between.
        job = functools.partial(_write_sqlite, connection.connection, _json_rows(first, venue_ids))
    writer = _Beside(job)
    try:
        yield written
    except BaseException:
        writer.join()  # the transaction rolls back only once the writer is done with it
        raise
    written.inserted = writer.finish()


def _write_postgres(raw, rows: Sequence[ChunkRow], text: str) -> int:
    """Claim the chunk's new ids in the table of imported ids, then COPY their rows straight
    into the partitioned table (PostgreSQL routes each row to its day). `text` is the COPY
    text of `rows`: when some ids were stored already, their lines are left out of it."""
    with raw.cursor() as cursor:
        claimed = claim_source_ids(cursor, {r[1]: r[2] for r in rows})
        if len(claimed) < len(rows):
            # One line a row: a line break inside a value is written as an escape.
            lines = text.split("\n")[:-1]
            text = "".join(f"{ln}\n" for ln, r in zip(lines, rows, strict=True) if r[1] in claimed)
        if claimed:
            with cursor.copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                copy.write(text)
    return len(claimed)


def _write_sqlite(raw, text: str) -> int:
    """One INSERT … SELECT over the chunk's JSON array, skipping the ids already stored:
    SQLite lets go of Python's lock for the whole statement, where an executemany, or a
    probe of the ids before it, would take it back row by row or hold the reader up."""
    cursor = raw.execute(_SQLITE_INSERT, [text])
    try:
        return cursor.rowcount
    finally:
        cursor.close()


class _Beside(threading.Thread):
    """A chunk's write, run beside the caller. `finish` waits for it and returns what it
    returned, or raises what it raised."""

    def __init__(self, job: Callable[[], int]) -> None:
        super().__init__(name="scan-chunk-writer", daemon=True)
        # The job holds the caller's raw connection: this thread's own Django `connection`
        # would be another one.
        self._job: Callable[[], int] | None = job
        self._result = 0
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._result = self._job()
        except BaseException as exc:
            self._error = exc
        finally:
            self._job = None  # the chunk's text and rows go with it

    def finish(self) -> int:
        self.join()
        if self._error is not None:
            # As Django's own cursors would: the driver's errors become django.db's.
            with connection.wrap_database_errors:
                raise self._error
        return self._result


def _json_rows(rows: Sequence[ChunkRow], venue_ids: dict[str, int]) -> str:
    """The rows as one JSON array. Times are plain and documents were encoded once per
    person; only a source id may need escaping in JSON, and hardly ever does."""
    sources = "".join(r[1] for r in rows)
    if sources.isprintable() and '"' not in sources and "\\" not in sources:
        body = ",".join([f'[{venue_ids[c]},"{t}","{s}"{d}' for c, s, t, d in rows])
    else:
        dumps = json.dumps
        body = ",".join(
            f'[{venue_ids[c]},"{t}",{dumps(s, ensure_ascii=False)}{d}' for c, s, t, d in rows
        )
    return f"[{body}]"


def _hour_key(text: str) -> str:
    # The hour and the offset: every row of one hour and offset shares its day and UTC hour.
    return text[:13] + text[19:]


def _days(rows: Sequence[ChunkRow]) -> set[dt.date]:
    keys = {_hour_key(r[2]) for r in rows}
    return {local_day(dt.datetime.fromisoformat(k[:13] + ":00:00" + k[13:])) for k in keys}


def _copy_text(rows: Sequence[ChunkRow], venue_ids: dict[str, int]) -> str:
    """The rows as COPY text. Times are plain and documents were escaped when encoded; only
    a source id may hold a tab, a line break or a backslash, and hardly ever does."""
    ids = {code: str(pk) for code, pk in venue_ids.items()}
    sources = "".join(r[1] for r in rows)
    if any(c in sources for c in "\\\t\n\r"):
        return "".join(f"{ids[c]}\t{t}\t{s.translate(COPY_ESCAPES)}{d}" for c, s, t, d in rows)
    return "".join([f"{ids[c]}\t{t}\t{s}{d}" for c, s, t, d in rows])
