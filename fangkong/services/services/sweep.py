"""The clock sweep: overdue requests become tasks, climb the area tree and reach command.

A request one moment overdue gets a task in its grid (level 1). For each further
ESCALATION_STEP it stays overdue the task goes one level up (community, sub-district,
district). The task key names the request, its deadline and the level, so a re-run or a
racing sweep creates nothing twice; acknowledging a request gives it a new deadline and
starts the ladder again. A sweep that finds anything newly overdue publishes one event
naming each community's figures, which the command centre turns into a timeline entry
per community: not one event per request, so a sweep over a hundred thousand requests
stays a few statements and one delivery.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone

from fangkong.core.areas import AreaCode, common_ancestor
from fangkong.core.events import publish
from fangkong.work.escalation import (
    NewTask,
    due_for_escalation,
    escalation_area,
    target_level,
    write_tasks,
)

from ..events import RequestsOverdue
from ..models import ServiceRequest

ESCALATION_STEP = dt.timedelta(hours=1)
TASK_KIND = "request_overdue"
BATCH = 5000


@dataclass(frozen=True)
class SweepResult:
    overdue: int  # overdue requests whose next level had come (the others were not read)
    escalated: int
    tasks_created: int


def task_key(request_id: int, due: dt.datetime, level: int) -> str:
    return f"svcreq-overdue:{request_id}:{int(due.timestamp())}:{level}"


def _escalate_batch(rows: list[tuple], now: dt.datetime, news: dict) -> tuple[int, int]:
    by_level: dict[int, list[int]] = defaultdict(list)
    tasks: list[NewTask] = []
    for pk, area_code, due, level, kind in rows:
        target = target_level(area_code, due, now, ESCALATION_STEP)
        if target <= level:
            continue
        by_level[target].append(pk)
        community = AreaCode(area_code).community or area_code
        news[community]["count"] += 1
        news[community]["kinds"][kind] += 1
        news[community]["level"] = max(news[community]["level"], target)
        for step in range(level + 1, target + 1):
            tasks.append(
                NewTask(
                    key=task_key(pk, due, step),
                    kind=TASK_KIND,
                    title=f"SQ{pk:07d}",
                    area_code=escalation_area(area_code, step),
                    due_at=now + ESCALATION_STEP,
                    detail={"request": pk, "kind": kind, "level": step, "due_at": due.isoformat()},
                )
            )
    if not tasks:
        return 0, 0
    for level, ids in by_level.items():
        # The level only rises: a racing sweep that got further first is left alone.
        ServiceRequest.objects.filter(pk__in=ids, escalation_level__lt=level).update(
            escalation_level=level, updated_at=now
        )
    # A racing sweep may write the same keys: the unique key keeps one of each.
    write_tasks(tasks, now=now)
    return sum(len(ids) for ids in by_level.values()), len(tasks)


def sweep_overdue_requests(
    *, now: dt.datetime | None = None, batch_size: int = BATCH
) -> SweepResult:
    """Turn every open request past its running deadline into tasks at its escalation level,
    and tell the command centre, community by community, what went overdue. Requests
    already at the level their lateness calls for are not read."""
    now = now or timezone.now()
    overdue = escalated = created = 0
    last_pk = 0
    news: dict[str, dict] = defaultdict(lambda: {"count": 0, "kinds": Counter(), "level": 1})
    base = ServiceRequest.objects.alias(code_length=Length("area_code")).filter(
        due_for_escalation(now, ESCALATION_STEP), due_at__isnull=False
    )
    with transaction.atomic():
        while True:
            rows = list(
                base.filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", "area_code", "due_at", "escalation_level", "kind")[:batch_size]
            )
            if not rows:
                break
            last_pk = rows[-1][0]
            overdue += len(rows)
            e, c = _escalate_batch(rows, now, news)
            escalated += e
            created += c
        if news:
            publish(
                RequestsOverdue(
                    area_code=common_ancestor(news),
                    communities={
                        community: {
                            "count": n["count"],
                            "by_kind": dict(sorted(n["kinds"].items())),
                            "top_level": n["level"],
                        }
                        for community, n in sorted(news.items())
                    },
                ),
                occurred_at=now,
            )
    return SweepResult(overdue=overdue, escalated=escalated, tasks_created=created)
