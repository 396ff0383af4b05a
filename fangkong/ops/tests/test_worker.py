"""`fangkong worker`: committed events reach the command centre even when the web server died
right after the commit, with only the documented services running."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from bench.registration import Server, free_port
from fangkong.command.models import Incident
from fangkong.core.models import OutboxDelivery, OutboxEvent

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
POSTGRESQL = os.environ.get("FANGKONG_TEST_DB") == "postgresql"
STARTED, STOPPED = "后台进程已启动", "后台进程已停止"  # the worker speaks the site's language


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def service_environment(data_dir: Path) -> dict:
    """The environment of this test's database, for the server and the workers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_")}
    env.update(
        FANGKONG_DATA_DIR=str(data_dir),
        FANGKONG_DEBUG="0",
        FANGKONG_ALLOWED_HOSTS="127.0.0.1",
        FANGKONG_LOG_LEVEL="WARNING",
    )
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["FANGKONG_DATABASE_URL"] = (
            f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    else:  # the embedded database lives at DATA_DIR/fangkong.sqlite3
        (data_dir / "fangkong.sqlite3").symlink_to(db["NAME"])
    return env


def post_result(port: int, *, token: str, barcode: str, answers: list) -> None:
    body = json.dumps([{"tube_barcode": barcode, "result": "positive", "ct_orf1ab": 30}])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request(
            "POST",
            "/api/v1/lab/results",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": "worker-test-1",
            },
        )
        answers.append(conn.getresponse().status)
    except OSError as exc:  # the server was killed before it answered
        answers.append(type(exc).__name__)


def hold_delivery():
    """Let the result commit but keep its events from being delivered in the web process.

    PostgreSQL: a table lock on the deliveries makes the after-commit delivery wait, so the
    server is killed between the commit and the delivery, as in a real crash. SQLite has no
    lock to wait on there; a trigger makes the incident insert fail instead (the delivery
    fails and the event stays pending), and the server is killed after that.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {OutboxDelivery._meta.db_table} IN EXCLUSIVE MODE")
        return lambda: None
    table = Incident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TRIGGER hold_incidents BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'held by the test'); END"
        )

    def release():
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER hold_incidents")

    return release


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BIN / "fangkong"), "worker", "--interval", "0.5", "--outbox-interval", "0.5"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@pytest.mark.django_db(transaction=True)
def test_an_incident_appears_by_itself_after_the_server_died_right_after_the_commit(
    received_tube, lab
):
    with tempfile.TemporaryDirectory(prefix="fk-worker-") as tmp:
        env = service_environment(Path(tmp))
        port = free_port()
        server = Server(env, port, workers=1).start()
        answers: list = []
        try:
            # PostgreSQL's lock lasts as long as this transaction; SQLite's trigger must be
            # committed at once (an open write transaction would hold the server's commit too).
            with transaction.atomic() if POSTGRESQL else contextlib.nullcontext():
                release = hold_delivery()
                poster = threading.Thread(
                    target=post_result,
                    kwargs={
                        "port": port,
                        "token": lab.token.clear,
                        "barcode": received_tube.barcode,
                        "answers": answers,
                    },
                )
                poster.start()
                wait_for(
                    lambda: OutboxEvent.objects.filter(kind="testing.pool_positive").exists(),
                    timeout=60,
                    what="the result's commit",
                )
                if not POSTGRESQL:
                    wait_for(
                        lambda: OutboxEvent.objects.filter(attempts__gt=0).exists(),
                        timeout=60,
                        what="the failed delivery",
                    )
                server.kill()
                release()
            poster.join(30)
        finally:
            server.kill()
        assert not Incident.objects.exists()
        assert OutboxEvent.objects.get(kind="testing.pool_positive").processed_at is None

        # The documented services: two workers at once, as a second host or a restart overlap.
        logs = [Path(tmp) / "worker-1.log", Path(tmp) / "worker-2.log"]
        workers = [start_worker(env, log) for log in logs]
        try:
            for log in logs:  # signals are handled from here on
                wait_for(lambda log=log: STARTED in log.read_text(), timeout=60, what=log.name)
            wait_for(Incident.objects.exists, timeout=90, what="the incident")
            wait_for(
                lambda: not OutboxEvent.objects.filter(processed_at__isnull=True).exists(),
                timeout=60,
                what="every event delivered",
            )
        finally:
            for w in workers:
                if w.poll() is None:
                    os.killpg(w.pid, signal.SIGTERM)
            for w in workers:
                w.wait(timeout=60)
        outputs = [log.read_text() for log in logs]
        assert [w.returncode for w in workers] == [0, 0], outputs
        assert all(STOPPED in out for out in outputs)
        assert Incident.objects.count() == 1
        handlers = OutboxDelivery.objects.values_list("handler", flat=True)
        assert len(handlers) == len(set(handlers))  # no handler applied an event twice
