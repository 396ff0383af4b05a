"""Background work of the services app: the request clock sweep.

Enqueue it every few minutes (the worker's scheduler, or cron running
`fangkong services sweep`); running it twice creates no task twice.
"""

from __future__ import annotations

from django.tasks import task

from .services.sweep import sweep_overdue_requests


@task
def sweep_request_clocks() -> dict[str, int]:
    result = sweep_overdue_requests()
    return {
        "overdue": result.overdue,
        "escalated": result.escalated,
        "tasks_created": result.tasks_created,
    }
