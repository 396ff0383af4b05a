"""Door-knocking (敲门行动): the not-yet-tested list of a round becomes one task per household,
assigned to the grid's worker and due a set number of hours after it is created
(`FANGKONG_DOORKNOCK_DUE_HOURS`); the worker records what they found at the door.

Tasks are keyed `doorknock:<round>:<household>`, so generating again never duplicates them:
it refreshes each household's list, closes the tasks of households where everyone has now
been tested, and reopens a household when someone new is on its list (the outcome recorded
for the people listed then no longer explains it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import Role, User
from fangkong.accounts.services import deny
from fangkong.work.models import Task, TaskState

from ..models import TestingRound
from ..models_doorknock import DoorKnockOutcome
from ..selectors import (
    DOORKNOCK_KIND,
    doorknock_key,
    doorknock_tasks,
    household_outcomes,
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


def due_hours() -> float:
    return float(settings.FANGKONG_DOORKNOCK_DUE_HOURS)


def _title(label: str, count: int) -> str:
    # Stored text: written in the site's language, like a notice, not the clicker's.
    with translation.override(settings.LANGUAGE_CODE):
        return str(
            _("Door-knocking: %(home)s, %(count)d not yet tested") % {"home": label, "count": count}
        )[:200]


def _untested_by_household(*, user, round: TestingRound, area_code: str | None) -> dict[str, dict]:
    """Household code → its id, address, grid and the ids of its people not yet tested."""
    homes: dict[str, dict] = {}
    rows = (
        untested_residents(user=user, round=round, area_code=area_code)
        .filter(household__isnull=False)
        .values_list(
            "id",
            "household_id",
            "household__code",
            "household__area_code",
            "household__building__name_zh",
            "household__entrance",
            "household__room",
        )
    )
    for resident_id, home_id, code, grid, building, entrance, room in rows:
        label = " ".join(p for p in (building, f"{entrance}单元" if entrance else "", room) if p)
        home = homes.setdefault(code, {"id": home_id, "label": label, "grid": grid, "ids": []})
        home["ids"].append(resident_id)
    return homes


def _grid_workers(grids: set[str]) -> dict[str, User]:
    """Each grid's first active grid worker, who gets its new tasks."""
    workers: dict[str, User] = {}
    for worker in User.objects.filter(
        role=Role.GRID_WORKER, is_active=True, scope_code__in=grids
    ).order_by("id"):
        workers.setdefault(worker.scope_code, worker)
    return workers


def _close_finished(
    existing: dict[str, Task], homes: dict[str, dict], *, round_pk: int, now: dt.datetime
) -> list[Task]:
    """Open tasks of households where everyone is now tested, closed (not yet saved)."""
    closed = []
    prefix = doorknock_key(round_pk, "")
    for key, task in existing.items():
        if key.removeprefix(prefix) in homes or task.state != TaskState.OPEN:
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


def _refresh(task: Task, home: dict, outcome: DoorKnockOutcome | None, *, now: dt.datetime) -> bool:
    """Bring an existing task in line with its household; True when it was reopened."""
    explained = outcome is not None and outcome.explains
    reopened = False
    if not explained and task.state != TaskState.OPEN:
        # Someone new to see, or finished work that explained no one: knock again.
        task.state, task.done_at = TaskState.OPEN, None
        task.due_at = now + dt.timedelta(hours=due_hours())
        reopened = True
    task.title = _title(home["label"], len(home["ids"]))
    task.updated_at = now
    return reopened


def _current_outcomes(round: TestingRound, homes: dict[str, dict]) -> dict[int, DoorKnockOutcome]:
    """Household id → its outcome, for the outcomes that still speak for everyone untested
    there; an outcome recorded before someone new was listed is deleted."""
    by_id = {h["id"]: h["ids"] for h in homes.values()}
    outcomes = household_outcomes(round=round, household_ids=list(by_id))
    stale = [
        o.pk for o in outcomes.values() if not set(by_id[o.household_id]) <= set(o.resident_ids)
    ]
    if stale:
        DoorKnockOutcome.objects.filter(pk__in=stale).delete()
    return {h: o for h, o in outcomes.items() if o.pk not in stale}


def generate_doorknock_tasks(
    *, round: TestingRound, user, area_code: str | None = None, now: dt.datetime | None = None
) -> DoorknockResult:
    """Create or refresh one door-knocking task per household with people not yet tested, in
    the part of the round under `area_code` that the user sees; close finished households'."""
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
    due = now + dt.timedelta(hours=due_hours())
    result = DoorknockResult()
    with transaction.atomic():
        # One regeneration of a round at a time: the second waits and then sees the first's tasks.
        TestingRound.objects.select_for_update().filter(pk=round.pk).first()
        homes = _untested_by_household(user=user, round=round, area_code=area_code)
        existing = {t.key: t for t in doorknock_tasks(user=user, round=round, area_code=area_code)}
        workers = _grid_workers({h["grid"] for h in homes.values()})
        outcomes = _current_outcomes(round, homes)

        fresh, changed = [], []
        for code, home in sorted(homes.items()):
            key = doorknock_key(round.pk, code)
            outcome = outcomes.get(home["id"])
            detail = {
                "round": round.pk,
                "household": code,
                "household_id": home["id"],
                "address": home["label"],
                "grid": home["grid"],
                "resident_ids": home["ids"],
                "count": len(home["ids"]),
                "generated_at": now.isoformat(),
            }
            result.people += len(home["ids"])
            task = existing.get(key)
            if task is None:
                done = outcome is not None and outcome.explains
                fresh.append(
                    Task(
                        key=key,
                        kind=DOORKNOCK_KIND,
                        title=_title(home["label"], len(home["ids"])),
                        detail=detail,
                        area_code=home["grid"],
                        assignee=workers.get(home["grid"]),
                        state=TaskState.DONE if done else TaskState.OPEN,
                        done_at=now if done else None,
                        due_at=due,
                    )
                )
                continue
            result.reopened += _refresh(task, home, outcome, now=now)
            task.detail = {**(task.detail or {}), **detail}
            task.assignee = task.assignee or workers.get(home["grid"])
            changed.append(task)
            result.updated += 1
        closed = _close_finished(existing, homes, round_pk=round.pk, now=now)
        changed += closed
        result.closed += len(closed)
        if fresh:
            Task.objects.bulk_create(fresh)
            result.created = len(fresh)
        if changed:
            Task.objects.bulk_update(
                changed, ["state", "done_at", "due_at", "detail", "title", "assignee", "updated_at"]
            )
    result.open_tasks = sum(1 for t in [*fresh, *changed] if t.state == TaskState.OPEN)
    return result
