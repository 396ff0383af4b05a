"""Background work of the services app: the request clock sweep, and the daily extension
of recurring care.

Enqueue the sweep every few minutes and the extension once a day (cron running
`fangkong services sweep` and `fangkong services extend-care`, or enqueueing these tasks for
`fangkong worker`); running either twice creates no task twice.
"""

from __future__ import annotations

from django.tasks import task

from .services.care_templates import extend_care_templates
from .services.sweep import sweep_overdue_requests


@task
def sweep_request_clocks() -> dict[str, int]:
    result = sweep_overdue_requests()
    return {
        "overdue": result.overdue,
        "escalated": result.escalated,
        "tasks_created": result.tasks_created,
    }


@task
def extend_recurring_care() -> dict[str, int]:
    result = extend_care_templates()
    return {
        "templates": result.templates,
        "tasks_created": result.tasks_created,
        "ended": result.ended,
    }
