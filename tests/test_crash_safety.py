"""Kill -9 the production server during sample registration: nothing acknowledged is lost,
nothing is stored twice, nothing unacknowledged sneaks in. (The large run is in bench/.)"""

import os
import tempfile
from pathlib import Path

from bench.bench_registration import environment, prepare
from bench.common import fresh_database
from bench.registration import run_crash


def test_stored_samples_equal_the_acknowledged_ones_after_a_crash():
    db = os.environ.get("FANGKONG_TEST_DB", "sqlite")
    with fresh_database(db) as db_env, tempfile.TemporaryDirectory(prefix="fk-crash-") as tmp:
        setup_env, server_env = environment(db_env, Path(tmp))
        cfg = Path(tmp) / "cfg.json"
        prepare(setup_env, cfg, residents=1500, stations=2, tubes=200, documents=1200)
        result = run_crash(
            server_env,
            str(cfg),
            Path(tmp),
            clients=2,
            seconds=6,
            kill_after=2.5,
            workers=2,
            max_requests=400,
        )
    assert result["acked"] > 0
    assert result["lost"] == 0
    assert result["duplicates"] == 0
    assert result["unacknowledged_stored"] == 0
    assert result["stored"] == result["acked"]
