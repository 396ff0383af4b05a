"""Registration throughput, latency and crash safety for one database kind."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import fresh_database
from bench.registration import ROOT, run_crash, run_load


def environment(db_env: dict, tmp: Path) -> tuple[dict, dict]:
    """(setup env, server env): the same keys; the server runs in production mode."""
    keys = {
        "FANGKONG_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "FANGKONG_FIELD_KEY": base64.b64encode(os.urandom(32)).decode(),
        "FANGKONG_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    setup_env = {**base, **db_env, **keys}
    server_env = {
        **setup_env,
        "FANGKONG_ENV": "production",
        "FANGKONG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FANGKONG_LOG_LEVEL": "WARNING",
    }
    return setup_env, server_env


def prepare(
    setup_env: dict,
    cfg: Path,
    *,
    residents: int,
    stations: int,
    tubes: int,
    capacity: int = 20,
    documents: int = 20000,
) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.registration",
            "setup",
            str(cfg),
            str(residents),
            str(stations),
            str(tubes),
            str(capacity),
            str(documents),
        ],
        cwd=ROOT,
        env=setup_env,
        check=True,
    )


def bench_registration(
    db: str,
    *,
    residents: int = 100_000,
    seconds: float = 20,
    clients: int = 4,
    workers: int | None = None,  # None: the server's default, as the README runs it
) -> dict:
    out = {}
    with fresh_database(db) as db_env, tempfile.TemporaryDirectory(prefix="fk-reg-") as t:
        tmp = Path(t)
        setup_env, server_env = environment(db_env, tmp)
        cfg = tmp / "cfg.json"
        # Enough tubes that no client runs out within a run's time limit (each run of batches
        # of 20 starts on fresh tubes; single samples fill the list from its other end).
        per_run = 2500
        prepare(setup_env, cfg, residents=residents, stations=clients, tubes=3 * per_run + 500)
        out["batch20"] = run_load(
            server_env,
            str(cfg),
            tmp,
            mode=20,
            clients=clients,
            seconds=seconds,
            workers=workers,
            repeats=3,
            tubes_per_run=per_run,
        )
        out["single"] = run_load(
            server_env, str(cfg), tmp, mode=1, clients=clients, seconds=seconds / 2, workers=workers
        )
    with fresh_database(db) as db_env, tempfile.TemporaryDirectory(prefix="fk-crash-") as t:
        tmp = Path(t)
        setup_env, server_env = environment(db_env, tmp)
        cfg = tmp / "cfg.json"
        prepare(setup_env, cfg, residents=min(residents, 20_000), stations=clients, tubes=2000)
        out["crash"] = run_crash(
            server_env,
            str(cfg),
            tmp,
            clients=clients,
            seconds=seconds,
            kill_after=seconds / 2,
            workers=workers,
        )
    return out


if __name__ == "__main__":
    import json

    print(
        json.dumps(
            bench_registration(
                sys.argv[1] if len(sys.argv) > 1 else "sqlite",
                residents=int(sys.argv[2]) if len(sys.argv) > 2 else 20000,
                seconds=float(sys.argv[3]) if len(sys.argv) > 3 else 10,
            )
        )
    )
