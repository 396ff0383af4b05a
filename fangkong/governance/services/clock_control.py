"""A running clock paused, resumed or extended, each with its reason in the history."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission

from ..calendar import official_calendar
from ..clocks import DAY_UNITS, due_date, end_of_day
from ..models import GovCase
from .common import bad, kind_of, locked, log_event, now_or, require_reason


def _locked_running(case: GovCase, user) -> GovCase:
    require_permission(
        actor=user,
        action="handle_cases",
        area_code=case.area_code,
        object_type="gov_case",
        object_id=case.pk,
    )
    row = locked(case)
    if not row.is_open or not row.clock or row.due_at is None:
        raise bad("clock", "not_running", _("No clock is running on this case."))
    return row


def pause_case(*, case: GovCase, user, reason: str, now: dt.datetime | None = None) -> GovCase:
    """Stop the clock (a hearing, an expert opinion, the party's own delay): time paused does
    not count against the deadline."""
    reason, now = require_reason(reason), now_or(now)
    with transaction.atomic():
        row = _locked_running(case, user)
        if row.paused_at is not None:
            raise bad("clock", "paused", _("The clock is already paused."))
        row.paused_at = now
        row.save(update_fields=["paused_at", "updated_at"])
        log_event(row, action="pause", user=user, from_stage=row.stage, reason=reason)
    return row


def resume_case(*, case: GovCase, user, now: dt.datetime | None = None) -> GovCase:
    """Restart the clock; the deadline moves by the time it stood still, counted in the
    clock's own unit (working days for a working-day clock)."""
    now = now_or(now)
    with transaction.atomic():
        row = _locked_running(case, user)
        if row.paused_at is None:
            raise bad("clock", "not_paused", _("The clock is not paused."))
        clock = kind_of(row).clock(row.clock)
        if clock is not None and clock.unit in DAY_UNITS:
            calendar = official_calendar()
            start, end = timezone.localdate(row.paused_at), timezone.localdate(now)
            if clock.unit == "working_days":
                days = calendar.working_days_between(start, end)
            else:
                days = (end - start).days
            old = timezone.localdate(row.due_at)
            row.due_at = end_of_day(
                due_date(unit=clock.unit, amount=days, start=old, calendar=calendar)
                if days
                else old
            )
        else:
            row.due_at += now - row.paused_at
        detail = {"paused_at": row.paused_at.isoformat(), "due_at": row.due_at.isoformat()}
        row.paused_at = None
        row.escalation_level = 0
        row.save(update_fields=["paused_at", "due_at", "escalation_level", "updated_at"])
        log_event(row, action="resume", user=user, from_stage=row.stage, detail=detail)
    return row


def extend_case(*, case: GovCase, user, reason: str, now: dt.datetime | None = None) -> GovCase:
    """The one extension the rule allows for the running clock (e.g. a petition's 30 days)."""
    reason = require_reason(reason)
    with transaction.atomic():
        row = _locked_running(case, user)
        clock = kind_of(row).clock(row.clock)
        if clock is None or clock.extension is None:
            raise bad("clock", "no_extension", _("This clock cannot be extended."))
        if row.extended:
            raise bad("clock", "extended", _("This clock has already been extended once."))
        ext = clock.extension
        if ext.unit in DAY_UNITS:
            old = timezone.localdate(row.due_at)
            row.due_at = end_of_day(
                due_date(unit=ext.unit, amount=ext.amount, start=old, calendar=official_calendar())
            )
        else:
            row.due_at += dt.timedelta(**{ext.unit: ext.amount})
        row.extended = True
        row.escalation_level = 0
        row.save(update_fields=["due_at", "extended", "escalation_level", "updated_at"])
        log_event(
            row,
            action="extend",
            user=user,
            from_stage=row.stage,
            reason=reason,
            detail={"due_at": row.due_at.isoformat()},
        )
    return row
