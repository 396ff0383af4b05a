"""What a grid worker found at a household's door: one outcome per household and round,
recorded against its door-knocking task. An outcome that accounts for the household closes
the task; "needs a home visit" and "nobody home" keep it open (nobody home: due again at the
revisit time)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.work.models import Task, TaskState

from ..models_doorknock import DoorKnockOutcome, KnockOutcome
from ..selectors import DOORKNOCK_KIND


def _checked(
    *, outcome: str, where: str, revisit_at: dt.datetime | None, now: dt.datetime
) -> tuple[str, dt.datetime | None]:
    if outcome not in KnockOutcome.values:
        raise RuleViolation(field="outcome", code="choice", message=_("Pick what you found."))
    where = (where or "").strip()
    if outcome == KnockOutcome.SAMPLED_ELSEWHERE:
        if not where:
            raise RuleViolation(
                field="where", code="required", message=_("Say where they were sampled.")
            )
        if len(where) > 100:
            raise RuleViolation(field="where", code="length", message=_("At most 100 characters."))
    else:
        where = ""
    if outcome == KnockOutcome.NOBODY_HOME:
        if revisit_at is None:
            raise RuleViolation(
                field="revisit_at", code="required", message=_("Say when you will knock again.")
            )
        if revisit_at <= now:
            raise RuleViolation(
                field="revisit_at",
                code="past",
                message=_("The revisit is in the future."),
            )
    else:
        revisit_at = None
    return where, revisit_at


def record_doorknock_outcome(
    *,
    task: Task,
    user,
    outcome: str,
    where: str = "",
    revisit_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> DoorKnockOutcome:
    """Record what was found at the household of a door-knocking task; a second visit's
    outcome replaces the first."""
    if task.kind != DOORKNOCK_KIND or "household_id" not in (task.detail or {}):
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
    now = now or timezone.now()
    where, revisit_at = _checked(outcome=outcome, where=where, revisit_at=revisit_at, now=now)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.state == TaskState.CANCELLED:
            raise RuleViolation(
                field="task", code="state", message=_("This task was cancelled."), status_code=409
            )
        detail = task.detail or {}
        row, _created = DoorKnockOutcome.objects.update_or_create(
            round_id=detail["round"],
            household_id=detail["household_id"],
            defaults={
                "area_code": task.area_code,
                "outcome": outcome,
                "where": where,
                "revisit_at": revisit_at,
                "resident_ids": detail.get("resident_ids") or [],
                "recorded_by": user,
                "recorded_at": now,
            },
        )
        if row.explains:
            task.state, task.done_at = TaskState.DONE, now
        else:
            task.state, task.done_at = TaskState.OPEN, None
            if revisit_at is not None:
                task.due_at = revisit_at
        task.detail = {**detail, "outcome": outcome, "outcome_by": user.get_username()}
        task.save(update_fields=["state", "done_at", "due_at", "detail", "updated_at"])
    return row
