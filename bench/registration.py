"""Sustained sample registration through the production server on loopback, and crash safety.

`setup` (in a process pointed at the target database) seeds residents, opens a round with
stations and device tokens, prints the tube barcodes and a sample of clear ID numbers into a
config file that the load clients read. `run_load` starts `fangkong serve --production`
(gunicorn, as in the README) and several bounded client processes. `run_crash` kills the
server with SIGKILL during the load, restarts it, and checks that the stored samples are
exactly the acknowledged ones.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from bench.common import percentile
from fangkong.ops.local_server import LocalServer, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def setup(
    config_path: str,
    residents: int,
    stations: int,
    tubes_per_station: int,
    capacity: int,
    documents: int,
) -> None:
    """Runs inside the target database's environment (see `main`)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.core import crypto
    from fangkong.demo.seed import is_seeded, seed_demo
    from fangkong.geo.models import District, Place
    from fangkong.people.models import Resident
    from fangkong.people.services import DOCUMENT_CONTEXT
    from fangkong.testing.services.rounds import add_station, create_round, create_tubes

    if not is_seeded():
        seed_demo(residents=residents, seed=613, progress=False)
    district = District.objects.get()
    rnd = create_round(
        name="bench round", scope_codes=[district.code], user=None, pool_size=capacity
    )
    places = list(Place.objects.order_by("code")[: max(1, stations)])
    cfg_stations = []
    for i in range(stations):
        place = places[i % len(places)]
        token, clear = create_device_token(
            name=f"bench-{i}", role=Role.SAMPLER, scope_code=place.area_code, created_by=None
        )
        station = add_station(
            round=rnd, place=place, name=f"台{i}", kind="door_to_door", devices=[token]
        )
        tubes = create_tubes(round=rnd, count=tubes_per_station, capacity=capacity)
        cfg_stations.append({"id": station.pk, "token": clear, "tubes": [t.barcode for t in tubes]})
    rng = random.Random(5)
    max_id = Resident.objects.order_by("-id").values_list("id", flat=True).first()
    ids = rng.sample(range(1, max_id + 1), min(documents * 2, max_id))
    rows = Resident.objects.filter(id__in=ids, document_type="resident_id").values_list(
        "document_cipher", flat=True
    )[:documents]
    docs = [crypto.decrypt(c, context=DOCUMENT_CONTEXT) for c in rows]
    settle()
    Path(config_path).write_text(
        json.dumps(
            {"stations": cfg_stations, "documents": docs, "capacity": capacity, "round": rnd.pk}
        )
    )


