"""The baseline: how fast the database itself takes rows shaped like residents.

Plain DB-API `executemany` in batches, one transaction per batch, no ORM and no crypto: what
any ingestion path is divided by to tell our overhead from the database's limit.
"""

from __future__ import annotations

import os
import time


def bench_raw_insert(rows: int = 200_000, batch: int = 5000) -> dict:
    from django.db import connection, transaction

    payload = os.urandom(24).hex()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        cursor.execute(
            "CREATE TABLE bench_raw (id integer PRIMARY KEY, name varchar(64), doc_cipher text, "
            "doc_index varchar(40), doc_masked varchar(32), phone_cipher text, area_code varchar(64), "
            "birth_date date)"
        )
        cursor.execute("CREATE UNIQUE INDEX bench_raw_doc ON bench_raw (doc_index)")
        cursor.execute("CREATE INDEX bench_raw_area ON bench_raw (area_code)")
    started = time.perf_counter()
    sql = "INSERT INTO bench_raw VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    for start in range(0, rows, batch):
        values = [
            (
                i,
                "张伟",
                payload * 3,
                f"{i:040d}",
                "410***********1234",
                payload * 2,
                f"410172-001-{i % 20:03d}-{i % 7:03d}",
                "1990-01-01",
            )
            for i in range(start, min(start + batch, rows))
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, values)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw")
    return {"rows_per_s": rows / seconds, "seconds": seconds, "rows": rows}
