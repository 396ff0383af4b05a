"""Venue-code scans: file imports, device batches, signed venue codes and the retention purge."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from fangkong.core import crypto
from fangkong.core.errors import RuleViolation
from fangkong.people.services import document_index
from fangkong.tracing import scan_store
from fangkong.tracing.models import Venue, VenueScan
from fangkong.tracing.services.scan_checks import CSV_COLUMNS, DOCUMENT_CONTEXT
from fangkong.tracing.services.scans import import_scans, purge_scans
from fangkong.tracing.services.venues import create_venue, resolve_venue_code, venue_qr_payload

from .conftest import G111, D

POSTGRES = os.environ.get("FANGKONG_TEST_DB") == "postgresql"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _row(source, doc, at, venue="V-SUPER-1", kind="supermarket", name="丹尼斯超市"):
    return (source, venue, name, kind, "resident_id", doc, at)


def test_import_creates_unknown_venues_and_keeps_documents_encrypted(
    district, id_number, write_csv
):
    doc = id_number("410172", "19900101", 11)
    path = write_csv(
        [
            _row("s1", doc, "2022-06-13T10:00:00+08:00"),
            _row("s2", doc, "2022-06-13T12:00:00+08:00", venue="V-PHARM-1", kind="pharmacy"),
        ]
    )
    report = import_scans(path=path)
    assert (report.rows, report.imported, report.duplicates, report.venues_created) == (2, 2, 0, 2)
    venue = Venue.objects.get(code="V-SUPER-1")
    assert (venue.name, venue.kind, venue.area_code) == ("丹尼斯超市", "supermarket", D)
    scan = VenueScan.objects.get(source_id="s1")
    assert doc not in scan.document_cipher and scan.document_masked == doc[:3] + "*" * 11 + doc[-4:]
    assert scan.document_index == document_index("resident_id", doc)
    assert scan.scanned_at == dt.datetime(2022, 6, 13, 2, 0, tzinfo=dt.UTC)


def test_reimporting_a_file_adds_duplicates_not_scans(district, id_number, write_csv):
    doc = id_number("410172", "19900101", 11)
    path = write_csv([_row(f"s{i}", doc, f"2022-06-13T1{i}:00:00+08:00") for i in range(3)])
    import_scans(path=path)
    again = import_scans(path=path)
    assert (again.imported, again.duplicates) == (0, 3)
    assert VenueScan.objects.count() == 3


def test_a_source_id_repeated_in_a_file_is_one_scan_across_chunks(district, id_number, write_csv):
    doc = id_number("410172", "19900101", 11)
    rows = [_row("s1", doc, "2022-06-13T10:00:00+08:00")] * 2
    rows += [_row("s2", doc, "2022-06-13T11:00:00+08:00"), _row("s1", doc, "2022-06-13T10:00:00Z")]
    report = import_scans(path=write_csv(rows), chunk_size=2)
    assert (report.rows, report.imported, report.duplicates) == (4, 2, 2)
    assert VenueScan.objects.get(source_id="s1").scanned_at == dt.datetime(
        2022, 6, 13, 10, tzinfo=SHANGHAI
    )


def test_a_chunk_mixing_known_and_new_venues_stores_each_scan_at_its_own_venue(
    district, id_number, write_csv
):
    # The second chunk is prepared while the first is written, when only V-SUPER-1 has an
    # id: its other rows wait for their venues, and every row still reaches the right one.
    doc = id_number("410172", "19900101", 11)
    rows = [
        _row("a1", doc, "2022-06-13T10:00:00+08:00"),
        _row("a2", doc, "2022-06-13T10:01:00+08:00"),
        _row("b1", doc, "2022-06-13T11:00:00+08:00", venue="V-PHARM-1", kind="pharmacy"),
        _row("b2", doc, "2022-06-13T11:01:00+08:00"),
        _row("b3", doc, "2022-06-13T11:02:00+08:00", venue="V-MKT-1", kind="market"),
        _row("b1", doc, "2022-06-13T11:00:00+08:00", venue="V-PHARM-1", kind="pharmacy"),
    ]
    report = import_scans(path=write_csv(rows), chunk_size=2)
    assert (report.imported, report.duplicates, report.venues_created) == (5, 1, 3)
    stored = dict(VenueScan.objects.values_list("source_id", "venue__code"))
    assert stored == {
        "a1": "V-SUPER-1",
        "a2": "V-SUPER-1",
        "b1": "V-PHARM-1",
        "b2": "V-SUPER-1",
        "b3": "V-MKT-1",
    }


def test_a_chunk_of_many_people_partly_stored_keeps_each_scan_with_its_own_document(
    district, id_number, write_csv
):
    # The import writes a chunk in the order of the person index, not the file's: each
    # stored row must still hold its own person, venue and time, and on PostgreSQL the lines
    # left out as duplicates must take none of their neighbours with them.
    docs = [id_number("410172", f"1990010{d}", 11 + d) for d in range(1, 6)]
    venues = ["V-SUPER-1", "V-PHARM-1", "V-MKT-1"]
    rows = [
        _row(
            f"m{i}",
            docs[(i * 3) % 5],
            f"2022-06-13T1{i % 10}:{i:02d}:00+08:00",
            venue=venues[i % 3],
        )
        for i in range(30)
    ]
    first = import_scans(path=write_csv(rows[::2]), chunk_size=4)
    assert first.imported == 15
    report = import_scans(path=write_csv(rows), chunk_size=8)
    assert (report.imported, report.duplicates) == (15, 15)
    expected = {
        f"m{i}": (
            document_index("resident_id", docs[(i * 3) % 5]),
            venues[i % 3],
            dt.datetime(2022, 6, 13, 10 + i % 10, i, tzinfo=SHANGHAI),
        )
        for i in range(30)
    }
    stored = {
        s: (index, venue, at)
        for s, index, venue, at in VenueScan.objects.values_list(
            "source_id", "document_index", "venue__code", "scanned_at"
        )
    }
    assert stored == expected


def test_the_import_runs_without_cycle_collections_and_gives_the_collector_back(
    district, id_number, write_csv, monkeypatch
):
    import gc

    from fangkong.tracing import scan_chunks

    seen = []
    original = scan_chunks.prepare

    def watch(*args):
        seen.append(gc.isenabled())
        return original(*args)

    monkeypatch.setattr(scan_chunks, "prepare", watch)
    doc = id_number("410172", "19900101", 11)
    path = write_csv([_row(f"g{i}", doc, f"2022-06-13T1{i}:00:00+08:00") for i in range(3)])
    assert gc.isenabled()
    assert import_scans(path=path, chunk_size=2).imported == 3
    assert seen == [False, False]
    assert gc.isenabled()
    # A file that fails part-way gives it back too.
    bad = write_csv([_row("g9", doc, "2022-06-13T19:00:00+08:00")])
    bad.write_bytes(bad.read_bytes() + b"\xff\xfe,not utf-8\n")
    with pytest.raises(RuleViolation):
        import_scans(path=bad)
    assert gc.isenabled()


def test_bad_rows_are_reported_with_their_reason_and_the_rest_is_kept(
    district, id_number, write_csv
):
    doc = id_number("410172", "19900101", 11)
    rows = [
        _row("ok", doc, "2022-06-13T10:00:00Z"),
        _row("digit", doc[:-1] + ("0" if doc[-1] != "0" else "1"), "2022-06-13T10:00:00Z"),
        _row("naive", doc, "2022-06-13T10:00:00"),
        _row("kind", doc, "2022-06-13T10:00:00Z", venue="V-X", kind="spaceport"),
        _row("", doc, "2022-06-13T10:00:00Z"),
        _row("when", doc, "yesterday"),
    ]
    report = import_scans(path=write_csv(rows))
    assert report.imported == 1
    assert [(e["line"], e["field"], e["code"]) for e in report.errors] == [
        (3, "document_number", "check_digit"),
        (4, "scanned_at", "no_offset"),
        (5, "venue_kind", "unknown"),
        (6, "source_id", "required"),
        (7, "scanned_at", "invalid"),
    ]
    assert not Venue.objects.filter(code="V-X").exists()


def test_any_spelling_of_a_document_gets_the_same_blind_index(district, id_number, write_csv):
    doc = id_number("410172", "19900101", 11)
    old = "410172900101011"  # the same person's first-generation number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in doc)
    rows = [
        _row("a", doc, "2022-06-13T10:00:00Z"),
        _row("b", full_width, "2022-06-13T11:00:00Z"),
        _row("c", old, "2022-06-13T12:00:00Z"),
    ]
    import_scans(path=write_csv(rows))
    indexes = set(VenueScan.objects.values_list("document_index", flat=True))
    assert indexes == {document_index("resident_id", id_number("410172", "19900101", 11))}
    assert old[:6] + "19" + old[6:15] == doc[:17]


def test_a_file_without_the_platform_columns_is_refused(district, write_csv):
    with pytest.raises(RuleViolation) as exc:
        import_scans(path=write_csv([], header=("source_id", "venue_code")))
    assert exc.value.field == "file" and "scanned_at" in str(exc.value.message)


def test_import_scans_command_prints_the_report_as_json(district, id_number, write_csv):
    doc = id_number("410172", "19900101", 11)
    path = write_csv([_row("s1", doc, "2022-06-13T10:00:00Z"), _row("s2", "x", "2022-06-13Z")])
    out = io.StringIO()
    call_command("tracing", "import-scans", str(path), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {
        k: data[k] for k in ("rows", "imported", "duplicates", "rejected", "venues_created")
    } == {
        "rows": 2,
        "imported": 1,
        "duplicates": 0,
        "rejected": 1,
        "venues_created": 1,
    }
    assert data["errors"][0]["line"] == 3 and data["errors"][0]["source_id"] == "s2"


# --- signed venue codes ---------------------------------------------------------------------


def test_a_venue_code_is_read_from_its_signed_qr_and_a_forged_one_is_refused(commander):
    venue = create_venue(user=commander, name="丹尼斯超市", kind="supermarket", area_code=G111)
    payload = venue_qr_payload(venue)
    assert resolve_venue_code(payload) == venue.code
    forged = payload[:-2] + ("AA" if not payload.endswith("AA") else "BB")
    with pytest.raises(RuleViolation) as exc:
        resolve_venue_code(forged)
    assert exc.value.code == "bad_signature"


def test_a_grid_worker_cannot_register_a_venue(grid_worker):
    with pytest.raises(RuleViolation):
        create_venue(user=grid_worker, name="药店", kind="pharmacy", area_code=G111)


# --- device batches ---------------------------------------------------------------------------


def _batch(key, venue, doc, *times):
    return {
        "idempotency_key": key,
        "scans": [{"venue_code": venue, "document_number": doc, "scanned_at": t} for t in times],
    }


def test_a_replayed_batch_writes_nothing(client, commander, scan_device, id_number):
    venue = create_venue(user=commander, name="超市", kind="supermarket", area_code=G111)
    doc = id_number("410172", "19900101", 11)
    body = _batch(
        "k1", venue_qr_payload(venue), doc, "2022-06-13T10:00:00+08:00", "2022-06-13T10:05:00Z"
    )
    auth = {"Authorization": f"Bearer {scan_device}"}
    first = client.post(
        "/api/v1/tracing/scans", body, content_type="application/json", headers=auth
    )
    assert first.status_code == 200, first.content
    assert first.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    again = client.post(
        "/api/v1/tracing/scans", body, content_type="application/json", headers=auth
    )
    assert again.json() == first.json() and VenueScan.objects.count() == 2


def test_a_reused_key_with_another_batch_is_refused(client, commander, scan_device, id_number):
    venue = create_venue(user=commander, name="超市", kind="supermarket", area_code=G111)
    doc = id_number("410172", "19900101", 11)
    auth = {"Authorization": f"Bearer {scan_device}"}
    client.post(
        "/api/v1/tracing/scans",
        _batch("k1", venue.code, doc, "2022-06-13T10:00:00Z"),
        content_type="application/json",
        headers=auth,
    )
    reused = client.post(
        "/api/v1/tracing/scans",
        _batch("k1", venue.code, doc, "2022-06-13T11:00:00Z"),
        content_type="application/json",
        headers=auth,
    )
    assert reused.status_code == 409 and reused.json()["errors"][0]["code"] == "reused"
    assert VenueScan.objects.count() == 1


def test_a_batch_refuses_unknown_venues_and_bad_items_one_by_one(
    client, commander, scan_device, id_number
):
    venue = create_venue(user=commander, name="超市", kind="supermarket", area_code=G111)
    doc = id_number("410172", "19900101", 11)
    body = {
        "idempotency_key": "k2",
        "scans": [
            {"venue_code": "NOPE", "document_number": doc, "scanned_at": "2022-06-13T10:00:00Z"},
            {
                "venue_code": venue.code,
                "document_number": "123",
                "scanned_at": "2022-06-13T10:00:00Z",
            },
            {"venue_code": venue.code, "document_number": doc, "scanned_at": "2022-06-13T10:00:00"},
            {
                "venue_code": venue.code,
                "document_number": doc,
                "scanned_at": "2022-06-13T10:00:00Z",
            },
        ],
    }
    answer = client.post(
        "/api/v1/tracing/scans",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {scan_device}"},
    ).json()
    assert answer["accepted"] == 1
    assert [(r["index"], r["field"], r["code"]) for r in answer["rejected"]] == [
        (0, "venue_code", "unknown"),
        (1, "document_number", "length"),
        (2, "scanned_at", "no_offset"),
    ]


def test_a_grid_workers_session_cannot_post_scans(client, grid_worker, id_number):
    client.force_login(grid_worker)
    body = _batch("k3", "V1", id_number("410172", "19900101", 11), "2022-06-13T10:00:00Z")
    answer = client.post("/api/v1/tracing/scans", body, content_type="application/json")
    assert answer.status_code == 403


# --- retention and partitions -----------------------------------------------------------------


def _import_days(write_csv, id_number, *times):
    doc = id_number("410172", "19900101", 11)
    return import_scans(path=write_csv([_row(f"s{i}", doc, t) for i, t in enumerate(times)]))


def test_the_purge_removes_scans_past_the_retention_period(
    district, id_number, write_csv, settings
):
    settings.FANGKONG_SCAN_RETENTION_DAYS = 14
    _import_days(
        write_csv,
        id_number,
        "2022-05-29T09:00:00+08:00",  # 15 days before: gone
        "2022-05-30T09:59:59+08:00",  # just past the cutoff: gone
        "2022-05-30T10:00:00+08:00",  # exactly 14 days: kept
        "2022-06-13T09:00:00+08:00",
    )
    result = purge_scans(now=dt.datetime(2022, 6, 13, 10, tzinfo=SHANGHAI))
    assert sorted(VenueScan.objects.values_list("source_id", flat=True)) == ["s2", "s3"]
    assert result.days_dropped + result.rows_deleted >= 2


@pytest.mark.postgresql  # day partitions exist on PostgreSQL only
def test_scans_land_in_the_partition_of_their_local_day(district, id_number, write_csv):
    _import_days(write_csv, id_number, "2022-06-13T23:30:00+08:00", "2022-06-13T16:30:00Z")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT source_id, tableoid::regclass::text FROM tracing_venuescan ORDER BY source_id"
        )
        rows = cursor.fetchall()
    assert rows == [("s0", "tracing_venuescan_p20220613"), ("s1", "tracing_venuescan_p20220614")]


@pytest.mark.postgresql  # day partitions exist on PostgreSQL only
def test_the_purge_drops_whole_days_and_trims_the_day_at_the_cutoff(
    district, id_number, write_csv, settings
):
    settings.FANGKONG_SCAN_RETENTION_DAYS = 14
    _import_days(
        write_csv,
        id_number,
        "2022-05-28T09:00:00+08:00",
        "2022-05-29T09:00:00+08:00",
        "2022-05-30T08:00:00+08:00",
        "2022-05-30T11:00:00+08:00",
    )
    assert scan_store.partition_days() == [dt.date(2022, 5, d) for d in (28, 29, 30)]
    result = purge_scans(now=dt.datetime(2022, 6, 13, 10, tzinfo=SHANGHAI))
    assert (result.days_dropped, result.rows_deleted) == (2, 1)
    assert scan_store.partition_days() == [dt.date(2022, 5, 30)]
    assert list(VenueScan.objects.values_list("source_id", flat=True)) == ["s3"]


# --- pages ------------------------------------------------------------------------------------


def test_venue_pages_show_masked_scans_and_the_signed_poster(
    client, commander, id_number, write_csv
):
    doc = id_number("410172", "19900101", 11)
    import_scans(path=write_csv([_row("s1", doc, "2022-06-13T10:00:00+08:00")]))
    venue = Venue.objects.get(code="V-SUPER-1")
    client.force_login(commander)
    listing = client.get("/tracing/")
    assert listing.status_code == 200 and "丹尼斯超市" in listing.content.decode()
    # The venue's area by its name, not its code (an imported venue is filed under the district).
    assert venue.area_code == "410172" and "<code>410172</code>" not in listing.content.decode()
    assert "<td>高新区</td>" in listing.content.decode()
    page = client.get(f"/tracing/venues/{venue.pk}/").content.decode()
    assert "· 高新区" in page and "<code>410172</code>" not in page
    assert doc[:3] + "*" * 11 + doc[-4:] in page and doc not in page
    poster = client.get(f"/tracing/venues/{venue.pk}/poster/").content.decode()
    assert "<svg" in poster and venue.code in poster


def test_a_venue_is_registered_from_its_page(client, commander):
    client.force_login(commander)
    answer = client.post(
        "/tracing/",
        {"name": "瓦屋李菜市场", "kind": "market", "area_code": G111, "address": "", "code": ""},
    )
    venue = Venue.objects.get(name="瓦屋李菜市场")
    assert answer.status_code == 302 and venue.area_code == G111 and venue.code.startswith("V")


def test_a_venue_outside_the_users_area_is_refused_and_audited(client, make_user, commander):
    from fangkong.accounts.models import Role
    from fangkong.core.models import AuditEntry

    venue = create_venue(
        user=commander, name="大里村超市", kind="supermarket", area_code="410172-002-001-001"
    )
    worker = make_user(Role.GRID_WORKER, G111)
    client.force_login(worker)
    assert client.get(f"/tracing/venues/{venue.pk}/").status_code == 403
    assert AuditEntry.objects.filter(action="permission_denied", object_type="venue").exists()


def test_a_time_before_2020_or_in_the_future_is_a_bad_row(district, id_number, write_csv):
    doc = id_number("410172", "19900101", 11)
    rows = [
        _row("past", doc, "1900-06-13T10:00:00+08:00"),
        _row("future", doc, "9999-12-31T23:59:59+08:00"),
        _row("ok", doc, "2022-06-13T10:00:00+08:00"),
    ]
    report = import_scans(path=write_csv(rows))
    assert report.imported == 1
    assert [(e["source_id"], e["code"]) for e in report.errors] == [
        ("past", "out_of_range"),
        ("future", "out_of_range"),
    ]


def test_a_device_batch_with_a_year_9999_refuses_that_item_only(
    client, commander, scan_device, id_number
):
    venue = create_venue(user=commander, name="超市", kind="supermarket", area_code=G111)
    doc = id_number("410172", "19900101", 11)
    body = _batch("k9", venue.code, doc, "9999-12-31T23:59:59Z", "2022-06-13T10:00:00Z")
    answer = client.post(
        "/api/v1/tracing/scans",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {scan_device}"},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["accepted"] == 1 and answer.json()["rejected"][0]["index"] == 0


def test_text_a_database_cannot_hold_is_refused_item_by_item(
    client, commander, scan_device, id_number
):
    venue = create_venue(user=commander, name="超市", kind="supermarket", area_code=G111)
    doc = id_number("410172", "19900101", 11)
    body = {
        "idempotency_key": "k-nul",
        "scans": [
            {
                "venue_code": "V\u0000X",
                "document_number": doc,
                "scanned_at": "2022-06-13T10:00:00Z",
            },
            {
                "venue_code": venue.code,
                "document_number": doc,
                "scanned_at": "2022-06-13T10:00:00Z",
            },
        ],
    }
    answer = client.post(
        "/api/v1/tracing/scans",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {scan_device}"},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["accepted"] == 1
    assert answer.json()["rejected"][0]["field"] == "venue_code"


def test_a_file_that_is_not_utf8_is_refused_with_where_it_stopped(district, tmp_path):
    path = tmp_path / "gbk.csv"
    header = ",".join(
        (
            "source_id",
            "venue_code",
            "venue_name",
            "venue_kind",
            "document_type",
            "document_number",
            "scanned_at",
        )
    )
    path.write_bytes((header + "\n").encode() + "s1,V1,超市,,,1,2022-06-13Z\n".encode("gbk"))
    with pytest.raises(RuleViolation) as exc:
        import_scans(path=path)
    assert exc.value.code == "unreadable"


def test_a_file_that_stops_being_utf8_keeps_the_chunks_before_it(district, id_number, tmp_path):
    # The next chunk is read while the one before is written: the error must not undo it.
    doc = id_number("410172", "19900101", 11)
    path = tmp_path / "half-gbk.csv"
    lines = [",".join(CSV_COLUMNS)]
    lines += [",".join(_row(f"s{i}", doc, "2022-06-13T10:00:00Z")) for i in range(400)]
    path.write_bytes("\n".join(lines).encode() + "\ns-gbk,V1,超市,,,1,2022-06-13Z\n".encode("gbk"))
    with pytest.raises(RuleViolation) as exc:
        import_scans(path=path, chunk_size=50)
    assert exc.value.code == "unreadable"
    # Every row read before the error is stored, the chunk written meanwhile included.
    read = int(re.search(r"\d+", str(exc.value.message)).group())
    assert read >= 100 and VenueScan.objects.count() == read


def test_a_nul_character_in_a_file_is_a_bad_row(district, id_number, write_csv):
    doc = id_number("410172", "19900101", 11)
    report = import_scans(
        path=write_csv(
            [_row("s\u00001", doc, "2022-06-13T10:00:00Z"), _row("s2", doc, "2022-06-13T10:00:00Z")]
        )
    )
    assert report.imported == 1 and report.errors[0]["code"] == "invalid"


def test_source_ids_with_tabs_backslashes_and_line_breaks_are_stored_as_written(
    district, id_number, write_csv
):
    """PostgreSQL receives the rows as COPY text and SQLite as JSON, where these characters
    are escapes."""
    doc = id_number("410172", "19900101", 11)
    ids = ["a\tb", "c\\d", "e\nf", "\\N", "g\rh", 'q"uote', "扫码-①", "x\u2028y"]
    report = import_scans(
        path=write_csv([_row(s, doc, f"2022-06-13T1{i}:00:00Z") for i, s in enumerate(ids)])
    )
    assert report.imported == len(ids)
    assert sorted(VenueScan.objects.values_list("source_id", flat=True)) == sorted(ids)
    # The same rows again with a new one among them: only the new one is written, and the
    # rows left out of the chunk's text take none of their neighbours with them.
    rows = [_row(s, doc, f"2022-06-13T1{i}:00:00Z") for i, s in enumerate(ids)]
    rows.insert(3, _row("new\tone\\", doc, "2022-06-13T20:00:00Z"))
    again = import_scans(path=write_csv(rows))
    assert (again.imported, again.duplicates) == (1, len(ids))
    assert sorted(VenueScan.objects.values_list("source_id", flat=True)) == sorted(
        [*ids, "new\tone\\"]
    )


def test_a_chunk_the_writer_cannot_store_fails_the_import_and_leaves_nothing(
    district, id_number, write_csv, monkeypatch
):
    # Each chunk is written from a thread while the next is read: what the database raises
    # there must reach the importer as Django's error, and the chunk's transaction (the
    # claimed ids with it) must roll back.
    doc = id_number("410172", "19900101", 11)
    path = write_csv([_row(f"s{i}", doc, f"2022-06-13T1{i}:00:00Z") for i in range(3)])
    if POSTGRES:
        monkeypatch.setattr("fangkong.tracing.scan_chunks.TABLE", "tracing_no_such_table")
    else:
        monkeypatch.setattr(
            "fangkong.tracing.scan_chunks._SQLITE_INSERT",
            "INSERT INTO tracing_venuescan (venue_id) SELECT value->>0 FROM json_each(?)",
        )
    with pytest.raises(DatabaseError):
        import_scans(path=path)
    assert not VenueScan.objects.exists()
    monkeypatch.undo()
    assert import_scans(path=path).imported == 3  # no id was left claimed


def test_stored_source_ids_holding_the_probes_separator_are_still_duplicates(
    district, id_number, write_csv
):
    """The probe for stored ids sends them joined by the unit separator (\\x1f); ids that
    hold it are sent as an array instead, and still found."""
    doc = id_number("410172", "19900101", 11)
    ids = ["a\x1fb", "c\x1f\x1fd", "plain"]
    path = write_csv([_row(s, doc, f"2022-06-13T1{i}:00:00Z") for i, s in enumerate(ids)])
    assert import_scans(path=path).imported == len(ids)
    again = import_scans(path=path)
    assert (again.imported, again.duplicates) == (0, len(ids))
    assert sorted(VenueScan.objects.values_list("source_id", flat=True)) == sorted(ids)


def test_one_person_across_chunks_is_encrypted_once_and_found_by_one_index(
    district, id_number, write_csv
):
    doc = id_number("410172", "19900101", 11)
    rows = [_row(f"s{i}", doc, f"2022-06-13T1{i}:00:00+08:00") for i in range(4)]
    assert import_scans(path=write_csv(rows), chunk_size=1).imported == 4
    stored = set(VenueScan.objects.values_list("document_cipher", "document_index"))
    assert len(stored) == 1
    assert crypto.decrypt(stored.pop()[0], context=DOCUMENT_CONTEXT) == doc


def test_one_instant_in_any_spelling_of_iso_8601_is_stored_as_that_instant(
    district, id_number, write_csv
):
    # Plain times are written as the file spells them (shifted by the hour on SQLite); the
    # others go through the parsed time: both must land on the same instant and local day.
    doc = id_number("410172", "19900101", 11)
    spellings = [
        "2022-06-12T17:30:00Z",
        "2022-06-13T01:30:00+08:00",
        "2022-06-12T12:30:00-05:00",
        "2022-06-12T23:00:00+05:30",
        "2022-06-13T01:30:00.750+08:00",
        "2022-06-13 01:30:00+08:00",
        "20220613T013000+0800",
        "2022-W23-7T17:30:00Z",  # a week date: as long as a plain time, but no database's text
    ]
    rows = [_row(f"t{i}", doc, at) for i, at in enumerate(spellings)]
    report = import_scans(path=write_csv(rows))
    assert (report.imported, report.errors) == (len(spellings), [])
    instant = dt.datetime(2022, 6, 13, 1, 30, tzinfo=SHANGHAI)
    assert set(VenueScan.objects.values_list("scanned_at", flat=True)) == {instant}
    assert VenueScan.objects.filter(scanned_at__date=dt.date(2022, 6, 13)).count() == len(spellings)
    if POSTGRES:
        assert scan_store.partition_days() == [dt.date(2022, 6, 13)]


def test_the_venue_list_pages_by_page(client, commander, monkeypatch):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for n in range(3):
        create_venue(
            user=commander, name=f"菜市场{n}", kind="market", area_code=G111, address="", code=""
        )
    client.force_login(commander)
    first = client.get("/tracing/").content.decode()
    assert first.count('data-testid="venue"') == 2 and 'href="?page=2"' in first
    second = client.get("/tracing/", {"page": 2}).content.decode()
    assert second.count('data-testid="venue"') == 1 and 'href="?page=1"' in second


def test_documents_of_every_length_are_stored_as_they_are(district, write_csv):
    # SQLite's writer pads the type and the masked number to fixed widths: none of it stays.
    rows = [
        (
            "p1",
            "V-SUPER-1",
            "丹尼斯超市",
            "supermarket",
            "passport",
            "e1234567",
            "2022-06-13T10:00:00Z",
        ),
        (
            "h1",
            "V-SUPER-1",
            "丹尼斯超市",
            "supermarket",
            "hk_macao_permit",
            "H12345678",
            "2022-06-13T10:00:00Z",
        ),
    ]
    assert import_scans(path=write_csv(rows)).imported == 2
    stored = {
        s.source_id: (s.document_type, s.document_masked, len(s.document_index))
        for s in VenueScan.objects.all()
    }
    assert stored == {
        "p1": ("passport", "E*****67", 40),
        "h1": ("hk_macao_permit", "H******78", 40),
    }
    cipher = VenueScan.objects.get(source_id="p1").document_cipher
    assert crypto.decrypt(cipher, context=DOCUMENT_CONTEXT) == "E1234567"


def test_a_document_that_would_break_the_sqlite_row_layout_is_refused_loudly():
    from fangkong.tracing.scan_chunks import _sqlite_tail

    assert _sqlite_tail(("passport", "QUJD", "a" * 40, "E*****67")).startswith("passport ")
    with pytest.raises(ValueError, match="layout"):
        _sqlite_tail(("passport", "QUJD", "a" * 39, "E*****67"))
    with pytest.raises(ValueError, match="ASCII"):
        _sqlite_tail(("passport", 'QU"D', "a" * 40, "E*****67"))


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_the_import_keeps_its_statement_journals_in_a_file_and_restores_the_setting(
    district, id_number, write_csv, monkeypatch
):
    # In memory, the journal of each chunk's statement grew with the table (1 GB at 10 M).
    from fangkong.tracing import scan_chunks

    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA temp_store=MEMORY")
    seen = []
    doc = id_number("410172", "19900101", 11)
    path = write_csv([_row(f"j{i}", doc, f"2022-06-13T1{i}:00:00+08:00") for i in range(3)])
    original = scan_chunks._write_sqlite

    def watch(*args):
        seen.append(raw.execute("PRAGMA temp_store").fetchone()[0])
        return original(*args)

    monkeypatch.setattr(scan_chunks, "_write_sqlite", watch)
    assert import_scans(path=path, chunk_size=2).imported == 3
    assert seen == [1, 1]  # FILE while each chunk is written
    assert raw.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY again


def test_the_per_person_cache_never_holds_more_than_its_limit_and_answers_alike(id_number):
    from fangkong.tracing.services.scan_checks import DocumentVault

    assert DocumentVault()._limit >= 360_000  # a district's 14 days of people, each once
    vault = DocumentVault(limit=2)
    docs = [id_number("410172", f"1990010{d}", 11 + d) for d in range(1, 6)]
    first = [vault.protect("resident_id", d) for d in docs]
    assert len(vault._seen) <= 2
    again = [vault.protect("resident_id", d) for d in docs]
    assert [(t, i, m) for t, _, i, m in again] == [(t, i, m) for t, _, i, m in first]
    assert first[0][2] == document_index("resident_id", docs[0])
