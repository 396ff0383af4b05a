"""Tasks for the task worker (django-tasks): the outbox pass, the same as `fangkong outbox`."""

from __future__ import annotations

from django.tasks import task

from .services.outbox import run_outbox_pass


@task()
def run_outbox(limit: int = 500) -> dict:
    """Replay undelivered domain events and send due notifications; returns the counts."""
    return run_outbox_pass(limit=limit).as_dict()
