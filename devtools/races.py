"""Races for tests: service calls on their own database connections, at once or interleaved.

`at_once` starts the calls together behind a barrier (SQLite's shared-cache test database
answers "locked" to a second writer instead of queueing it: the call waits and goes again, as a
busy timeout would). `interleaved` makes a race certain on PostgreSQL: the first call's
transaction stays open until the second is seen waiting for a lock it holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import OperationalError, connection, connections, transaction

from fangkong.core.errors import RuleViolation


def at_once(*calls: Callable[[], object]) -> list[str]:
    """Each call's outcome, sorted: "done", or the code of the rule that refused it."""
    outcomes: list[str] = []
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            for _ in range(500):
                try:
                    call()
                    outcomes.append("done")
                    return
                except OperationalError as exc:
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    time.sleep(0.01)
        except RuleViolation as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


class Racer(threading.Thread):
    """One service call on its own connection, keeping the rule that refused it."""

    def __init__(self, call: Callable[[], object]):
        super().__init__(daemon=True)
        self.call, self.error = call, None

    def run(self):
        try:
            self.call()
        except RuleViolation as exc:
            self.error = exc
        finally:
            connections.close_all()


def wait_until_blocked(racer: Racer) -> None:
    """Return once the racer's connection waits for a lock this test's transaction holds (or
    the racer has finished without waiting, which the test's assertions then catch)."""
    with connection.cursor() as cursor:
        while racer.is_alive():
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            racer.join(0.01)


def interleaved(first: Callable[[], object], second: Callable[[], object]) -> Racer:
    """`first` runs in an open transaction; `second` starts against it and must wait for its
    locks (PostgreSQL); the racer is returned finished, with what refused it."""
    racer = Racer(second)
    with transaction.atomic():
        first()
        racer.start()
        wait_until_blocked(racer)
    racer.join(30)
    assert not racer.is_alive()
    return racer
