"""Tracing benchmarks: importing a venue-code platform's file of N scans (rate and memory),
the exposures of cases with 30 scans each against all of them, and the retention purge.

The synthetic district is described in `bench.tracing_city` (20,000 venues at 10 million scans,
the busiest a metro station with ~22,000 scans a day). N is the task's size
(FANGKONG_BENCH_TRACING_SCANS in `make bench`; the issue's figure is 10 million).
FANGKONG_BENCH_TRACING_SEED=raw writes the scans straight into the table instead of importing
a file (no import figure; minutes saved when only the exposures and the purge are wanted).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from bench.bench_seed import _sample_rss
from bench.common import median, percentile
from bench.raw_scans import bench_raw_scans
from bench.tracing_city import City, seed_raw

DISTRICT = "410172"
CASES = int(os.environ.get("FANGKONG_BENCH_TRACING_CASES", "8"))


def write_scans_file(path: Path, rows: Iterable[tuple]) -> None:
    """Scans as the platform exports them, in the importer's columns, written as they are
    made (flat memory)."""
    from fangkong.tracing.services.scan_checks import CSV_COLUMNS

    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(CSV_COLUMNS)
        out.writerows(rows)


def _import_file(city: City, scans: int) -> dict:
    from fangkong.tracing.services.scans import import_scans

    with tempfile.TemporaryDirectory(prefix="fangkong-scans-") as tmp:
        big = Path(tmp) / "scans.csv"
        write_scans_file(big, city.scans(scans))
        raw = bench_raw_scans(big)
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_sample_rss, args=(stop, peak), daemon=True)
        sampler.start()
        started = time.perf_counter()
        try:
            report = import_scans(path=big)
        finally:
            seconds = time.perf_counter() - started
            stop.set()
            sampler.join()
    return {
        "scans": report.imported,
        "import_scans_per_s": report.imported / seconds if seconds else 0.0,
        "import_peak_rss_mb": peak[0] / 2**20,
        **raw,
    }


def _import_cases(city: City) -> list[str]:
    """The cases' visits imported as a platform's file (their blind index is the real one)."""
    from fangkong.tracing.services.scans import import_scans

    documents, rows = [], []
    for number in range(CASES):
        document, visits = city.case(number)
        documents.append(document)
        rows += visits
    with tempfile.TemporaryDirectory(prefix="fangkong-cases-") as tmp:
        path = Path(tmp) / "cases.csv"
        write_scans_file(path, rows)
        assert import_scans(path=path).imported == len(rows)
    return documents


def bench_tracing(scans: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from fangkong.tracing.models import Venue

    now = timezone.now().replace(microsecond=0)
    city = City(scans=scans, now=now)
    if os.environ.get("FANGKONG_BENCH_TRACING_SEED") == "raw":
        seeded = {"scans": seed_raw(city, scans=scans)}
    else:
        seeded = _import_file(city, scans)
    documents = _import_cases(city)
    # The bench loads no area tree: the venues are filed under the district, as an import
    # files them once the district is loaded, so the investigator's scope holds them.
    Venue.objects.update(area_code=DISTRICT)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would have by now
            cursor.execute("ANALYZE tracing_venuescan")
    exposures = bench_exposures(city, documents)
    purge = bench_purge(city)
    follow = bench_orders_and_chains(
        orders=int(os.environ.get("FANGKONG_BENCH_FOLLOW_UP_ORDERS", "100000")),
        cases=int(os.environ.get("FANGKONG_BENCH_CHAIN_CASES", "50000")),
    )
    return {**follow, **seeded, "venues": city.venues, **exposures, **purge}


def bench_exposures(city: City, documents: list[str]) -> dict:
    """The investigator's page for each case (the visits counted, the first visit's first
    page of candidates), round after round: p50/p99 over every case; then the CLI's full
    answer for each case, with its rows."""
    from django.core.management import call_command
    from django.test import Client, override_settings

    from fangkong.accounts.models import Role, User
    from fangkong.tracing.selectors import exposure_query, exposure_visits
    from fangkong.tracing.services.exposures import subject_token
    from fangkong.tracing.services.scan_checks import person_key

    user = User.objects.create(
        username="investigator", role=Role.DISTRICT_COMMANDER, scope_code=DISTRICT
    )
    client = Client()
    client.force_login(user)
    start, end = city.now - dt.timedelta(days=14), city.now
    urls, indexes = [], []
    for document in documents:
        index, masked = person_key(document_type="resident_id", document_number=document)
        indexes.append(index)
        token = subject_token(index=index, masked=masked)
        urls.append(
            ("/tracing/exposures/", {"subject": token, "start": start, "end": end, "window": ""})
        )
    page_ms, visits, candidates = [], [], []
    rounds = int(os.environ.get("FANGKONG_BENCH_TRACING_REPEATS", "5"))
    with override_settings(DEBUG=False):
        # One page first, untimed: the templates and catalogues load on a server's first page.
        client.get(urls[0][0], {k: str(v) for k, v in urls[0][1].items()})
        for _ in range(rounds):
            for path, params in urls:
                t0 = time.perf_counter()
                answer = client.get(path, {k: str(v) for k, v in params.items()})
                page_ms.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 200, answer.status_code
    for index in indexes:  # what the pages showed, read again through the same selector
        query = exposure_query(actor=user, subject_index=index, start=start, end=end)
        counted = exposure_visits(query)
        visits.append(len(counted))
        candidates.append(sum(v.candidates for v in counted))
    cli_s, cli_rows = [], []
    for document in documents:
        out = _CountingSink()
        t0 = time.perf_counter()
        call_command(
            "tracing", "exposures", "--document-number", document, "--from",
            start.isoformat(), "--to", end.isoformat(), "--json", stdout=out,
        )  # fmt: skip
        cli_s.append(time.perf_counter() - t0)
        cli_rows.append(out.rows)
    assert cli_rows == candidates, (cli_rows, candidates)  # one figure, two readings
    return {
        "exposure_cases": len(documents),
        "exposures_page_p50_ms": median(page_ms),
        "exposures_page_p99_ms": percentile(page_ms, 99),
        "exposures_visits_with_candidates": visits,
        "exposures_found": candidates,
        "exposures_cli_median_s": median(cli_s),
        "exposures_cli_max_s": max(cli_s),
        "exposures_cli_rows_median": statistics.median(cli_rows),
        "exposures_cli_rows_max": max(cli_rows),
    }


class _CountingSink(io.TextIOBase):
    """Where the CLI's JSON goes: its exposures counted as they stream, nothing kept."""

    def __init__(self):
        self.rows = 0

    def write(self, text: str) -> int:
        self.rows += text.count('"source_id"')
        return len(text)


