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

from django.db import connection, transaction
from django.db.models.functions import Length
from django.utils import timezone

from fangkong.core.areas import AreaCode, common_ancestor
from fangkong.core.db import bulk
from fangkong.core.events import publish
from fangkong.work.escalation import (
    Climb,
    due_for_escalation,
    ladder_areas,
    target_level,
    write_climbs,
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
    return f"{_key_stem(request_id, due)}:{level}"


def _key_stem(request_id: int, due: dt.datetime) -> str:
    return f"svcreq-overdue:{request_id}:{int(due.timestamp())}"


def _escalate_batch(rows: list[tuple], now: dt.datetime, news: dict) -> tuple[int, int]:
    by_level: dict[int, list[int]] = defaultdict(list)
    climbs: list[Climb] = []
    for pk, area_code, due, level, kind in rows:
        target = target_level(area_code, due, now, ESCALATION_STEP)
        if target <= level:
            continue
        by_level[target].append(pk)
        community = AreaCode(area_code).community or area_code
        news[community]["count"] += 1
        news[community]["kinds"][kind] += 1
        news[community]["level"] = max(news[community]["level"], target)
        climbs.append(
            Climb(
                stem=_key_stem(pk, due),
                title=f"SQ{pk:07d}",
                areas=ladder_areas(area_code)[:target],
                first=level + 1,
                last=target,
                detail={"request": pk, "kind": kind, "due_at": due.isoformat()},
            )
        )
    if not climbs:
        return 0, 0
    for level, ids in by_level.items():
        _raise_level(ids, level, now)
    # A racing sweep may write the same keys: the unique key keeps one of each.
    write_climbs(climbs, kind=TASK_KIND, due_at=now + ESCALATION_STEP, now=now)
    return len(climbs), sum(c.last - c.first + 1 for c in climbs)


def _raise_level(ids: list[int], level: int, now: dt.datetime) -> None:
    """The level only rises: a racing sweep that got further first is left alone. The ids
    travel as one array on PostgreSQL: a backlog's thousands of them, bound one by one,
    cost more to send than the rows cost to update."""
    ops = connection.ops
    member, params = bulk.member_of("id", ids, "bigint")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ops.quote_name(ServiceRequest._meta.db_table)}"  # noqa: S608 - names from the model
            f" SET escalation_level = %s, updated_at = %s WHERE {member} AND escalation_level < %s",
            [level, ops.adapt_datetimefield_value(now), *params, level],
        )


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
