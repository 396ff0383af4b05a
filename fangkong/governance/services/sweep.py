"""The clock sweep: overdue cases become tasks, and escalate up the area tree as they stay so.

A case one moment overdue gets a task in its own area (level 1). For each further
ESCALATION_STEP it stays overdue the task goes one level up (community, sub-district,
district). A river hazard climbs its segment's chain of river chiefs as well: each
level's task is assigned to the chief of that level (village, township, county), as the
river-chief system holds the chief above answerable for what the one below left undone. The task key names the case, its deadline and the level, so running the sweep
again, or twice at once, creates nothing twice; a new deadline (an extension, a new
stage's clock, a resumed pause) starts the ladder again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone

from fangkong.work.escalation import (
    NewTask,
    due_for_escalation,
    escalation_area,
    target_level,
    write_tasks,
)

from ..models import ChiefLevel, GovCase, RiverChief

ESCALATION_STEP = dt.timedelta(days=1)
TASK_KIND = "case_overdue"
BATCH = 5000


@dataclass(frozen=True)
class SweepResult:
    overdue: int  # overdue cases whose next level had come (the others were not read)
    escalated: int
    tasks_created: int


def task_key(case_id: int, due: dt.datetime, level: int) -> str:
    return f"govcase-overdue:{case_id}:{int(due.timestamp())}:{level}"


CHAIN = [ChiefLevel.VILLAGE, ChiefLevel.TOWNSHIP, ChiefLevel.COUNTY]


def chief_chains(case_ids: list[int]) -> dict[int, list[RiverChief]]:
    """For each river-hazard case, its segment's chiefs from the lowest level up."""
    chains: dict[int, list[RiverChief]] = defaultdict(list)
    chiefs = RiverChief.objects.filter(segment__hazards__case_id__in=case_ids).values_list(
        "segment__hazards__case_id", "pk", "user_id", "level"
    )
    for case_id, pk, user_id, level in sorted(chiefs, key=lambda c: CHAIN.index(c[3])):
        chains[case_id].append(RiverChief(pk=pk, user_id=user_id, level=level))
    return chains


def _escalate_batch(rows: list[tuple], now: dt.datetime) -> tuple[int, int]:
    by_level: dict[int, list[int]] = defaultdict(list)
    tasks: list[NewTask] = []
    chains = chief_chains([row[0] for row in rows if row[6] == "river_hazard"])
    for pk, area_code, due, level, title, clock, _kind in rows:
        target = target_level(area_code, due, now, ESCALATION_STEP)
        if target <= level:
            continue
        by_level[target].append(pk)
        chain = chains.get(pk, [])
        for step in range(level + 1, target + 1):
            detail = {"case": pk, "clock": clock, "level": step, "due_at": due.isoformat()}
            chief = chain[step - 1] if step <= len(chain) else None
            if chief is not None:
                detail["chief_level"] = chief.level
            tasks.append(
                NewTask(
                    key=task_key(pk, due, step),
                    kind=TASK_KIND,
                    title=title,
                    area_code=escalation_area(area_code, step),
                    assignee_id=chief.user_id if chief is not None else None,
                    due_at=now + ESCALATION_STEP,
                    detail=detail,
                )
            )
    if not tasks:
        return 0, 0
    with transaction.atomic():
        for level, ids in by_level.items():
            # The level only rises: a racing sweep that got further first is left alone.
            GovCase.objects.filter(pk__in=ids, escalation_level__lt=level).update(
                escalation_level=level, updated_at=now
            )
        # A sweep racing this one may write the same keys: the unique key keeps one of each.
        write_tasks(tasks, now=now)
    return sum(len(ids) for ids in by_level.values()), len(tasks)


def sweep_overdue_cases(*, now: dt.datetime | None = None, batch_size: int = BATCH) -> SweepResult:
    """Turn every open, running, overdue case into tasks at its escalation level."""
    now = now or timezone.now()
    overdue = escalated = created = 0
    last_pk = 0
    base = GovCase.objects.alias(code_length=Length("area_code")).filter(
        due_for_escalation(now, ESCALATION_STEP),
        closed_at__isnull=True,
        paused_at__isnull=True,
        due_at__isnull=False,
    )
    while True:
        rows = list(
            base.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "area_code", "due_at", "escalation_level", "title", "clock", "kind")[
                :batch_size
            ]
        )
        if not rows:
            break
        last_pk = rows[-1][0]
        overdue += len(rows)
        e, c = _escalate_batch(rows, now)
        escalated += e
        created += c
    return SweepResult(overdue=overdue, escalated=escalated, tasks_created=created)
