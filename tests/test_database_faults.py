"""The database goes away under the app: 503 with Retry-After while it is away, recovery by
itself, no acknowledged sample lost and nothing written half. (The load run is in bench/.)"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from bench.bench_registration import environment, prepare
from bench.db_faults import run_pg_restart
from devtools.pgcluster import start_cluster


@pytest.mark.skipif(
    os.environ.get("FANGKONG_TEST_DB") != "postgresql",
    reason="kills and restarts a PostgreSQL server; the SQLite faults are tested below",
)
def test_killing_postgresql_mid_load_answers_503_then_recovers_and_loses_nothing():
    # Durable commits, as in production: the suite's fast cluster acknowledges a commit
    # before its WAL is written, and a killed server loses what it acknowledged.
    cluster = start_cluster(fast=False)
    try:
        with tempfile.TemporaryDirectory(prefix="fk-pgkill-") as tmp:
            db_env = {"FANGKONG_DATA_DIR": tmp, "FANGKONG_DATABASE_URL": cluster.url()}
            setup_env, server_env = environment(db_env, Path(tmp))
            cfg = Path(tmp) / "cfg.json"
            prepare(setup_env, cfg, residents=1500, stations=2, tubes=200, documents=1200)
            result = run_pg_restart(
                server_env,
                str(cfg),
                Path(tmp),
                cluster=cluster,
                clients=2,
                seconds=8,
                kill_after=2.5,
                down_for=2.0,
                workers=2,
            )
    finally:
        cluster.stop()
    api, page = result["while_away"]["api"], result["while_away"]["page"]
    assert api["status"] == 503 and api["retry_after"]
    assert api["content_type"].startswith("application/json")
    assert json.loads(api["body"])["errors"][0]["code"] == "unavailable"
    assert page["status"] == 503 and page["retry_after"]
    assert page["content_type"].startswith("text/html") and "数据库暂时不可用" in page["body"]
    assert result["recover_s"] is not None  # served again without restarting the app
    assert result["acked"] > 0
    assert result["lost"] == 0
    assert result["duplicates"] == 0
    assert result["unacknowledged_stored"] == 0
    assert result["stored"] == result["acked"]
