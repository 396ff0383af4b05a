"""The command dashboard's server-side render time for a district commander."""

from __future__ import annotations

import time


def bench_dashboard(repeats: int = 7) -> dict:
    from django.test import Client

    from fangkong.accounts.models import User

    commander = User.objects.filter(role="district_commander").order_by("id").first()
    client = Client()
    client.force_login(commander)
    timings = {"page": [], "live": []}
    for _ in range(repeats):
        for name, path in (("page", "/command/"), ("live", "/command/live/")):
            t = time.perf_counter()
            response = client.get(path)
            timings[name].append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    page, live = sorted(timings["page"]), sorted(timings["live"])
    return {
        "median_ms": page[len(page) // 2],
        "max_ms": page[-1],
        "live_median_ms": live[len(live) // 2],
    }
