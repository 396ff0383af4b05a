"""The database goes away under the app: 503 with Retry-After while it is away, recovery by
itself, no acknowledged sample lost and nothing written half. (The load run is in bench/.)"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench.bench_registration import environment, prepare
from bench.db_faults import run_pg_restart
from bench.registration import Server, count_samples, free_port
from devtools.pgcluster import start_cluster


# Kills and restarts a PostgreSQL server; the SQLite faults are tested below.
@pytest.mark.postgresql
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


def post_batch(port: int, cfg: dict, *, tube: int, prefix: str) -> tuple[int, dict, dict]:
    """One batch of samples into one tube, with keys `prefix-0…`: (status, headers, body)."""
    station = cfg["stations"][0]
    taken = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat()
    items = [
        {
            "idempotency_key": f"{prefix}-{i}",
            "tube_barcode": station["tubes"][tube],
            "taken_at": taken,
            "document_number": cfg["documents"][(tube * 20 + i) % len(cfg["documents"])],
        }
        for i in range(5)
    ]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "POST",
        "/api/v1/testing/samples",
        body=json.dumps({"station": station["id"], "items": items}),
        headers={"Authorization": f"Bearer {station['token']}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), json.loads(response.read() or b"{}")


# A full disk under the embedded SQLite file (a tiny mounted filesystem); PostgreSQL's fault
# is tested above.
@pytest.mark.sqlite
@pytest.mark.root
def test_a_full_disk_under_sqlite_answers_503_and_writes_nothing_half():
    with tempfile.TemporaryDirectory(prefix="fk-full-") as tmp:
        disk = Path(tmp) / "disk"
        disk.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", str(disk)], check=True)
        try:
            setup_env, server_env = environment({"FANGKONG_DATA_DIR": str(disk)}, Path(tmp))
            cfg_path = Path(tmp) / "cfg.json"
            prepare(setup_env, cfg_path, residents=1500, stations=1, tubes=10, documents=200)
            cfg = json.loads(cfg_path.read_text())
            port = free_port()
            server = Server(server_env, port, workers=1).start()
            try:
                assert post_batch(port, cfg, tube=0, prefix="a")[0] == 200
                filler = disk / "filler"
                # Until the disk is full (ENOSPC); the database may already have filled it.
                with contextlib.suppress(OSError), filler.open("wb") as fh:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
                status, headers, body = post_batch(port, cfg, tube=1, prefix="b")
                assert status == 503 and headers.get("Retry-After")
                assert body["errors"][0]["code"] == "unavailable"
                stored = set(count_samples(setup_env)["keys"])
                assert not {k for k in stored if k.startswith("b-")}  # nothing half written
                filler.unlink()
                status, _, body = post_batch(port, cfg, tube=1, prefix="b")  # the device retries
                assert status == 200
                assert {i["status"] for i in body["items"]} == {"accepted"}
            finally:
                server.stop()
            stored = count_samples(setup_env)["keys"]
            assert sorted(stored) == sorted(
                [f"a-{i}" for i in range(5)] + [f"b-{i}" for i in range(5)]
            )
        finally:
            subprocess.run(["umount", "-l", str(disk)], check=False)


READ_ONLY_REQUESTS = """
import hashlib, json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "fangkong.settings"
django.setup()
from django.test import Client
client = Client()
api = client.post(
    "/api/v1/testing/samples",
    data=json.dumps({"station": 1, "items": [{"idempotency_key": "ro-1",
        "tube_barcode": "000000000001", "taken_at": "2026-06-13T08:00:00+08:00"}]}),
    content_type="application/json",
    HTTP_AUTHORIZATION="Bearer any-device-token",
)
page = client.get("/healthz", HTTP_ACCEPT="text/html")
print(json.dumps({
    "api": [api.status_code, api.get("Retry-After"), api.json()["errors"][0]["code"]],
    "page": [page.status_code, page.get("Retry-After"), page.content.decode()],
}))
"""


# A read-only disk under the embedded SQLite file (a read-only bind mount); PostgreSQL's
# fault is above.
@pytest.mark.sqlite
@pytest.mark.root
def test_a_read_only_sqlite_disk_answers_503_and_writes_nothing():
    """A real read-only file: the data directory seen through a read-only bind mount (root
    ignores file modes, so a chmod would not do)."""
    with tempfile.TemporaryDirectory(prefix="fk-ro-") as tmp:
        rw, ro = Path(tmp) / "rw", Path(tmp) / "ro"
        rw.mkdir(), ro.mkdir()
        base = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
        env = {**base, "FANGKONG_DATA_DIR": str(rw), "FANGKONG_DEBUG": "0"}
        subprocess.run(
            [sys.executable, "-m", "fangkong.cli", "migrate", "-v0"], env=env, check=True
        )
        before = (rw / "fangkong.sqlite3").read_bytes()
        subprocess.run(["mount", "--bind", str(rw), str(ro)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True)
            out = subprocess.run(
                [sys.executable, "-c", READ_ONLY_REQUESTS],
                env={**env, "FANGKONG_DATA_DIR": str(ro)},
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            subprocess.run(["umount", "-l", str(ro)], check=False)
        assert out.returncode == 0, out.stderr[-2000:]
        answers = json.loads(out.stdout.strip().splitlines()[-1])
        assert answers["api"] == [503, "5", "unavailable"]
        status, retry_after, html = answers["page"]
        assert status == 503 and retry_after == "5" and "数据库暂时不可用" in html
        assert (rw / "fangkong.sqlite3").read_bytes() == before
