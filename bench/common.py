"""Shared pieces of the benchmarks: a fresh database per task, percentiles, machine facts."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from devtools.pgcluster import start_cluster


@contextlib.contextmanager
def fresh_database(db: str) -> Iterator[dict]:
    """Environment variables pointing the settings at a new, empty database of kind `db`.

    PostgreSQL runs with its durable defaults (fsync on): benchmarks measure what production
    would see, unlike the test suite's cluster.
    """
    with tempfile.TemporaryDirectory(prefix="fangkong-bench-") as tmp:
        env = {"FANGKONG_DATA_DIR": tmp}
        if db == "sqlite":
            yield env
            return
        cluster = start_cluster(fast=False)
        try:
            env["FANGKONG_DATABASE_URL"] = cluster.url()
            yield env
        finally:
            cluster.stop()


def setup_django(env: dict) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench_user(role: str, scope: str, name: str):
    """A user of `role` over `scope`, as the lists and sweeps are read by one."""
    from fangkong.accounts.services import create_user

    return create_user(username=name, password="bench-password-123", role=role, scope_code=scope)


def time_list_page(query: Callable[[], object], *, repeats: int = 7, page: int = 50) -> dict:
    """One list page as a page reads it: the query built, its count, its first `page` rows;
    `repeats` times, median and slowest in milliseconds."""
    timings: list[float] = []
    count = rows = 0
    for _ in range(repeats):
        t = time.perf_counter()
        qs = query()
        count = qs.count()
        rows = len(list(qs[:page]))
        timings.append((time.perf_counter() - t) * 1000)
    return {"median_ms": median(timings), "max_ms": max(timings), "count": count, "rows": rows}


def machine() -> dict:
    import sqlite3

    import django
    import psutil

    info = {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    return info
