"""The case workflow: one service per transition, each on the locked row, each in the history.

上报 → 受理/核实 → 立案 | 作废 → 派遣 → 处置 → 反馈 → 核查 → 结案; a failed check sends the case
back to the handling unit, and a closed case can be reopened.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission

from ..models import ClosureType, GovCase, Stage, Unit
from .common import bad, locked, log_event, now_or, require_reason, start_stage_clock

S = Stage


def _move(
    case: GovCase,
    *,
    user,
    action: str,
    allowed: tuple[str, ...],
    to: str,
    now: dt.datetime,
    reason: str = "",
    unit: Unit | None = None,
    detail: dict | None = None,
    change=None,
) -> GovCase:
    """Lock the case, check it may take this step, apply `change`, enter `to`, log it."""
    require_permission(
        actor=user,
        action="handle_cases",
        area_code=case.area_code,
        object_type="gov_case",
        object_id=case.pk,
    )
    with transaction.atomic():
        row = locked(case)
        if row.stage not in allowed:
            raise bad(
                "stage",
                "not_allowed",
                _("A case at stage “%(stage)s” cannot take this step.")
                % {"stage": row.get_stage_display()},
            )
        before = row.stage
        row.stage = to
        if change is not None:
            change(row)
        start_stage_clock(row, now=now)
        row.save()
        log_event(
            row,
            action=action,
            user=user,
            from_stage=before,
            reason=reason,
            unit=unit,
            detail=detail,
        )
    return row


def accept_case(*, case: GovCase, user, now: dt.datetime | None = None) -> GovCase:
    """受理: the matter is taken up and verified; the response counts from now."""
    now = now_or(now)

    def change(row: GovCase) -> None:
        row.accepted_at = now
        row.responded_at = row.responded_at or now

    return _move(
        case,
        user=user,
        action="accept",
        allowed=(S.REPORTED,),
        to=S.ACCEPTED,
        now=now,
        change=change,
    )


def void_case(*, case: GovCase, user, reason: str, now: dt.datetime | None = None) -> GovCase:
    """作废: not a matter for a case (a duplicate, a false report); the reason is kept."""
    now, reason = now_or(now), require_reason(reason)

    def change(row: GovCase) -> None:
        row.responded_at = row.responded_at or now
        row.closed_at = now

    return _move(
        case,
        user=user,
        action="void",
        allowed=(S.REPORTED, S.ACCEPTED),
        to=S.VOIDED,
        now=now,
        reason=reason,
        change=change,
    )


def file_case(*, case: GovCase, user, now: dt.datetime | None = None) -> GovCase:
    """立案: verified, the case is opened for dispatch."""
    return _move(case, user=user, action="file", allowed=(S.ACCEPTED,), to=S.FILED, now=now_or(now))


def dispatch_case(
    *, case: GovCase, user, handler_unit: Unit, now: dt.datetime | None = None
) -> GovCase:
    """派遣: a unit is sent to handle it; the owner stays responsible for the case."""

    def change(row: GovCase) -> None:
        row.handler_unit = handler_unit

    return _move(
        case,
        user=user,
        action="dispatch",
        allowed=(S.FILED,),
        to=S.DISPATCHED,
        now=now_or(now),
        unit=handler_unit,
        change=change,
    )


def start_handling(*, case: GovCase, user, now: dt.datetime | None = None) -> GovCase:
    """处置: the handling unit is at work on it."""
    return _move(
        case,
        user=user,
        action="start_handling",
        allowed=(S.DISPATCHED,),
        to=S.HANDLING,
        now=now_or(now),
    )


def feed_back_case(
    *, case: GovCase, user, resolved: bool, note: str = "", now: dt.datetime | None = None
) -> GovCase:
    """反馈: the handling unit reports back, saying whether the matter itself is resolved."""
    note = (note or "").strip()
    if not resolved and not note:
        raise bad("note", "required", _("Say why the matter could not be resolved."))

    def change(row: GovCase) -> None:
        row.resolved = resolved

    return _move(
        case,
        user=user,
        action="feed_back",
        allowed=(S.HANDLING,),
        to=S.FED_BACK,
        now=now_or(now),
        reason=note,
        detail={"resolved": resolved},
        change=change,
    )


def check_case(
    *, case: GovCase, user, passed: bool, reason: str = "", now: dt.datetime | None = None
) -> GovCase:
    """核查: the feedback is checked on the ground; a failed check sends the case back."""
    if passed:
        return _move(
            case, user=user, action="check", allowed=(S.FED_BACK,), to=S.CHECKED, now=now_or(now)
        )
    reason = require_reason(reason)

    def change(row: GovCase) -> None:
        # A statutory clock that runs through handling keeps its deadline; a kind whose
        # check has its own clock gets a new handling clock on entering dispatch.
        row.resolved = None

    return _move(
        case,
        user=user,
        action="check_failed",
        allowed=(S.FED_BACK,),
        to=S.DISPATCHED,
        now=now_or(now),
        reason=reason,
        change=change,
    )


OPEN_NOT_REPORTED = (S.ACCEPTED, S.FILED, S.DISPATCHED, S.HANDLING, S.FED_BACK, S.CHECKED)
# A case still in progress can be closed only as special or as an error, with the reason.
EARLY_CLOSURES = (ClosureType.SPECIAL, ClosureType.WRONG)


def close_case(
    *,
    case: GovCase,
    user,
    closure_type: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> GovCase:
    """结案: closed as normal, in error or special; a normal closure after the deadline is
    recorded as overdue. Whether the matter was resolved stays as the feedback said."""
    now = now_or(now)
    if closure_type not in (ClosureType.NORMAL, *EARLY_CLOSURES):
        raise bad("closure_type", "invalid", _("Choose normal, in error or special."))
    if closure_type in EARLY_CLOSURES:
        reason = require_reason(reason)
    allowed = (S.CHECKED,) if closure_type == ClosureType.NORMAL else OPEN_NOT_REPORTED

    def change(row: GovCase) -> None:
        late = row.due_at is not None and now > row.due_at
        row.closure_type = (
            ClosureType.OVERDUE if closure_type == "normal" and late else closure_type
        )
        row.closed_at = now
        row.responded_at = row.responded_at or now

    return _move(
        case,
        user=user,
        action="close",
        allowed=allowed,
        to=S.CLOSED,
        now=now,
        reason=reason,
        detail={"closure_type": closure_type},
        change=change,
    )


def reopen_case(*, case: GovCase, user, reason: str, now: dt.datetime | None = None) -> GovCase:
    """Reopened (a resident says it is not fixed): back to the handling unit, a new clock."""
    reason = require_reason(reason)

    def change(row: GovCase) -> None:
        if row.handler_unit_id is None:
            row.stage = S.FILED
        row.reopened_count += 1
        row.resolved = None
        row.closure_type = ""
        row.closed_at = None
        row.satisfaction = ""
        row.called_back_at = None
        row.clock = ""

    return _move(
        case,
        user=user,
        action="reopen",
        allowed=(S.CLOSED,),
        to=S.DISPATCHED,
        now=now_or(now),
        reason=reason,
        change=change,
    )


def close_settled_case(
    *, case: GovCase, user, reason: str, now: dt.datetime | None = None
) -> GovCase:
    """结案销案: a case settled in full (every worker paid) is closed, resolved, from any
    stage after acceptance, as the joint meeting decides."""
    reason, now = require_reason(reason), now_or(now)

    def change(row: GovCase) -> None:
        late = row.due_at is not None and now > row.due_at
        row.closure_type = ClosureType.OVERDUE if late else ClosureType.NORMAL
        row.resolved = True
        row.closed_at = now

    return _move(
        case,
        user=user,
        action="close_settled",
        allowed=OPEN_NOT_REPORTED,
        to=S.CLOSED,
        now=now,
        reason=reason,
        change=change,
    )
