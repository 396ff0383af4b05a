"""Risk-zone benchmarks on a seeded district: the daily lifting evaluation over many active
zones, and checkpoint decisions through the production HTTP stack."""

from __future__ import annotations

import http.client
import json
import os
import random
import time

from bench.common import percentile
from fangkong.core.areas import AreaCode


def designate_many(n: int) -> dict:
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_user
    from fangkong.geo.models import Building, District
    from fangkong.zones.services.designation import designate_zone

    district = District.objects.get()
    commander = create_user(
        username="bench-commander",
        password="bench-password-123",
        role=Role.DISTRICT_COMMANDER,
        scope_code=district.code,
    )
    codes = list(Building.objects.order_by("code").values_list("code", flat=True))
    rng = random.Random(3)
    picked = rng.sample(codes, min(n, len(codes)))
    started = time.perf_counter()
    for i, code in enumerate(picked):
        designate_zone(
            user=commander, kind="sealed" if i % 3 else "controlled", members=[code], reason="bench"
        )
    return {
        "zones": len(picked),
        "seconds": time.perf_counter() - started,
        "commander": commander.pk,
    }


def bench_lifting(repeats: int = 3) -> dict:
    from fangkong.zones.services.lifting import evaluate_all

    timings, zones = [], 0
    for _ in range(repeats):
        t = time.perf_counter()
        zones = len(evaluate_all())
        timings.append(time.perf_counter() - t)
    return {"zones": zones, "median_s": sorted(timings)[len(timings) // 2], "max_s": max(timings)}


def bench_checkpoint_http(requests: int = 1500, warmup: int = 20) -> dict:
    """Decide passages at one checkpoint over HTTP with a guard device's token.

    The first `warmup` requests are sent but not timed: a worker's first answers include its
    imports, its database connection and the token lookup, once per worker start, not per
    passage. They are logged like the others."""
    from bench.registration import Server, free_port
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.core import crypto
    from fangkong.people.models import Resident
    from fangkong.people.services import DOCUMENT_CONTEXT
    from fangkong.zones.models import RiskZone
    from fangkong.zones.services.checkpoints import set_up_checkpoint

    zone = RiskZone.objects.filter(status="active").order_by("id").first()
    commander = zone.designated_by
    checkpoint = set_up_checkpoint(zone=zone, user=commander, name="bench checkpoint")
    _token, clear = create_device_token(
        name="bench-guard",
        role=Role.CHECKPOINT_GUARD,
        scope_code=AreaCode(checkpoint.area_code).district,
        created_by=None,
    )
    ciphers = list(
        Resident.objects.exclude(document_cipher="")
        .order_by("?")
        .values_list("document_cipher", flat=True)[:300]
    )
    codes = [crypto.decrypt(c, context=DOCUMENT_CONTEXT) for c in ciphers]
    env = {
        **os.environ,
        "FANGKONG_ENV": "production",
        "FANGKONG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FANGKONG_LOG_LEVEL": "WARNING",
    }
    port = free_port()
    server = Server(env, port, 2).start()
    latencies, decisions = [], {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {clear}", "Content-Type": "application/json"}
        for i in range(warmup + requests):
            body = json.dumps({"code": codes[i % len(codes)], "direction": "out"})
            t = time.perf_counter()
            conn.request(
                "POST",
                f"/api/v1/zones/checkpoints/{checkpoint.pk}/decide",
                body=body,
                headers=headers,
            )
            response = conn.getresponse()
            data = response.read()
            elapsed = (time.perf_counter() - t) * 1000
            if response.will_close:
                conn.close()
            if i < warmup:
                continue
            latencies.append(elapsed)
            if response.status == 200:
                d = json.loads(data)["decision"]
                decisions[d] = decisions.get(d, 0) + 1
            else:
                decisions[response.status] = decisions.get(response.status, 0) + 1
    finally:
        server.stop()
    return {
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "requests": requests,
        "warmup": warmup,
        "decisions": decisions,
    }
