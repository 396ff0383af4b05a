"""Governance benchmarks: the case list scoped and filtered, the clock sweep, and Open311
through the production HTTP stack, over `n` cases on a district of a thousand grids."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import time
import urllib.parse

from bench.common import bench_user, percentile, time_list_page

SUBDISTRICTS, COMMUNITIES, GRIDS = 10, 10, 10  # 1,000 grids
OVERDUE_SHARE = 0.05


def _district() -> dict:
    def grid(code: str, x: float, y: float) -> dict:
        ring = [[x, y], [x + 0.001, y], [x + 0.001, y + 0.001], [x, y + 0.001], [x, y]]
        return {
            "code": code,
            "name_zh": code[-3:],
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "buildings": [],
        }

    subdistricts = []
    for s in range(1, SUBDISTRICTS + 1):
        communities = []
        for c in range(1, COMMUNITIES + 1):
            base = f"410172-{s:03d}-{c:03d}"
            grids = [
                grid(f"{base}-{g:03d}", 113.5 + (s * 10 + c) * 0.001, 34.7 + g * 0.001)
                for g in range(1, GRIDS + 1)
            ]
            communities.append({"code": base, "name_zh": base, "grids": grids})
        subdistricts.append(
            {"code": f"410172-{s:03d}", "name_zh": f"S{s}", "communities": communities}
        )
    return {"district": {"code": "410172", "name_zh": "高新区", "subdistricts": subdistricts}}


def fill_cases(n: int) -> dict:
    """`n` cases spread over the grids, most open, OVERDUE_SHARE of them overdue."""
    from django.utils import timezone

    from fangkong.geo.services import import_district
    from fangkong.governance.kinds import case_catalogue
    from fangkong.governance.models import GovCase, Stage, Unit

    started = time.perf_counter()
    import_district(_district())
    grids = [
        (f"410172-{s:03d}-{c:03d}-{g:03d}", s)
        for s in range(1, SUBDISTRICTS + 1)
        for c in range(1, COMMUNITIES + 1)
        for g in range(1, GRIDS + 1)
    ]
    units = [Unit.objects.create(code="district", name="区", area_code="410172")]
    units += [
        Unit.objects.create(code=f"s{s}", name=f"S{s}", area_code=f"410172-{s:03d}")
        for s in range(1, SUBDISTRICTS + 1)
    ]
    kinds = list(case_catalogue().kinds)
    version = case_catalogue().version
    rng = random.Random(17)
    now = timezone.now()
    stages = [Stage.REPORTED, Stage.ACCEPTED, Stage.DISPATCHED, Stage.HANDLING, Stage.CLOSED]
    batch: list[GovCase] = []
    for i in range(n):
        area, subdistrict = grids[i % len(grids)]
        stage = stages[i % len(stages)]
        received = now - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 120))
        overdue = rng.random() < OVERDUE_SHARE
        due = (
            now - dt.timedelta(hours=rng.randrange(1, 200))
            if overdue
            else now + dt.timedelta(days=5)
        )
        closed = stage == Stage.CLOSED
        batch.append(
            GovCase(
                kind=kinds[i % len(kinds)],
                catalogue_version=version,
                source="hotline",
                title=f"事项{i}",
                area_code=area,
                owner_unit=units[subdistrict],
                stage=stage,
                received_at=received,
                response_due_at=received + dt.timedelta(days=5),
                clock="" if closed else "handle",
                due_at=None if closed else due,
                closure_type="normal" if closed else "",
                closed_at=now if closed else None,
                resolved=True if closed else None,
            )
        )
        if len(batch) == 10_000:
            GovCase.objects.bulk_create(batch)
            batch = []
    GovCase.objects.bulk_create(batch)
    return {"cases": n, "seconds": time.perf_counter() - started}


def bench_case_list() -> dict:
    """One desk page: a sub-district's open cases of one kind, first page and its count."""
    from fangkong.accounts.models import Role
    from fangkong.governance.selectors import CaseFilter, list_cases

    user = bench_user(Role.SUBDISTRICT_STAFF, "410172-003", "bench-desk")
    filters = CaseFilter(kind="wage_arrears", open_only=True)
    return time_list_page(lambda: list_cases(user=user, filters=filters))


def bench_sweep() -> dict:
    """The sweep over every open case: first over the fill's backlog (every overdue case
    written up to its level at once), again at the same moment (nothing to do), and an
    hour later, as the worker runs it (the cases whose next level came in that hour)."""
    import datetime as dt

    from django.utils import timezone

    from fangkong.governance.services.sweep import sweep_overdue_cases

    now = timezone.now()
    t = time.perf_counter()
    first = sweep_overdue_cases(now=now)
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    second = sweep_overdue_cases(now=now)
    again_s = time.perf_counter() - t
    t = time.perf_counter()
    hour = sweep_overdue_cases(now=now + dt.timedelta(hours=1))
    return {
        "first_s": first_s,
        "again_s": again_s,
        "hour_later_s": time.perf_counter() - t,
        "overdue": first.overdue,
        "tasks": first.tasks_created,
        "tasks_again": second.tasks_created,
        "hour_later_moved": hour.overdue,
    }


def bench_open311_http(requests: int = 500, warmup: int = 20) -> dict:
    """GET requests.json and POST requests.json with a reporter's key, through the server."""
    from bench.registration import Server, free_port
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token

    _token, key = create_device_token(
        name="bench-app", role=Role.REPORTER, scope_code="410172", created_by=None
    )
    env = {
        **os.environ,
        "FANGKONG_ENV": "production",
        "FANGKONG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FANGKONG_LOG_LEVEL": "WARNING",
    }
    port = free_port()
    server = Server(env, port, 2).start()
    timings: dict[str, list[float]] = {"get": [], "post": []}
    statuses: dict[str, int] = {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for i in range(warmup + requests):
            method = "get" if i % 2 else "post"
            t = time.perf_counter()
            if method == "get":
                conn.request("GET", "/open311/v2/requests.json?status=open&service_code=rubbish")
            else:
                grid = f"410172-{1 + i % 10:03d}-{1 + i % 7:03d}-{1 + i % 9:03d}"
                body = urllib.parse.urlencode(
                    {"api_key": key, "service_code": "rubbish", "address_id": grid}
                )
                conn.request("POST", "/open311/v2/requests.json", body=body, headers=form)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - t) * 1000
            if response.will_close:
                conn.close()
            key_status = f"{method}:{response.status}"
            statuses[key_status] = statuses.get(key_status, 0) + 1
            if i >= warmup:
                timings[method].append(elapsed)
    finally:
        server.stop()
    return {
        "get_p50_ms": percentile(timings["get"], 50),
        "get_p99_ms": percentile(timings["get"], 99),
        "post_p50_ms": percentile(timings["post"], 50),
        "post_p99_ms": percentile(timings["post"], 99),
        "statuses": statuses,
    }


def bench_governance(n: int) -> dict:
    return {
        "fill": fill_cases(n),
        "list": bench_case_list(),
        "sweep": bench_sweep(),
        "open311": bench_open311_http(int(os.environ.get("FANGKONG_BENCH_OPEN311", "500"))),
    }


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(bench_governance(1000)))
