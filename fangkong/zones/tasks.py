"""Background work of the zones app: the daily lifting evaluation.

Enqueue it once a day (e.g. from the worker's scheduler, or cron running
`fangkong zones evaluate`); running it twice a day is harmless: the day's evaluation is
replaced and no task or round is created twice.
"""

from __future__ import annotations

from django.tasks import task

from .services.lifting import evaluate_all


@task
def evaluate_zones_daily() -> dict[str, int]:
    """Evaluate every active zone; returns how many were evaluated and how many may end."""
    evaluations = evaluate_all()
    return {
        "zones": len(evaluations),
        "proposals": sum(e.proposal is not None for e in evaluations),
    }
