"""Background work of the governance app: the clock sweep.

Enqueue it every few minutes (the worker's scheduler, or cron running
`fangkong governance sweep`); running it twice creates no task twice.
"""

from __future__ import annotations

from django.tasks import task

from .services.sweep import sweep_overdue_cases


@task
def sweep_case_clocks() -> dict[str, int]:
    result = sweep_overdue_cases()
    return {
        "overdue": result.overdue,
        "escalated": result.escalated,
        "tasks_created": result.tasks_created,
    }
