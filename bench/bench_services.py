"""Services benchmarks: the request list scoped and filtered, the clock sweep, allocating a
package to every household of a zone, and the courier's hand-over scan through the
production HTTP stack, over `n` requests on a district of a thousand grids."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import time

from bench.bench_governance import COMMUNITIES, GRIDS, SUBDISTRICTS, _district
from bench.common import bench_user, percentile, time_list_page

OVERDUE_SHARE = 0.05
ZONE_GRID = "410172-001-001-001"


def fill_requests(n: int) -> dict:
    """`n` open requests spread over the grids and kinds, OVERDUE_SHARE of them overdue."""
    from django.utils import timezone

    from fangkong.geo.services import import_district
    from fangkong.services.kinds import request_catalogue
    from fangkong.services.models import ServiceRequest

    started = time.perf_counter()
    import_district(_district())
    grids = [
        f"410172-{s:03d}-{c:03d}-{g:03d}"
        for s in range(1, SUBDISTRICTS + 1)
        for c in range(1, COMMUNITIES + 1)
        for g in range(1, GRIDS + 1)
    ]
    catalogue = request_catalogue()
    kinds = list(catalogue.kinds.values())
    rng = random.Random(16)
    now = timezone.now()
    batch: list[ServiceRequest] = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        raised = now - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 3))
        overdue = rng.random() < OVERDUE_SHARE
        due = (
            now - dt.timedelta(minutes=rng.randrange(1, 600))
            if overdue
            else now + dt.timedelta(hours=6)
        )
        batch.append(
            ServiceRequest(
                kind=kind.code,
                catalogue_version=catalogue.version,
                priority=2,
                queue_rank=kind.rank,
                channel="grid_worker",
                area_code=grids[i % len(grids)],
                raised_at=raised,
                acknowledge_due_at=due,
                fulfil_due_at=due + dt.timedelta(hours=24),
                due_at=due,
            )
        )
        if len(batch) == 10_000:
            ServiceRequest.objects.bulk_create(batch)
            batch = []
    ServiceRequest.objects.bulk_create(batch)
    return {"requests": n, "seconds": time.perf_counter() - started}


def bench_request_list() -> dict:
    """One queue page: a sub-district's open medicine requests, first page and its count."""
    from fangkong.accounts.models import Role
    from fangkong.services.selectors import RequestFilter, list_requests

    user = bench_user(Role.SUBDISTRICT_STAFF, "410172-003", "bench-desk")
    filters = RequestFilter(kind="medicine", open_only=True)
    return time_list_page(lambda: list_requests(user=user, filters=filters))


def bench_sweep() -> dict:
    """The sweep over every open request; the second run finds everything already done."""
    from fangkong.services.services.sweep import sweep_overdue_requests

    t = time.perf_counter()
    first = sweep_overdue_requests()
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    second = sweep_overdue_requests()
    return {
        "first_s": first_s,
        "again_s": time.perf_counter() - t,
        "overdue": first.overdue,
        "tasks": first.tasks_created,
        "tasks_again": second.tasks_created,
    }


def _zone_homes(households: int) -> int:
    """Buildings of 200 households each in one grid, one resident per household (two in
    every third), bulk-inserted: the zone the allocation runs over."""
    from fangkong.geo.models import Building, Grid, Household
    from fangkong.people.models import Resident

    grid = Grid.objects.get(code=ZONE_GRID)
    buildings = Building.objects.bulk_create(
        Building(code=f"{ZONE_GRID}-{b:03d}", name_zh=f"{b}号楼", grid=grid, area_code=ZONE_GRID)
        for b in range(1, households // 200 + 2)
    )
    homes = Household.objects.bulk_create(
        (
            Household(
                building=buildings[i // 200],
                code=f"{buildings[i // 200].code}-{i % 200:03d}",
                room=f"{i % 200:03d}",
                area_code=ZONE_GRID,
            )
            for i in range(households)
        ),
        batch_size=5000,
    )
    people = [
        Resident(name="居民", household=h, area_code=ZONE_GRID)
        for i, h in enumerate(homes)
        for _ in range(2 if i % 3 == 0 else 1)
    ]
    Resident.objects.bulk_create(people, batch_size=5000)
    return len(people)


def bench_allocation(households: int) -> dict:
    from fangkong.accounts.models import Role
    from fangkong.services.services.deliveries import allocate_package
    from fangkong.zones.services.designation import designate_zone

    residents = _zone_homes(households)
    commander = bench_user(Role.DISTRICT_COMMANDER, "410172", "bench-commander")
    zone = designate_zone(user=commander, kind="sealed", members=[ZONE_GRID])
    t = time.perf_counter()
    package = allocate_package(user=commander, zone=zone, name="保供包", days=3)
    seconds = time.perf_counter() - t
    return {
        "households": package.allocations.count(),
        "residents": residents,
        "runs": package.runs.count(),
        "seconds": seconds,
        "package": package.pk,
    }


def bench_handover_http(package_id: int, requests: int = 500, warmup: int = 20) -> dict:
    """POST /api/v1/services/runs/{id}/handover with a courier's token, through the server."""
    from bench.registration import Server, free_port
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.services.models import Allocation

    _token, key = create_device_token(
        name="bench-courier", role=Role.COMMUNITY_STAFF, scope_code=ZONE_GRID, created_by=None
    )
    doors = list(
        Allocation.objects.filter(package_id=package_id)
        .order_by("id")
        .values_list("run_id", "household__code")[: warmup + requests]
    )
    env = {
        **os.environ,
        "FANGKONG_ENV": "production",
        "FANGKONG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FANGKONG_LOG_LEVEL": "WARNING",
    }
    port = free_port()
    server = Server(env, port, 2).start()
    timings: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i, (run_id, code) in enumerate(doors):
            body = json.dumps({"idempotency_key": f"door-{i}", "household_code": code})
            t = time.perf_counter()
            conn.request(
                "POST", f"/api/v1/services/runs/{run_id}/handover", body=body, headers=headers
            )
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - t) * 1000
            if response.will_close:
                conn.close()
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if i >= warmup:
                timings.append(elapsed)
    finally:
        server.stop()
    return {
        "p50_ms": percentile(timings, 50),
        "p99_ms": percentile(timings, 99),
        "statuses": statuses,
    }


def bench_services(n: int) -> dict:
    households = min(20_000, max(200, n // 5))
    fill = fill_requests(n)  # imports the district the zone lies in
    listed, swept = bench_request_list(), bench_sweep()
    allocation = bench_allocation(households)
    return {
        "fill": fill,
        "list": listed,
        "sweep": swept,
        "allocation": allocation,
        "handover": bench_handover_http(
            allocation["package"], int(os.environ.get("FANGKONG_BENCH_HANDOVERS", "500"))
        ),
    }


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(bench_services(1000)))