def bench_purge(city: City) -> dict:
    """The worker's purge as a day expires: first the oldest (partial) day, untimed; then, a
    minute after the first full day's last scan expired, the pass that removes that day
    (a partition dropped on PostgreSQL, batched deletes on SQLite) and the minute after the
    cut; then the next minute's pass, which is what the worker does all day."""
    from django.conf import settings

    from fangkong.tracing.models import VenueScan
    from fangkong.tracing.services.scans import purge_scans

    retention = dt.timedelta(days=settings.FANGKONG_SCAN_RETENTION_DAYS)
    day = city.first_full_day()
    day_start, day_end = city.day_bounds(day)
    purge_scans(now=day_start + retention)
    day_rows = VenueScan.objects.filter(scanned_at__gte=day_start, scanned_at__lt=day_end).count()
    minute = dt.timedelta(minutes=1)
    t0 = time.perf_counter()
    gone = purge_scans(now=day_end + retention + minute)
    day_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    then = purge_scans(now=day_end + retention + 2 * minute)
    minute_ms = (time.perf_counter() - t0) * 1000
    return {
        "purge_day_rows": day_rows,
        "purge_day_s": day_s,
        "purge_days_dropped": gone.days_dropped,
        "purge_rows_deleted": gone.rows_deleted,
        "purge_next_minute_ms": minute_ms,
        "purge_next_minute_rows": then.rows_deleted,
    }


GRIDS = [f"410172-00{s}-00{c}-00{g}" for s in (1, 2) for c in (1, 2) for g in (1, 2, 3)]


def make_orders(*, orders: int, today: dt.date) -> None:
    """`orders` people under home quarantine, started over the last week, in twelve grids."""
    from fangkong.tracing.models import ControlOrder

    ControlOrder.objects.bulk_create(
        [
            ControlOrder(
                number=i + 1,
                year=today.year,
                kind="home_quarantine",
                tier="secondary",
                protocol="bench",
                protocol_version=1,
                last_exposure=today,
                start=today - dt.timedelta(days=i % 7),
                end=today + dt.timedelta(days=7 - i % 7),
                test_dates=[(today + dt.timedelta(days=k - i % 7)).isoformat() for k in (1, 4, 7)],
                area_code=GRIDS[i % len(GRIDS)],
                document_type="resident_id",
                document_cipher="",
                document_index=f"o{i}",
                document_masked="410***",
            )
            for i in range(orders)
        ],
        batch_size=5000,
    )


