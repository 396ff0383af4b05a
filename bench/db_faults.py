"""Database faults under load: kill -9 the PostgreSQL server (not the app) and restart it.

Load clients post sample batches through the production server; mid-load the postmaster is
killed with SIGKILL and, after a pause, started again on the same data directory. While it
is away the app must answer 503 with Retry-After (JSON for the API, a short page otherwise);
once it is back the app must reconnect by itself; the clients resend their batches with the
same keys, so every acknowledged sample is stored exactly once.
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

from bench.registration import Server, collect, count_samples, free_port, start_clients


def probe(port: int, path: str, *, headers: dict | None = None) -> dict:
    """One GET: its status, Retry-After, content type and the start of its body."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
    except OSError as exc:
        return {"status": None, "error": type(exc).__name__}
    return {
        "status": response.status,
        "retry_after": response.getheader("Retry-After"),
        "content_type": response.getheader("Content-Type", ""),
        "body": body[:400].decode("utf-8", "replace"),
    }


def wait_until_served(port: int, *, timeout: float) -> float | None:
    """Seconds until /healthz answers 200 again (None: not within `timeout`)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if probe(port, "/healthz").get("status") == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def run_pg_restart(
    env: dict,
    cfg_path: str,
    tmp: Path,
    *,
    cluster,
    clients: int,
    seconds: float,
    kill_after: float,
    down_for: float,
    workers: int | None,
    max_requests: int = 10**9,
) -> dict:
    cfg = json.loads(Path(cfg_path).read_text())
    port = free_port()
    cfg.update(host="127.0.0.1", port=port)
    Path(cfg_path).write_text(json.dumps(cfg))
    token = cfg["stations"][0]["token"]
    server = Server(env, port, workers).start()
    try:
        procs = start_clients(cfg_path, clients, 20, seconds, max_requests, tmp)
        time.sleep(kill_after)
        killed = time.monotonic()
        cluster.kill()
        away = {
            "api": probe(
                port, "/api/v1/geo/areas/410172", headers={"Authorization": f"Bearer {token}"}
            ),
            "page": probe(port, "/healthz", headers={"Accept": "text/html"}),
        }
        time.sleep(max(0.0, down_for - (time.monotonic() - killed)))
        restarting = time.monotonic()
        cluster.restart()  # returns once PostgreSQL's crash recovery is done and it accepts
        restarted = time.monotonic()
        served = wait_until_served(port, timeout=120)
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
        "answered_503": sum(r.get("unavailable", 0) for r in results),
        "database_down_s": round(restarting - killed, 2),
        "database_restart_s": round(restarted - restarting, 2),
        # From starting the database again to the app serving: its crash recovery included.
        "recover_s": None if served is None else round(restarted - restarting + served, 2),
        "while_away": away,
    }


def bench_pg_restart(*, residents: int, clients: int = 4, seconds: float = 20) -> dict:
    """The load version: a durable cluster (fsync on), the production server, `clients`
    devices posting batches of 20; the postmaster is killed a third of the way in."""
    import tempfile

    from bench.bench_registration import environment, prepare
    from devtools.pgcluster import start_cluster

    cluster = start_cluster(fast=False)
    try:
        with tempfile.TemporaryDirectory(prefix="fk-pgrestart-") as t:
            tmp = Path(t)
            db_env = {"FANGKONG_DATA_DIR": t, "FANGKONG_DATABASE_URL": cluster.url()}
            setup_env, server_env = environment(db_env, tmp)
            cfg = tmp / "cfg.json"
            prepare(setup_env, cfg, residents=residents, stations=clients, tubes=2500)
            return run_pg_restart(
                server_env,
                str(cfg),
                tmp,
                cluster=cluster,
                clients=clients,
                seconds=seconds,
                kill_after=seconds / 3,
                down_for=3.0,
                workers=None,
            )
    finally:
        cluster.stop()
