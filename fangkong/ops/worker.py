"""The one background process production runs beside the web server (`fangkong worker`).

It runs the django-tasks database queue (what `fangkong db_worker` runs) in the main thread and
the outbox loop (`fangkong outbox --loop`) in a second thread, so events committed by a web
process that died before delivering them are delivered within seconds, without anyone running
`fangkong outbox` by hand. Both loops claim their rows (the queue with its own lock, events
with `select_for_update(skip_locked=True)` on PostgreSQL, the SQLite write lock otherwise), so
two workers may run at once. Neither loop dies when the database goes away: it waits and
reconnects.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Worker

from fangkong.command.services.outbox import OutboxPass, run_outbox_pass
from fangkong.testing.services.rounds import close_due_rounds

log = logging.getLogger("fangkong.worker")
DATABASE_DOWN = (OperationalError, InterfaceError)


CLOSE_ROUNDS_EVERY = 30  # outbox passes: about a minute at the default interval


class OutboxLoop(threading.Thread):
    """Pass over the outbox every `interval` seconds (at once again after a busy pass)."""

    def __init__(self, *, interval: float, limit: int, report=None):
        super().__init__(name="outbox", daemon=True)
        self.interval, self.limit, self.report = interval, limit, report
        self.stopping = threading.Event()
        self.passes = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                result = self.run_once()
                if result is None or not result.busy:
                    self.stopping.wait(self.interval)
        finally:
            connections.close_all()

    def run_once(self) -> OutboxPass | None:
        close_old_connections()  # a connection the database dropped is replaced here
        try:
            if self.passes % CLOSE_ROUNDS_EVERY == 0:
                # Rounds whose window ended take no samples anyway; storing their closure
                # now and then keeps their status true for every other reader.
                close_due_rounds()
            result = run_outbox_pass(limit=self.limit)
        except DATABASE_DOWN as exc:
            log.warning("outbox pass: database unavailable (%s); retrying", type(exc).__name__)
            close_old_connections()
            return None
        except Exception:
            # A bug in one pass must not stop delivery for good; the next pass retries.
            log.exception("outbox pass failed")
            return None
        self.passes += 1
        if result.busy and self.report is not None:
            self.report(result)
        return result


def run_task_queue(worker: Worker, *, retry_seconds: float) -> None:
    """The django-tasks worker's loop, restarted after the database comes back."""
    while worker.running:
        try:
            worker.run()
            return
        except DATABASE_DOWN as exc:
            log.warning("task queue: database unavailable (%s); retrying", type(exc).__name__)
            close_old_connections()
            time.sleep(retry_seconds)
