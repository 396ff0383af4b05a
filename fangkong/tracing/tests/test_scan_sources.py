"""Imported source ids: a stored id is a duplicate in any later file, whatever its time, also
when two imports run at once; ids are forgotten with their scans; a database migrated with
scans already stored keeps treating them as stored."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.utils import timezone

from devtools.races import at_once
from fangkong.ops.worker import run_clocks
from fangkong.tracing import scan_store
from fangkong.tracing.models import Venue, VenueScan
from fangkong.tracing.services.scan_sources import purge_scan_sources
from fangkong.tracing.services.scans import import_scans, purge_scans

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _row(source, doc, at):
    return (source, "V-SUPER-1", "丹尼斯超市", "supermarket", "resident_id", doc, at)


def test_an_imported_source_id_is_a_duplicate_in_a_later_file_at_another_time(
    district, id_number, write_csv
):
    doc = id_number("410172", "19900101", 11)
    import_scans(path=write_csv([_row("s1", doc, "2022-06-13T10:00:00+08:00")]))
    # The later export overlaps the first and gives s1 a time on another day.
    later = write_csv(
        [_row("s1", doc, "2022-06-14T09:00:00+08:00"), _row("s2", doc, "2022-06-14T10:00:00Z")]
    )
    report = import_scans(path=later)
    assert (report.imported, report.duplicates) == (1, 1)
    assert sorted(VenueScan.objects.values_list("source_id", "scanned_at")) == [
        ("s1", dt.datetime(2022, 6, 13, 10, tzinfo=SHANGHAI)),
        ("s2", dt.datetime(2022, 6, 14, 10, tzinfo=dt.UTC)),
    ]


def test_ids_of_purged_scans_are_forgotten_and_the_others_stay_duplicates(
    district, id_number, write_csv, settings
):
    settings.FANGKONG_SCAN_RETENTION_DAYS = 14
    doc = id_number("410172", "19900101", 11)
    path = write_csv(
        [
            _row("old", doc, "2022-05-29T09:00:00+08:00"),
            _row("kept", doc, "2022-06-12T09:00:00+08:00"),
        ]
    )
    import_scans(path=path)
    now = dt.datetime(2022, 6, 13, 10, tzinfo=SHANGHAI)
    purge_scans(now=now)
    forgotten = purge_scan_sources(now=now)
    assert forgotten == (1 if connection.vendor == "postgresql" else 0)
    again = import_scans(path=path)
    assert (again.imported, again.duplicates) == (1, 1)
    assert sorted(VenueScan.objects.values_list("source_id", flat=True)) == ["kept", "old"]


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_imports_at_once_store_each_source_id_once(district, id_number, write_csv):
    doc = id_number("410172", "19900101", 11)
    files = [
        write_csv([_row(f"s{i}", doc, f"2022-06-13T10:{i:02d}:00+08:00") for i in ids])
        for ids in (range(0, 40), range(20, 60))
    ]
    reports = []
    outcomes = at_once(
        *(lambda f=f: reports.append(import_scans(path=f, chunk_size=7)) for f in files)
    )
    assert outcomes == ["done", "done"]
    assert sum(r.imported for r in reports) == 60
    assert sum(r.duplicates for r in reports) == 20
    assert VenueScan.objects.count() == 60


BEFORE = [("tracing", "0015_scan_time_index_for_the_purge")]


@pytest.mark.postgresql  # the ids' table exists on PostgreSQL only
@pytest.mark.django_db(transaction=True)
def test_scans_stored_before_the_ids_table_are_duplicates_after_it(district, id_number, write_csv):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    at = dt.datetime(2022, 6, 13, 2, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        scan_store.ensure_partitions([dt.date(2022, 6, 13)])
        # The venue table is the same on both sides of the migration.
        venue = Venue.objects.create(code="V-OLD", name="old", kind="other", area_code="410172").pk
        cursor.execute(
            "INSERT INTO tracing_venuescan (venue_id, scanned_at, source_id, document_type, "
            "document_cipher, document_index, document_masked) "
            "VALUES (%s, %s, 's-old', 'resident_id', 'c', 'i', 'm')",
            [venue, at],
        )
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    doc = id_number("410172", "19900101", 11)
    report = import_scans(path=write_csv([_row("s-old", doc, "2022-06-13T10:00:00+08:00")]))
    assert (report.imported, report.duplicates) == (0, 1)


def test_a_venue_with_scans_cannot_be_removed(district, id_number, write_csv):
    """The scans name their venue without a database constraint; the model still protects it."""
    doc = id_number("410172", "19900101", 11)
    import_scans(path=write_csv([_row("s1", doc, "2022-06-13T10:00:00+08:00")]))
    with pytest.raises(ProtectedError):
        Venue.objects.get(code="V-SUPER-1").delete()
    assert VenueScan.objects.get(source_id="s1").venue.code == "V-SUPER-1"


def _ids() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT source_id FROM {scan_store.SOURCES} ORDER BY source_id")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def _old_and_kept(id_number, write_csv) -> None:
    now = timezone.now().replace(microsecond=0)
    doc = id_number("410172", "19900101", 11)
    path = write_csv(
        [
            _row("old", doc, (now - dt.timedelta(days=15)).isoformat()),
            _row("kept", doc, (now - dt.timedelta(days=1)).isoformat()),
        ]
    )
    import_scans(path=path)


@pytest.mark.postgresql
def test_the_worker_forgets_the_purged_scans_ids_on_its_daily_pass(
    district, id_number, write_csv, settings
):
    settings.FANGKONG_SCAN_RETENTION_DAYS = 14
    _old_and_kept(id_number, write_csv)
    run_clocks(today_done={timezone.localdate()})  # a pass of the day: the scans go
    assert list(VenueScan.objects.values_list("source_id", flat=True)) == ["kept"]
    assert _ids() == ["kept", "old"]
    run_clocks(today_done=set())  # the day's first pass: their ids too
    assert _ids() == ["kept"]


def test_the_purge_command_says_how_many_ids_it_forgot(district, id_number, write_csv, settings):
    settings.FANGKONG_SCAN_RETENTION_DAYS = 14
    _old_and_kept(id_number, write_csv)
    out = io.StringIO()
    call_command("tracing", "purge-scans", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["source_ids_forgotten"] == (1 if connection.vendor == "postgresql" else 0)
    assert list(VenueScan.objects.values_list("source_id", flat=True)) == ["kept"]