def settle() -> None:
    """Leave the database as a district's would be when a round starts: the registry long
    since vacuumed and analysed, its pages written out. Straight after seeding, autovacuum,
    the first readers' hint-bit writes and the checkpoint of the load all ran during the
    first measured run, on the same two cores."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE)")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def count_samples(env: dict) -> dict:
    code = (
        "import os,json,django;os.environ['DJANGO_SETTINGS_MODULE']='fangkong.settings';django.setup();"
        "from fangkong.testing.models import Sample;"
        "print(json.dumps(list(Sample.objects.values_list('idempotency_key', flat=True))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return {"keys": json.loads(out.stdout.strip().splitlines()[-1])}


class Server(LocalServer):
    """`fangkong serve --production` on loopback, in its own process group."""

    def __init__(self, env: dict, port: int, workers: int | None):
        super().__init__(
            env,
            port,
            workers,
            production=True,
            # to compare server settings
            threads=int(os.environ["FANGKONG_BENCH_THREADS"])
            if os.environ.get("FANGKONG_BENCH_THREADS")
            else None,
            log=os.environ.get("FANGKONG_BENCH_SERVER_LOG"),
        )


def start_clients(
    cfg_path: str,
    clients: int,
    mode: int,
    seconds: float,
    max_requests: int,
    tmp: Path,
    first_tube: int = 0,
) -> list:
    """Start the clients and let them go together once each has built its first batches."""
    start = tmp / f"start-{mode}-{first_tube}"
    procs = []
    for i in range(clients):
        out = tmp / f"client-{mode}-{first_tube}-{i}.json"
        p = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.load_client",
                cfg_path,
                str(i),
                str(mode),
                str(seconds),
                str(max_requests),
                str(out),
                str(first_tube),
                str(start),
            ],
            cwd=ROOT,
        )
        procs.append((p, out))
    deadline = time.monotonic() + 120
    while not all(Path(f"{start}.ready-{i}").exists() for i in range(clients)):
        if time.monotonic() > deadline or any(p.poll() is not None for p, _ in procs):
            raise RuntimeError("a load client did not get ready")
        time.sleep(0.01)
    start.touch()
    return procs


def collect(procs: list) -> list[dict]:
    results = []
    for p, out in procs:
        p.wait(timeout=600)
        results.append(json.loads(out.read_text()))
    return results


def summarise(results: list[dict], seconds: float) -> dict:
    """Throughput over the load window: from the first request any client sent to the last
    answer any client received. `seconds` (the clients' wall time, which includes starting
    four Python interpreters and building their first batches on the same two cores) is
    kept beside it."""
    latencies = [ms for r in results for ms in r["latencies_ms"]]
    accepted = sum(r["accepted"] for r in results)
    starts = [r["first_sent"] for r in results if r.get("first_sent")]
    ends = [r["last_done"] for r in results if r.get("last_done")]
    window = (max(ends) - min(starts)) if starts and ends else seconds
    return {
        "samples_per_s": accepted / window if window else 0.0,
        "window_s": window,
        "wall_s": seconds,
        "requests": sum(r["requests"] for r in results),
        "accepted": accepted,
        "errors": sum(r["errors"] for r in results),
        "retries": sum(r["retries"] for r in results),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
    }


def run_load(
    env: dict,
    cfg_path: str,
    tmp: Path,
    *,
    mode: int,
    clients: int,
    seconds: float,
    workers: int | None,
    repeats: int = 1,
    tubes_per_run: int = 0,
) -> dict:
    """`repeats` runs against one server; each run's clients start on fresh tubes. The
    figures are the median run's (by samples/s), with every run's throughput beside them:
    on a shared two-core machine one run can be 15 % off the next."""
    cfg = json.loads(Path(cfg_path).read_text())
    port = free_port()
    cfg.update(host="127.0.0.1", port=port)
    Path(cfg_path).write_text(json.dumps(cfg))
    server = Server(env, port, workers).start()
    runs = []
    try:
        for run in range(repeats):
            started = time.perf_counter()
            procs = start_clients(
                cfg_path, clients, mode, seconds, 10**9, tmp, first_tube=run * tubes_per_run
            )
            results = collect(procs)
            runs.append(summarise(results, time.perf_counter() - started))
    finally:
        server.stop()
    ordered = sorted(runs, key=lambda r: r["samples_per_s"])
    median = dict(ordered[len(ordered) // 2])
    if repeats > 1:
        median["runs_samples_per_s"] = [round(r["samples_per_s"]) for r in runs]
    return median


def run_crash(
    env: dict,
    cfg_path: str,
    tmp: Path,
    *,
    clients: int,
    seconds: float,
    kill_after: float,
    workers: int | None,
    max_requests: int = 10**9,
) -> dict:
    """Kill -9 the server mid-load, restart it; clients retry with their keys."""
    cfg = json.loads(Path(cfg_path).read_text())
    port = free_port()
    cfg.update(host="127.0.0.1", port=port)
    Path(cfg_path).write_text(json.dumps(cfg))
    server = Server(env, port, workers).start()
    procs = start_clients(cfg_path, clients, 20, seconds, max_requests, tmp)
    time.sleep(kill_after)
    server.kill()
    time.sleep(1.0)
    server = Server(env, port, workers).start()
    try:
        results = collect(procs)
    finally:
        server.stop()
    acked = [k for r in results for k in r["acked_keys"]]
    stored = count_samples(env)["keys"]
    return {
        "acked": len(acked),
        "stored": len(stored),
        "lost": len(set(acked) - set(stored)),
        "unacknowledged_stored": len(set(stored) - set(acked)),
        "duplicates": len(stored) - len(set(stored)),
        "retries": sum(r["retries"] for r in results),
    }


def main() -> None:
    # python -m bench.registration setup CONFIG RESIDENTS STATIONS TUBES CAPACITY DOCUMENTS
    if sys.argv[1] == "setup":
        setup(sys.argv[2], *(int(a) for a in sys.argv[3:8]))


if __name__ == "__main__":
    main()
