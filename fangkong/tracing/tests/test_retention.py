"""The retention purge as the worker runs it: whole days dropped, the rest before the cut
deleted in batches by the scanned_at index, scans inside the period kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from fangkong.ops.worker import run_clocks
from fangkong.tracing import scan_store
from fangkong.tracing.models import VenueScan
from fangkong.tracing.services.scans import import_scans, purge_scans


def _import(write_csv, id_number, *times: dt.datetime) -> None:
    doc = id_number("410172", "19900101", 11)
    rows = [
        (f"s{i}", "V-SUPER-1", "丹尼斯超市", "supermarket", "resident_id", doc, t.isoformat())
        for i, t in enumerate(times)
    ]
    assert import_scans(path=write_csv(rows)).imported == len(times)


def test_the_worker_purges_scans_past_the_retention_period(
    district, id_number, write_csv, settings
):
    settings.FANGKONG_SCAN_RETENTION_DAYS = 14
    now = timezone.now().replace(microsecond=0)
    _import(
        write_csv,
        id_number,
        now - dt.timedelta(days=14, minutes=1),
        now - dt.timedelta(days=13, hours=23),
    )
    run_clocks(today_done={timezone.localdate()})
    assert list(VenueScan.objects.values_list("source_id", flat=True)) == ["s1"]


def test_the_rest_before_the_cut_goes_in_batches_and_nothing_after_it(
    district, id_number, write_csv, settings, monkeypatch
):
    settings.FANGKONG_SCAN_RETENTION_DAYS = 14
    monkeypatch.setattr("fangkong.tracing.services.scans.PURGE_BATCH", 2)
    now = dt.datetime(2022, 6, 13, 10, tzinfo=dt.UTC)
    cut = now - dt.timedelta(days=14)
    _import(
        write_csv,
        id_number,
        *(cut - dt.timedelta(minutes=m) for m in range(1, 6)),
        cut,  # exactly 14 days: kept
        cut + dt.timedelta(seconds=1),
    )
    result = purge_scans(now=now)
    assert sorted(VenueScan.objects.values_list("source_id", flat=True)) == ["s5", "s6"]
    assert result.rows_deleted == 5


@pytest.mark.sqlite
def test_the_purge_finds_old_scans_through_the_venue_index_a_probe_a_venue(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT s.id FROM tracing_venue v CROSS JOIN tracing_venuescan s "
            "WHERE s.venue_id = v.id AND s.scanned_at < %s LIMIT 10",
            ["2022-06-01 00:00:00"],
        )
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "INDEX scan_venue_time (venue_id=? AND scanned_at<?)" in plan, plan


@pytest.mark.postgresql
def test_postgresql_keeps_a_brin_summary_of_the_time_and_no_unique_index_on_the_days(db):
    # The ids' table is the duplicate check on PostgreSQL: each index on the day partitions
    # is paid by every imported row, so only the ones the reads need are there.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tracing_venuescan'"
        )
        indexes = dict(cursor.fetchall())
    assert "scan_unique_source" not in indexes and "scan_time" not in indexes
    assert "USING brin (scanned_at)" in indexes["scan_time_brin"]
    assert set(indexes) == {
        "tracing_venuescan_pkey",
        "scan_venue_time",
        "scan_person_time",
        "scan_time_brin",
    }


@pytest.mark.postgresql  # day partitions exist on PostgreSQL only
def test_a_day_past_the_cut_is_dropped_whole_and_the_next_trimmed(
    district, id_number, write_csv, settings
):
    settings.FANGKONG_SCAN_RETENTION_DAYS = 14
    shanghai = dt.timezone(dt.timedelta(hours=8))
    _import(
        write_csv,
        id_number,
        dt.datetime(2022, 5, 29, 9, tzinfo=shanghai),
        dt.datetime(2022, 5, 29, 23, 59, 59, tzinfo=shanghai),
        dt.datetime(2022, 5, 30, 0, 0, 30, tzinfo=shanghai),
        dt.datetime(2022, 5, 30, 0, 2, tzinfo=shanghai),
    )
    # The worker's pass a minute after 29 May's last scan expired.
    result = purge_scans(now=dt.datetime(2022, 6, 13, 0, 1, tzinfo=shanghai))
    assert (result.days_dropped, result.rows_deleted) == (1, 1)
    assert scan_store.partition_days() == [dt.date(2022, 5, 30)]
    assert list(VenueScan.objects.values_list("source_id", flat=True)) == ["s3"]
