"""Door-knocking (敲门行动): the not-yet-tested list of a round becomes one task per building.

Tasks are keyed `doorknock:<round>:<building>`, so generating again never duplicates them: it
refreshes each building's list and count, reopens a finished task only when someone new is on
it, and closes the tasks of buildings where everyone has now been tested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import Role, User
from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import RuleViolation
from fangkong.work.models import Task, TaskState

from ..models import TestingRound
from ..selectors import (
    DOORKNOCK_KIND,
    doorknock_key,
    doorknock_tasks,
    may_manage_rounds,
    round_prefixes,
    untested_residents,
)


@dataclass
class DoorknockResult:
    created: int = 0
    updated: int = 0
    reopened: int = 0
    closed: int = 0
    open_tasks: int = 0
    people: int = 0


def _title(building_name: str, count: int) -> str:
    # Stored text: written in the site's language, like a notice, not the clicker's.
    with translation.override(settings.LANGUAGE_CODE):
        return str(
            _("Door-knocking: %(building)s, %(count)d not yet tested")
            % {"building": building_name, "count": count}
        )[:200]


def _untested_by_building(*, user, round: TestingRound, area_code: str | None) -> dict[str, dict]:
    """Building code → its name, grid and the ids of its residents not yet tested."""
    buildings: dict[str, dict] = {}
    rows = (
        untested_residents(user=user, round=round, area_code=area_code)
        .filter(household__isnull=False)
        .values_list(
            "id",
            "household__building__code",
            "household__building__name_zh",
            "household__building__area_code",
        )
    )
    for resident_id, code, name, grid in rows:
        b = buildings.setdefault(code, {"name": name, "grid": grid, "ids": []})
        b["ids"].append(resident_id)
    return buildings


def _grid_workers(grids: set[str]) -> dict[str, User]:
    """Each grid's first active grid worker, who gets its new tasks."""
    workers: dict[str, User] = {}
    for worker in User.objects.filter(
        role=Role.GRID_WORKER, is_active=True, scope_code__in=grids
    ).order_by("id"):
        workers.setdefault(worker.scope_code, worker)
    return workers


def _close_finished(
    existing: dict[str, Task], buildings: dict[str, dict], *, now: dt.datetime
) -> list[Task]:
    """Open tasks of buildings where everyone is now tested, closed (not yet saved)."""
    closed = []
    for key, task in existing.items():
        building = key.rsplit(":", 1)[1]
        if building in buildings or task.state != TaskState.OPEN:
            continue
        task.state, task.done_at, task.updated_at = TaskState.DONE, now, now
        task.detail = {
            **(task.detail or {}),
            "resident_ids": [],
            "count": 0,
            "closed": "complete",
            "generated_at": now.isoformat(),
        }
        closed.append(task)
    return closed


def generate_doorknock_tasks(
    *, round: TestingRound, user, area_code: str | None = None, now: dt.datetime | None = None
) -> DoorknockResult:
    """Create or refresh one door-knocking task per building with people not yet tested, in
    the part of the round under `area_code` that the user sees; close finished buildings'."""
    # The role is checked before the scope, so a role without the right reads nothing.
    if not may_manage_rounds(user) or not round_prefixes(
        user=user, round=round, area_code=area_code
    ):
        deny(
            actor=user,
            action="manage_rounds",
            area_code=area_code or round.area_code,
            object_type="testing_round",
            object_id=round.pk,
        )
    now = now or timezone.now()
    result = DoorknockResult()
    with transaction.atomic():
        # One regeneration of a round at a time: the second waits and then sees the first's tasks.
        TestingRound.objects.select_for_update().filter(pk=round.pk).first()
        buildings = _untested_by_building(user=user, round=round, area_code=area_code)
        existing = {t.key: t for t in doorknock_tasks(user=user, round=round, area_code=area_code)}
        workers = _grid_workers({b["grid"] for b in buildings.values()})

        fresh, changed = [], []
        for code, b in sorted(buildings.items()):
            key = doorknock_key(round.pk, code)
            detail = {
                "round": round.pk,
                "building": code,
                "building_name": b["name"],
                "grid": b["grid"],
                "resident_ids": b["ids"],
                "count": len(b["ids"]),
                "generated_at": now.isoformat(),
            }
            result.people += len(b["ids"])
            task = existing.get(key)
            if task is None:
                fresh.append(
                    Task(
                        key=key,
                        kind=DOORKNOCK_KIND,
                        title=_title(b["name"], len(b["ids"])),
                        detail=detail,
                        area_code=b["grid"],
                        assignee=workers.get(b["grid"]),
                        state=TaskState.OPEN,
                        due_at=round.due_at,
                    )
                )
                continue
            before = set((task.detail or {}).get("resident_ids") or [])
            if task.state != TaskState.OPEN and not set(b["ids"]) <= before:
                # Someone new to visit: finished work covered only the people listed then.
                task.state, task.done_at = TaskState.OPEN, None
                result.reopened += 1
            task.detail = {**(task.detail or {}), **detail}
            task.title = _title(b["name"], len(b["ids"]))
            task.assignee = task.assignee or workers.get(b["grid"])
            task.updated_at = now
            changed.append(task)
            result.updated += 1
        closed = _close_finished(existing, buildings, now=now)
        changed += closed
        result.closed += len(closed)
        if fresh:
            Task.objects.bulk_create(fresh)
            result.created = len(fresh)
        if changed:
            Task.objects.bulk_update(
                changed, ["state", "done_at", "detail", "title", "assignee", "updated_at"]
            )
    result.open_tasks = result.created + sum(1 for t in changed if t.state == TaskState.OPEN)
    return result


def complete_doorknock_task(*, task: Task, user, now: dt.datetime | None = None) -> Task:
    """The grid worker has knocked on every door of the building; done twice is done once."""
    if task.kind != DOORKNOCK_KIND:
        raise RuleViolation(
            field="task", code="kind", message=_("This is not a door-knocking task.")
        )
    require_permission(
        actor=user,
        action="view_residents",
        area_code=task.area_code,
        object_type="task",
        object_id=task.pk,
    )
    if task.state == TaskState.DONE:
        return task
    if task.state != TaskState.OPEN:
        raise RuleViolation(
            field="task", code="state", message=_("This task was cancelled."), status_code=409
        )
    now = now or timezone.now()
    task.state, task.done_at = TaskState.DONE, now
    task.detail = {**(task.detail or {}), "done_by": user.get_username()}
    task.save(update_fields=["state", "done_at", "detail", "updated_at"])
    return task