def make_chains(*, cases: int, today: dt.date) -> None:
    """`cases` cases with four contacts each; one contact in ten is the next case."""
    from django.utils import timezone

    from fangkong.tracing.models_cases import Case, Contact

    now = timezone.now()
    Case.objects.bulk_create(
        [
            Case(
                kind="confirmed",
                source="manual",
                document_type="resident_id",
                document_cipher="",
                document_index=f"c{i}",
                document_masked="410***",
                area_code=GRIDS[i % len(GRIDS)],
                protocol="bench",
                opened_at=now,
                report_due_at=now,
                investigation_due_at=now,
                state="investigated",
            )
            for i in range(cases)
        ],
        batch_size=5000,
    )
    ids = list(Case.objects.order_by("id").values_list("id", flat=True))
    Contact.objects.bulk_create(
        [
            Contact(
                case_id=ids[i],
                tier="close",
                source="manual",
                document_type="resident_id",
                # One contact in ten is the next case: chains of ten cases.
                document_index=f"c{i + 1}" if k == 0 and (i + 1) % 10 else f"k{i}-{k}",
                document_masked="410***",
                area_code=GRIDS[i % len(GRIDS)],
                last_exposure=today,
            )
            for i in range(cases)
            for k in range(4)
        ],
        batch_size=5000,
    )


def bench_orders_and_chains(*, orders: int, cases: int) -> dict:
    """The follow-up page over `orders` people under orders, and the chain overview
    over `cases` cases with four contacts each (one in ten of them a case too)."""
    from django.test import Client, override_settings
    from django.utils import timezone

    from fangkong.accounts.models import Role, User
    from fangkong.tracing.chains import cluster_overview
    from fangkong.tracing.models import ControlOrder
    from fangkong.tracing.models_cases import Case
    from fangkong.tracing.selectors import cases_for

    user = User.objects.create(username="bench", role=Role.DISTRICT_COMMANDER, scope_code="410172")
    today = timezone.localdate()
    make_orders(orders=orders, today=today)
    client = Client()
    client.force_login(user)
    grid = GRIDS[0]
    timings, in_grid, bare = [], [], []
    # The follow-up page as the commander opens it (each list counted per grid, the short
    # ones listed), then one grid's page (its people listed); no query log, as in production.
    with override_settings(DEBUG=False):
        for _ in range(5):
            for path, out in (
                (f"/tracing/follow-up/?day={today}", timings),
                (f"/tracing/follow-up/?day={today}&area={grid}", in_grid),
            ):
                t0 = time.perf_counter()
                answer = client.get(path)
                out.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 200, answer.status_code
            # Baseline, same run: the active orders counted, one bare pass over the table.
            t0 = time.perf_counter()
            ControlOrder.objects.filter(state="active").count()
            bare.append((time.perf_counter() - t0) * 1000)
    make_chains(cases=cases, today=today)
    chain, graph, read = [], [], []
    with override_settings(DEBUG=False):
        for _ in range(3):
            # The chains page (one row per cluster), then the largest cluster's graph opened.
            t0 = time.perf_counter()
            page = client.get("/tracing/chains/")
            chain.append((time.perf_counter() - t0) * 1000)
            assert page.status_code == 200, page.status_code
            largest = cluster_overview(cases_for(user))[0]["cluster"]
            t0 = time.perf_counter()
            data = client.get(f"/tracing/chains/{largest}.json")
            graph.append((time.perf_counter() - t0) * 1000)
            assert len(data.json()["nodes"]) > 1
            # Baseline, same run: every case's id and blind index read, the least it must read.
            t0 = time.perf_counter()
            list(Case.objects.values_list("id", "document_index"))
            read.append((time.perf_counter() - t0) * 1000)
    return {
        "orders": orders,
        "follow_up_lists_median_ms": median(timings),
        "follow_up_grid_median_ms": median(in_grid),
        "follow_up_baseline_ms": median(bare),
        "cases": cases,
        "chain_overview_median_ms": median(chain),
        "chain_cluster_graph_median_ms": median(graph),
        "chain_baseline_ms": median(read),
    }
