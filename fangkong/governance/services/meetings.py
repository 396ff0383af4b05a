"""The wage-arrears joint meeting (欠薪治理联席会议): attendance, decisions, referrals, closures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission

from ..models import (
    DecisionKind,
    GovCase,
    JointMeeting,
    MeetingAttendance,
    MeetingDecision,
    PoliceReferral,
    Unit,
)
from .common import bad, log_event, require_reason
from .wages import unpaid
from .workflow import close_settled_case


def hold_meeting(
    *,
    user,
    title: str,
    area_code: str,
    held_on: dt.date,
    present: Sequence[Unit],
    absent: Sequence[Unit] = (),
) -> JointMeeting:
    """Record a meeting and which member units attended."""
    require_permission(
        actor=user, action="handle_cases", area_code=area_code, object_type="meeting"
    )
    if not title.strip():
        raise bad("title", "required", _("A title is required."))
    if not present:
        raise bad("present", "required", _("Name the units present."))
    if {u.pk for u in present} & {u.pk for u in absent}:
        raise bad("absent", "both", _("A unit is either present or absent."))
    with transaction.atomic():
        meeting = JointMeeting.objects.create(
            title=title.strip(), area_code=area_code, held_on=held_on
        )
        MeetingAttendance.objects.bulk_create(
            [MeetingAttendance(meeting=meeting, unit=u, present=True) for u in present]
            + [MeetingAttendance(meeting=meeting, unit=u, present=False) for u in absent]
        )
    return meeting


def decide(*, meeting: JointMeeting, user, case: GovCase, kind: str, text: str) -> MeetingDecision:
    """A decision of the meeting on a case: refer it to the police, close it (结案销案, only
    when every worker is paid) or any other decision, kept as written."""
    text = require_reason(text)
    if kind not in DecisionKind.values:
        raise bad("kind", "invalid", _("Choose a kind of decision."))
    if case.kind != "wage_arrears":
        raise bad("case", "kind", _("This is not a wage-arrears case."))
    require_permission(
        actor=user,
        action="handle_cases",
        area_code=case.area_code,
        object_type="gov_case",
        object_id=case.pk,
    )
    if kind == DecisionKind.CLOSE and (not case.wage_claims.exists() or unpaid(case=case) > 0):
        raise bad("case", "unpaid", _("A case is closed only when every worker is paid."))
    with transaction.atomic():
        decision = MeetingDecision.objects.create(meeting=meeting, case=case, kind=kind, text=text)
        if kind == DecisionKind.REFER_POLICE:
            PoliceReferral.objects.create(
                case=case, referred_on=meeting.held_on, reason=text, meeting=meeting
            )
            log_event(case, action="refer_police", user=user, from_stage=case.stage, reason=text)
        elif kind == DecisionKind.CLOSE:
            close_settled_case(case=case, user=user, reason=text)
        else:
            log_event(
                case, action="meeting_decision", user=user, from_stage=case.stage, reason=text
            )
    return decision
