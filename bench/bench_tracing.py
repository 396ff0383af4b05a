"""Tracing benchmarks: importing a venue-code platform's file of N scans (rate and memory),
exposures of one person with 30 scans against all of them (p50/p99), and purging a day.

The synthetic city: venues with Zipf-like popularity (a few malls and metro stations take most
scans), people who scan a few times a day, entry times spread over the last 14 days. N is the
task's size (FANGKONG_BENCH_TRACING_SCANS in `make bench`; the issue's figure is 10 million).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import tempfile
import threading
import time
from pathlib import Path

from bench.bench_seed import _sample_rss
from bench.common import median, percentile
from bench.raw_scans import bench_raw_scans

KINDS = ("supermarket", "restaurant", "pharmacy", "market", "office", "metro_station")
PERSON_SCANS = 30


def _id_number(seq: int) -> str:
    from fangkong.core.documents import check_character

    birth = dt.date(1950, 1, 1) + dt.timedelta(days=seq % 20000)
    body = f"410172{birth:%Y%m%d}{seq % 1000:03d}"
    return body + check_character(body)


def write_scans_file(path: Path, *, scans: int, now: dt.datetime, seed: int = 613) -> None:
    """N scans as the platform exports them, written as they are made (flat memory)."""
    rng = random.Random(seed)
    venues = max(10, scans // 1000)
    people = [_id_number(i) for i in range(max(100, min(scans // 20, 200_000)))]
    span = 14 * 86400 - 3600
    start = now - dt.timedelta(seconds=span)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
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
        for i in range(scans):
            venue = min(int(rng.paretovariate(1.2)) - 1, venues - 1)
            at = start + dt.timedelta(seconds=rng.randrange(span))
            out.writerow(
                (
                    f"s{i}",
                    f"V{venue:07d}",
                    f"场所{venue}",
                    KINDS[venue % len(KINDS)],
                    "resident_id",
                    people[rng.randrange(len(people))],
                    at.isoformat(timespec="seconds"),
                )
            )


def bench_tracing(scans: int) -> dict:
    from django.utils import timezone

    from fangkong.tracing.selectors import OPERATOR, list_exposures
    from fangkong.tracing.services.scans import import_scans, purge_scans

    now = timezone.now().replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="fangkong-scans-") as tmp:
        big, case = Path(tmp) / "scans.csv", Path(tmp) / "case.csv"
        write_scans_file(big, scans=scans, now=now)
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
        # The case: 30 visits to the busiest venues over the 14 days.
        document = "410172198001010000"
        document = document[:17] + _check(document[:17])
        rows = [
            (
                f"case{k}",
                f"V{k % 5:07d}",
                "",
                KINDS[k % 5 % len(KINDS)],
                "resident_id",
                document,
                (now - dt.timedelta(hours=11 * k + 1)).isoformat(timespec="seconds"),
            )
            for k in range(PERSON_SCANS)
        ]
        with case.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(
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
            out.writerows(rows)
        import_scans(path=case)
    timings, found = [], 0
    for _ in range(int(os.environ.get("FANGKONG_BENCH_TRACING_REPEATS", "20"))):
        t0 = time.perf_counter()
        found = len(
            list_exposures(
                actor=OPERATOR,
                document_number=document,
                start=now - dt.timedelta(days=14),
                end=now,
            )
        )
        timings.append((time.perf_counter() - t0) * 1000)
    # A day later, the oldest day's scans are past the retention period.
    t0 = time.perf_counter()
    purged = purge_scans(now=now + dt.timedelta(days=1))
    purge_s = time.perf_counter() - t0
    follow = bench_orders_and_chains(
        orders=int(os.environ.get("FANGKONG_BENCH_FOLLOW_UP_ORDERS", "100000")),
        cases=int(os.environ.get("FANGKONG_BENCH_CHAIN_CASES", "50000")),
    )
    return {
        **follow,
        "scans": report.imported,
        "import_scans_per_s": report.imported / seconds if seconds else 0.0,
        "import_peak_rss_mb": peak[0] / 2**20,
        **raw,
        "exposures_found": found,
        "exposures_p50_ms": median(timings),
        "exposures_p99_ms": percentile(timings, 99),
        "purge_day_s": purge_s,
        "purge_days_dropped": purged.days_dropped,
        "purge_rows_deleted": purged.rows_deleted,
    }


def _check(body: str) -> str:
    from fangkong.core.documents import check_character

    return check_character(body)


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
