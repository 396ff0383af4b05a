"""What every governance service shares: the rule error, the row lock and the history."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import User
from fangkong.core.errors import RuleViolation

from ..clocks import due_at
from ..kinds import Kind, case_catalogue
from ..models import CaseEvent, GovCase


def bad(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


def kind_of(case: GovCase) -> Kind:
    kind = case_catalogue().kind(case.kind)
    if kind is None:  # a kind withdrawn from the catalogue keeps its cases, without clocks
        raise ValueError(f"case kind {case.kind!r} is no longer in the catalogue")
    return kind


def locked(case: GovCase) -> GovCase:
    """The case's row, locked for the rest of the transaction, as it is now."""
    return GovCase.objects.select_for_update().get(pk=case.pk)


def actor_name(user) -> str:
    return user.get_username() if user is not None else "system"


def log_event(
    case: GovCase,
    *,
    action: str,
    user,
    from_stage: str = "",
    reason: str = "",
    unit=None,
    detail: dict | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        action=action,
        from_stage=from_stage,
        to_stage=case.stage,
        by=user if isinstance(user, User) else None,
        actor=actor_name(user),
        unit=unit,
        reason=reason,
        detail=detail or {},
    )


def start_stage_clock(case: GovCase, *, now: dt.datetime) -> None:
    """Set the deadline of the clock that runs in the case's stage (a new clock starts now).

    Moving between stages of one clock keeps its deadline; entering a stage with another
    clock starts that clock, unpaused, unextended and not escalated.
    """
    clock = kind_of(case).running_clock(case.stage)
    if clock is None:
        case.clock, case.due_at = "", None
    elif clock.stage != case.clock or case.due_at is None:
        case.clock = clock.stage
        case.due_at = due_at(unit=clock.unit, amount=clock.amount, start=now)
    else:
        return
    case.paused_at = None
    case.extended = False
    case.escalation_level = 0


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise bad("reason", "required", _("Give the reason."))
    return reason


def now_or(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()
