"""Ownership passed on formally, and the call-back that records the resident's satisfaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission

from ..models import GovCase, Satisfaction, Stage, Unit
from .common import bad, locked, log_event, now_or, require_reason


def transfer_case(*, case: GovCase, user, to_unit: Unit, reason: str) -> GovCase:
    """Pass the case on to another owner (首接负责: the first receiver owns it until now)."""
    reason = require_reason(reason)
    require_permission(
        actor=user,
        action="handle_cases",
        area_code=case.area_code,
        object_type="gov_case",
        object_id=case.pk,
    )
    with transaction.atomic():
        row = locked(case)
        if not row.is_open:
            raise bad("stage", "finished", _("A finished case is not passed on."))
        if row.owner_unit_id == to_unit.pk:
            raise bad("to_unit", "same", _("The case is already owned by this unit."))
        before = row.owner_unit
        row.owner_unit = to_unit
        row.save(update_fields=["owner_unit", "updated_at"])
        log_event(
            row,
            action="transfer",
            user=user,
            from_stage=row.stage,
            reason=reason,
            unit=to_unit,
            detail={"from_unit": before.code, "to_unit": to_unit.code},
        )
    return row


def record_callback(
    *, case: GovCase, user, satisfaction: str, note: str = "", now: dt.datetime | None = None
) -> GovCase:
    """The call-back after closure: was the resident satisfied (or could not be reached)?"""
    if satisfaction not in Satisfaction.values:
        raise bad("satisfaction", "invalid", _("Choose one of the answers."))
    require_permission(
        actor=user,
        action="handle_cases",
        area_code=case.area_code,
        object_type="gov_case",
        object_id=case.pk,
    )
    now = now_or(now)
    with transaction.atomic():
        row = locked(case)
        if row.stage != Stage.CLOSED:
            raise bad("stage", "not_closed", _("Call back once the case is closed."))
        row.satisfaction = satisfaction
        row.called_back_at = now
        row.save(update_fields=["satisfaction", "called_back_at", "updated_at"])
        log_event(
            row,
            action="callback",
            user=user,
            from_stage=row.stage,
            reason=(note or "").strip(),
            detail={"satisfaction": satisfaction},
        )
    return row
