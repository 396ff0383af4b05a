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

import datetime as dt
import logging
import threading
import time

from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from fangkong.command.services.outbox import OutboxPass, run_outbox_pass
from fangkong.governance.services.sweep import sweep_overdue_cases
from fangkong.services.services.care_templates import extend_care_templates
from fangkong.services.services.sweep import sweep_overdue_requests
from fangkong.testing.services.rounds import close_due_rounds
from fangkong.tracing.services.cases import escalate_overdue_clocks
from fangkong.tracing.services.followup import escalate_missed_reports
from fangkong.tracing.services.scan_sources import purge_scan_sources
from fangkong.tracing.services.scans import purge_scans

log = logging.getLogger("fangkong.worker")
DATABASE_DOWN = (OperationalError, InterfaceError)


CLOCKS_EVERY = 30  # outbox passes: about a minute at the default interval


def run_clocks(*, today_done: set) -> None:
    """What has to happen because time passed, so nobody has to remember a cron line at 3 a.m.:
    rounds whose window ended are closed, overdue cases, requests and investigation clocks
    become tasks (each sweep is idempotent), scans past their retention are purged, and once
    a day recurring care is planned ahead, yesterday's missed follow-up reports become tasks
    and the purged scans' source ids are forgotten. One failing job does not stop the others; a database outage goes up to the
    caller, which waits and retries."""
    jobs = [
        ("close_due_rounds", close_due_rounds),
        ("case clocks", sweep_overdue_cases),
        ("request clocks", sweep_overdue_requests),
        ("investigation clocks", escalate_overdue_clocks),
        # Scans are personal data kept 14 days after the scan, not to the end of a day: run
        # every pass, the purge drops each day's partition as its last hour expires and
        # deletes only the few minutes' scans before the cut since the last pass.
        ("scan retention", purge_scans),
    ]
    today = timezone.localdate()
    daily = today not in today_done
    if daily:
        yesterday = today - dt.timedelta(days=1)
        jobs += [
            ("recurring care", extend_care_templates),
            ("missed follow-up", lambda: escalate_missed_reports(day=yesterday)),
            # The purged scans' ids (PostgreSQL's duplicate check): once a day, as reading
            # that table by time has no index of its own, which would slow every import.
            ("scan source ids", purge_scan_sources),
        ]
    failed = False
    for name, job in jobs:
        try:
            job()
        except DATABASE_DOWN:
            raise
        except Exception:
            log.exception("%s failed; the next pass retries", name)
            failed = True
    if daily and not failed:
        today_done.clear()
        today_done.add(today)


class OutboxLoop(threading.Thread):
    """Pass over the outbox every `interval` seconds (at once again after a busy pass)."""

    def __init__(self, *, interval: float, limit: int, report=None):
        super().__init__(name="outbox", daemon=True)
        self.interval, self.limit, self.report = interval, limit, report
        self.stopping = threading.Event()
        self.passes = 0
        self.daily_done: set = set()

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
            if self.passes % CLOCKS_EVERY == 0:
                run_clocks(today_done=self.daily_done)
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
