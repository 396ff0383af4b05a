"""Mass-testing benchmarks on a seeded district: positive-pool fan-out and live coverage.

`fill_round` writes a round of pooled samples (20:1) straight through SQL — the registration
path has its own benchmark; here we need millions of rows quickly to measure what reads and
reacts to them.
"""

from __future__ import annotations

import datetime as dt
import time

from bench.common import percentile


def fill_round(samples: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.geo.models import District, Place
    from fangkong.testing.services.rounds import add_station, barcode_for, create_round
    from fangkong.testing.services.tallies import rebuild_round_tallies

    district = District.objects.get()
    rnd = create_round(name="bench fan-out round", scope_codes=[district.code], user=None)
    place = Place.objects.order_by("code").first()
    token, _clear = create_device_token(
        name="bench-fanout", role=Role.SAMPLER, scope_code=place.area_code, created_by=None
    )
    station = add_station(
        round=rnd, place=place, name="bench", kind="door_to_door", devices=[token]
    )
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, area_code FROM people_resident ORDER BY id")
        people = cursor.fetchall()
    tubes_needed = samples // 20
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM testing_tube")
        serial = cursor.fetchone()[0] + 1
    written = 0
    person = 0
    batch_tubes = 2000
    for first in range(0, tubes_needed, batch_tubes):
        n = min(batch_tubes, tubes_needed - first)
        with transaction.atomic(), connection.cursor() as cursor:
            tubes = [
                (
                    barcode_for(serial + first + i),
                    rnd.pk,
                    station.pk,
                    "people",
                    20,
                    0,
                    "sealed",
                    20,
                    place.area_code,
                    now,
                    now,
                    now,
                    now,
                    "",
                )
                for i in range(n)
            ]
            cursor.executemany(
                "INSERT INTO testing_tube (barcode, round_id, station_id, kind, capacity, swab_points, state, sample_count, "
                "area_code, first_sample_at, sealed_at, created_at, updated_at, result) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                tubes,
            )
            cursor.execute(
                "SELECT id FROM testing_tube WHERE round_id = %s ORDER BY id DESC LIMIT %s",
                [rnd.pk, n],
            )
            tube_ids = sorted(r[0] for r in cursor.fetchall())
            rows = []
            for tube_id in tube_ids:
                for _ in range(20):
                    pid, area = people[person % len(people)]
                    person += 1
                    rows.append(
                        (
                            f"b{rnd.pk}-{written}",
                            rnd.pk,
                            tube_id,
                            station.pk,
                            pid,
                            area,
                            now,
                            now,
                            0,
                            "",
                            "bench",
                        )
                    )
                    written += 1
            cursor.executemany(
                "INSERT INTO testing_sample (idempotency_key, round_id, tube_id, station_id, resident_id, area_code, "
                "taken_at, recorded_at, flags, name_given, recorded_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
    seconds = time.perf_counter() - started
    # Registration keeps who was tested per round and grid as it writes; samples written
    # straight to the table are counted by the same recount a repair would run.
    recount = time.perf_counter()
    rebuild_round_tallies([rnd.pk])
    recount = time.perf_counter() - recount
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"round": rnd.pk, "samples": written, "seconds": seconds, "recount_seconds": recount}


def bench_fanout(round_id: int, tubes: int = 200) -> dict:
    """Result accepted → retest orders and incident committed, per positive pool.

    Measured in a process that has loaded its URLconf, as any server or outbox worker has by
    the time a result arrives: the notification handlers build links with `reverse`, and the
    first call in a fresh process imports every view module (0.6 s) — a start-up cost, not the
    fan-out's.
    """
    from django.db import connection, transaction
    from django.urls import get_resolver

    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.command.models import Incident
    from fangkong.lab.models import Lab
    from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
    from fangkong.lab.services.results import ResultIn, record_results
    from fangkong.testing.models import TestingRound, Tube

    rnd = TestingRound.objects.get(pk=round_id)
    lab = Lab.objects.create(name="bench lab")
    token, _clear = create_device_token(
        name="bench-lab", role=Role.LAB_TECHNICIAN, scope_code=rnd.area_code, created_by=None
    )
    lab.devices.add(token)
    station_token = rnd.stations.first().devices.first()
    # Tubes spread over the district, so each positive touches a different community.
    ids = list(Tube.objects.filter(round=rnd).order_by("id").values_list("barcode", flat=True))
    step = max(1, len(ids) // tubes)
    picked = ids[::step][:tubes]
    box = pack_box(code="BENCH-BOX", round=rnd, barcodes=picked, actor=station_token, by="bench")
    hand_box_to_courier(box=box, courier="bench", actor=station_token)
    receive_box(box=box, lab=lab, actor=token, by="bench")
    get_resolver().url_patterns  # noqa: B018 - loads the URLconf, as a running server has
    latencies = []
    for barcode in picked:
        t = time.perf_counter()
        with transaction.atomic():
            batch = record_results(
                lab=lab, items=[ResultIn(barcode, "presumptive_positive", 33, 34)], actor=token
            )
        # record_results' events were delivered on commit (incident, timeline) before we get here
        latencies.append((time.perf_counter() - t) * 1000)
        assert batch.accepted == 1 and batch.items[0].retest_orders == 20
    incidents = Incident.objects.count()
    return {
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "tubes": len(picked),
        "incidents": incidents,
        "vendor": connection.vendor,
    }


def bench_coverage(round_id: int, repeats: int = 5) -> dict:
    from fangkong.accounts.models import User
    from fangkong.geo.models import District
    from fangkong.testing.models import TestingRound
    from fangkong.testing.selectors import round_coverage

    rnd = TestingRound.objects.get(pk=round_id)
    commander = User(
        username="bench", role="district_commander", scope_code=District.objects.get().code
    )
    timings = []
    for _ in range(repeats):
        t = time.perf_counter()
        coverage = round_coverage(round=rnd, user=commander)
        timings.append(time.perf_counter() - t)
    assert coverage.tested > 0
    return {
        "median_s": sorted(timings)[len(timings) // 2],
        "max_s": max(timings),
        "grids": len(coverage.grids),
        "tested": coverage.tested,
    }


__all__ = ["bench_coverage", "bench_fanout", "dt", "fill_round"]
