"""Writing one chunk of a platform's scans file, fast: each chunk is one transaction.

A chunk's rows come as plain tuples `(venue_code, source_id, time_text, document)`:
`time_text` is ISO 8601 to the second with `Z` or a whole-hour offset, and `document` is what
`document_encoder()` made of the person's document (once per person, not per row). The first
row of each `source_id` is written unless the id is stored already.

The database's part runs in a thread while the importer reads and encrypts the next chunk
(the database works on one core, the reading on the other). On PostgreSQL it claims the new
ids in the table of imported ids (one index for every day), then COPYs their rows straight
into the day partitions. On SQLite the chunk goes as one JSON array of row strings to one
INSERT … SELECT that skips the stored ids: SQLite lets go of Python's lock for the whole
statement, where an executemany would take it back for every row. The text of either is made
before the thread starts (most of it by `prepare`, while the previous chunk is written), so
the thread never waits for Python's lock behind the reader.
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
from typing import NamedTuple

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
# SQLite's rows are JSON strings of fixed layout, cut with substr: pulling the fields out of a
# JSON array a row (`value->>k`) parsed each row eight times and was half the writer's time.
#   venue id (10 digits) · UTC time as stored (19) · length of the source id (2) · source id ·
#   document type (20, padded) · blind index (40) · masked document (32, padded) · cipher (rest)
_SQLITE_INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "  # noqa: S608 - fixed names
    "SELECT CAST(substr(r, 1, 10) AS INTEGER), substr(r, 11, 19), substr(r, 32, n), "
    "rtrim(substr(r, 32 + n, 20)), substr(r, 124 + n), substr(r, 52 + n, 40), "
    "rtrim(substr(r, 92 + n, 32)) "
    # OFFSET 0 keeps the subquery apart: flattened, every use of r would read json_each's
    # value again, and each read copies the string.
    "FROM (SELECT value AS r, CAST(substr(value, 30, 2) AS INTEGER) AS n "
    "FROM json_each(?) LIMIT -1 OFFSET 0) "
    f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} s WHERE s.source_id = substr(r, 32, n))"
)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


# The import's COPY names the blind index first among the document's columns, so that a
# chunk's rows sorted by their document's text (`prepare`) are in the person index's order.
_COPY_COLUMNS = (
    "venue_id",
    "scanned_at",
    "source_id",
    "document_index",
    "document_type",
    "document_cipher",
    "document_masked",
)


def _copy_tail(document: tuple[str, str, str, str]) -> str:
    """The document's four columns as the end of a COPY text line, in `_COPY_COLUMNS`'s
    order."""
    kind, cipher, index, masked = document
    return "".join("\t" + f.translate(COPY_ESCAPES) for f in (index, kind, cipher, masked)) + "\n"


def _sqlite_tail(document: tuple[str, str, str, str]) -> str:
    """The document's four columns as the end of a SQLite row (see `_SQLITE_INSERT`). Each
    is plain ASCII (a type's name, base64, hex, a masked number): nothing to escape."""
    kind, cipher, index, masked = document
    # The model's widths (a type of up to 20, an index of 40, a masked number of up to 32):
    # validated documents always fit, and anything else must not shift the other columns.
    if len(kind) > 20 or len(index) != 40 or len(masked) > 32:
        raise ValueError("a document's columns do not fit the SQLite row's layout")
    tail = f"{kind:<20}{index}{masked:<32}{cipher}"
    if not tail.isascii() or not tail.isprintable() or '"' in tail or "\\" in tail:
        raise ValueError("a document's columns must be plain ASCII")
    return tail


def document_encoder() -> Callable[[tuple[str, str, str, str]], object]:
    """What the writer of this database keeps of a person's (type, cipher, index, masked):
    the end of a COPY line on PostgreSQL, the end of a row's string on SQLite."""
    return _copy_tail if _postgres() else _sqlite_tail


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
    raw = connection.connection
    # Each chunk's statement keeps the pages it changes in a statement journal (to undo it
    # alone), in memory under temp_store=MEMORY. The bigger the table, the more index pages
    # a chunk touches: the import's memory grew to 1 GB at 10 M scans. In a temporary file
    # the journal costs no memory and, measured, no time.
    # SQLite refuses the change inside a transaction (an import run by a test, say).
    temp_store: int | None = None
    if not connection.in_atomic_block:
        temp_store = int(raw.execute("PRAGMA temp_store").fetchone()[0])
        raw.execute("PRAGMA temp_store=FILE")
    try:
        with WalCheckpoints(raw, str(connection.settings_dict["NAME"])) as wal:
            yield wal.committed
    finally:
        if temp_store is not None:
            raw.execute(f"PRAGMA temp_store={temp_store}")


class Prepared(NamedTuple):
    """A chunk made ready for `writing`: the first row of each source id, the `known` rows
    whose venue had an id when it was prepared first, and the writer's text of those."""

    rows: list[ChunkRow]
    known: int
    text: str


def prepare(rows: Sequence[ChunkRow], venue_ids: dict[str, int]) -> Prepared:
    """The importer prepares a chunk while the previous one is written, so that the writer,
    the slower side, does not wait for the text. Rows of venues new to the import are
    written too, their text made in `writing` once their venues exist."""
    first = list(first_per_source(rows, operator.itemgetter(1)).values())
    # In the person index's order (the document's text leads with the blind index on
    # PostgreSQL, with the type and then the index on SQLite): the chunk's entries then go
    # into that B-tree page after page instead of at random. The database is the slower
    # side, and this saves it more than the sort costs the importer (measured in alternating
    # runs: the server's CPU down by 10–25 % at 1 M scans on PostgreSQL, SQLite's writer's
    # time by 10–20 % at 3 M).
    first.sort(key=operator.itemgetter(3))
    known = [r for r in first if r[0] in venue_ids]
    if len(known) < len(first):
        first = known + [r for r in first if r[0] not in venue_ids]
    return Prepared(first, len(known), _text(known, venue_ids))


@dataclass
class Written:
    inserted: int = 0


@contextlib.contextmanager
def writing(chunk: Prepared, venue_ids: dict[str, int]) -> Iterator[Written]:
    """Write the chunk inside the caller's transaction; `inserted` is known when the block
    ends. The database's whole part, the duplicate check and the write, runs in a thread
    while the block's body runs (the importer reads the next chunk meanwhile): the body must
    not use the connection."""
    written = Written()
    if not connection.in_atomic_block:
        raise RuntimeError("write a chunk of scans inside the importer's transaction")
    rows = chunk.rows
    if not rows:
        yield written
        return
    # The text is all made here, before the thread starts: made there, it would wait for
    # Python's lock behind the reader.
    text = chunk.text
    if chunk.known < len(rows):
        text = _joined(text, _text(rows[chunk.known :], venue_ids))
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [WRITE_LOCK])
        ensure_partitions(_days(rows))
        # psycopg's own connection: COPY is not in the DB-API.
        job = functools.partial(_write_postgres, connection.connection, rows, text)
    else:
        # SQLite's connections BEGIN IMMEDIATE: the check and the insert hold the write lock
        # together, so no other writer can store one of these ids in between.
        job = functools.partial(_write_sqlite, connection.connection, text)
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
            with cursor.copy(f"COPY {TABLE} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
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


def _text(rows: Sequence[ChunkRow], venue_ids: dict[str, int]) -> str:
    return _copy_text(rows, venue_ids) if _postgres() else _json_rows(rows, venue_ids)


def _joined(first: str, then: str) -> str:
    """Two texts of `_text` as one: COPY lines follow each other, JSON arrays merge."""
    if _postgres():
        return first + then
    if first == "[]" or then == "[]":
        return then if first == "[]" else first
    return f"{first[:-1]},{then[1:]}"


def _json_rows(rows: Sequence[ChunkRow], venue_ids: dict[str, int]) -> str:
    """The rows as one JSON array of strings laid out for `_SQLITE_INSERT`. Documents were
    encoded once per person and times become SQLite's stored UTC text an hour at a time;
    only a source id may need escaping in JSON, and hardly ever does."""
    ids = {code: f"{pk:010d}" for code, pk in venue_ids.items()}
    hours = _UtcHours()
    sources = "".join(r[1] for r in rows)
    if sources.isprintable() and '"' not in sources and "\\" not in sources:
        # `t[:13] + t[19:]` here and below is `_hour_key(t)`, spelled out: it runs once a
        # row, and a function call there would cost more than the slicing itself.
        body = ",".join(
            [
                f'"{ids[c]}{hours[t[:13] + t[19:]]}{t[13:19]}{len(s):02d}{s}{d}"'
                for c, s, t, d in rows
            ]
        )
    else:
        dumps = json.dumps
        body = ",".join(
            f'"{ids[c]}{hours[t[:13] + t[19:]]}{t[13:19]}'
            f'{dumps(f"{len(s):02d}{s}", ensure_ascii=False)[1:-1]}{d}"'
            for c, s, t, d in rows
        )
    return f"[{body}]"


class _UtcHours(dict[str, str]):
    """`YYYY-MM-DD HH` in UTC of an `_hour_key`, worked out once an hour and offset: a stored
    time is that and the text's `:MM:SS`."""

    def __missing__(self, key: str) -> str:
        moment = dt.datetime.fromisoformat(key[:13] + ":00:00" + key[13:])
        self[key] = moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H")
        return self[key]


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
