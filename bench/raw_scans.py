"""The scan import's baseline: the same file's rows written raw into the same scans table.

csv module reading and COPY text (PostgreSQL, into the ids' table and the scans table) or a
plain executemany (SQLite), in the import's chunks of 50,000, with no validation, no crypto,
no duplicate check: what the database and the csv module alone allow on this machine in this
run, so a loaded machine still shows how close the import comes. The rows are removed
afterwards (TRUNCATE on PostgreSQL, DELETE and VACUUM on SQLite: no dead tuples or freed
pages left for the benchmarks after it), and so are the venues it made, so the import starts
as fresh as the baseline did.
"""

from __future__ import annotations

import csv
import itertools
import time
from pathlib import Path

CHUNK = 50_000
SLICE = 10_000
CIPHER = "A" * 88  # the length of an encrypted resident id in base64


def bench_raw_scans(path: Path) -> dict:
    from django.db import connection, transaction

    from fangkong.tracing import scan_store
    from fangkong.tracing.models import Venue, VenueScan
    from fangkong.tracing.services.venues import default_venue_area

    venues, days, rows = _survey(path)
    area = default_venue_area()
    Venue.objects.bulk_create(
        [Venue(code=c, name=c, kind="other", area_code=area) for c in venues], batch_size=5000
    )
    ids = dict(Venue.objects.values_list("code", "id"))
    with transaction.atomic():
        scan_store.ensure_partitions(days)
    postgres = connection.vendor == "postgresql"
    cols = ", ".join(scan_store.COLUMNS)
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        while chunk := list(itertools.islice(reader, CHUNK)):
            with transaction.atomic(), connection.cursor() as cursor:
                if postgres:
                    # The ids' own table too: the import claims each id there.
                    with cursor.cursor.copy(f"COPY {scan_store.SOURCES} FROM STDIN") as cp:
                        cp.write("".join(f"{r[0]}\t{r[6]}\n" for r in chunk))
                    with cursor.cursor.copy(f"COPY tracing_venuescan ({cols}) FROM STDIN") as cp:
                        for start in range(0, len(chunk), SLICE):
                            cp.write(
                                "".join(
                                    f"{ids[r[1]]}\t{r[6]}\t{r[0]}\t{r[4]}\t{CIPHER}\t{r[5]}\t"
                                    f"{r[5][:3]}\n"
                                    for r in chunk[start : start + SLICE]
                                )
                            )
                else:
                    connection.connection.executemany(
                        f"INSERT INTO tracing_venuescan ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                        [(ids[r[1]], r[6], r[0], r[4], CIPHER, r[5], r[5][:3]) for r in chunk],
                    )
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"TRUNCATE tracing_venuescan, {scan_store.SOURCES}")
        else:
            VenueScan.objects.all().delete()
            # As TRUNCATE leaves PostgreSQL: without it the import would start on a file of
            # freed pages, its inserts slowed by the baseline's leftovers (a fifth, measured).
            cursor.execute("VACUUM")
    Venue.objects.all().delete()
    return {"raw_scans_per_s": rows / seconds if seconds else 0.0, "raw_seconds": seconds}


def _survey(path: Path) -> tuple[set[str], set, int]:
    """The file's venue codes and local days, read before the clock starts."""
    import datetime as dt

    from fangkong.tracing.scan_store import local_day

    venues, days, rows = set(), set(), 0
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for r in reader:
            venues.add(r[1])
            days.add(local_day(dt.datetime.fromisoformat(r[6])))
            rows += 1
    return venues, days, rows
