"""The one case workflow: stages, clocks per stage, pause, extension, closure, reopening."""

from __future__ import annotations

import pytest
from django.utils import timezone

from devtools.fixtures import G111, G211
from fangkong.core.crypto import decrypt
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.governance.models import ClosureType, Stage
from fangkong.governance.services.clock_control import extend_case, pause_case, resume_case
from fangkong.governance.services.followup import record_callback, transfer_case
from fangkong.governance.services.workflow import (
    accept_case,
    check_case,
    close_case,
    dispatch_case,
    feed_back_case,
    file_case,
    reopen_case,
    start_handling,
    void_case,
)

from .conftest import at


def _through_feedback(case, user, units, *, now, resolved=True):
    case = accept_case(case=case, user=user, now=now)
    case = file_case(case=case, user=user, now=now)
    case = dispatch_case(case=case, user=user, handler_unit=units["district"], now=now)
    case = start_handling(case=case, user=user, now=now)
    return feed_back_case(case=case, user=user, resolved=resolved, note="已约谈", now=now)


def test_a_case_is_owned_by_the_nearest_unit_and_runs_its_intake_clock(report, units):
    case = report(reporter_phone="13800000000")
    assert case.owner_unit == units["community"]
    assert case.stage == Stage.REPORTED
    assert case.clock == "accept"
    # 5 working days after Monday 28 September 2026: the make-up Saturday 10 October.
    assert timezone.localtime(case.due_at).date().isoformat() == "2026-10-10"
    assert case.reporter_phone != "13800000000"
    assert decrypt(case.reporter_phone, context="gov_case.reporter_phone") == "13800000000"


def test_the_whole_workflow_to_a_normal_closure(report, units, commander):
    case = report()
    now = at("2026-09-29 10:00")
    case = accept_case(case=case, user=commander, now=now)
    assert case.clock == "investigate"
    assert timezone.localtime(case.due_at).date().isoformat() == "2026-12-28"
    case = file_case(case=case, user=commander, now=now)
    case = dispatch_case(case=case, user=commander, handler_unit=units["district"], now=now)
    case = start_handling(case=case, user=commander, now=now)
    case = feed_back_case(case=case, user=commander, resolved=True, now=now)
    assert case.clock == "investigate"  # one clock from acceptance to closure
    case = check_case(case=case, user=commander, passed=True, now=now)
    case = close_case(case=case, user=commander, closure_type="normal", now=now)
    assert (case.stage, case.closure_type, case.resolved) == (Stage.CLOSED, "normal", True)
    assert [(e.action, e.to_stage) for e in case.events.all()] == [
        ("report", "reported"),
        ("accept", "accepted"),
        ("file", "filed"),
        ("dispatch", "dispatched"),
        ("start_handling", "handling"),
        ("feed_back", "fed_back"),
        ("check", "checked"),
        ("close", "closed"),
    ]
    assert case.owner_unit == units["community"]  # dispatching does not pass ownership
    assert case.handler_unit == units["district"]


def test_closed_late_is_overdue_and_unresolved_stays_unresolved(report, units, commander):
    case = report(kind="grid_matter", title="占道经营")
    now = at("2026-09-28 09:10")
    case = _through_feedback(case, commander, units, now=now, resolved=False)
    case = check_case(case=case, user=commander, passed=True, now=now)
    late = at("2026-09-28 12:00")  # the 30-minute check clock ran out at 09:40
    case = close_case(case=case, user=commander, closure_type="normal", now=late)
    assert case.closure_type == ClosureType.OVERDUE
    assert case.resolved is False  # closed is not fixed


def test_a_failed_check_sends_the_case_back_with_a_new_clock(report, units, commander):
    case = report(kind="grid_matter", title="井盖")
    case = _through_feedback(case, commander, units, now=at("2026-09-28 09:10"))
    with pytest.raises(RuleViolation):
        check_case(case=case, user=commander, passed=False)  # a reason is required
    case = check_case(
        case=case, user=commander, passed=False, reason="现场未整改", now=at("2026-09-28 10:00")
    )
    assert (case.stage, case.clock, case.resolved) == (Stage.DISPATCHED, "handle", None)


def test_steps_out_of_order_are_refused(report, commander):
    case = report()
    with pytest.raises(RuleViolation) as exc:
        file_case(case=case, user=commander)
    assert exc.value.code == "not_allowed"
    with pytest.raises(RuleViolation):
        close_case(case=case, user=commander, closure_type="normal")


def test_voided_needs_a_reason_and_counts_as_a_response(report, commander):
    case = report()
    with pytest.raises(RuleViolation):
        void_case(case=case, user=commander, reason=" ")
    case = void_case(case=case, user=commander, reason="重复上报", now=at("2026-09-29 09:00"))
    assert case.stage == Stage.VOIDED and case.responded_at is not None


def test_pause_moves_a_working_day_deadline_by_the_working_days_paused(report, commander):
    case = report()
    assert timezone.localtime(case.due_at).date().isoformat() == "2026-10-10"
    case = pause_case(case=case, user=commander, reason="等待劳动仲裁", now=at("2026-09-29 09:00"))
    case = resume_case(case=case, user=commander, now=at("2026-10-09 09:00"))
    # Paused over 30 September, 8 and 9 October (three working days): 10 → 14 October.
    assert timezone.localtime(case.due_at).date().isoformat() == "2026-10-14"


def test_one_extension_per_clock_with_a_reason(report, commander):
    case = accept_case(case=report(), user=commander, now=at("2026-09-30 09:00"))
    with pytest.raises(RuleViolation):
        extend_case(case=case, user=commander, reason="")
    case = extend_case(case=case, user=commander, reason="案情复杂，需延期")
    assert case.extended
    assert timezone.localtime(case.due_at).date().isoformat() == "2027-02-12"
    with pytest.raises(RuleViolation) as exc:
        extend_case(case=case, user=commander, reason="再延期")
    assert exc.value.code == "extended"


def test_reopening_clears_the_closure_and_keeps_the_owner(report, units, commander):
    case = _through_feedback(report(), commander, units, now=at("2026-09-29 09:00"))
    case = check_case(case=case, user=commander, passed=True)
    case = close_case(case=case, user=commander, closure_type="normal")
    case = record_callback(case=case, user=commander, satisfaction="dissatisfied")
    case = reopen_case(case=case, user=commander, reason="群众反映仍未支付")
    assert (case.stage, case.closure_type, case.satisfaction) == (Stage.DISPATCHED, "", "")
    assert case.reopened_count == 1 and case.closed_at is None
    assert case.owner_unit == units["community"]


def test_ownership_changes_only_when_formally_passed_on(report, units, commander):
    case = report()
    with pytest.raises(RuleViolation):
        transfer_case(case=case, user=commander, to_unit=units["district"], reason="")
    case = transfer_case(
        case=case, user=commander, to_unit=units["district"], reason="属区人社局管辖"
    )
    assert case.owner_unit == units["district"]
    assert case.events.filter(action="transfer").get().detail == {
        "from_unit": "wawuli",
        "to_unit": "hr-bureau",
    }


def test_a_grid_worker_handles_a_matter_on_the_spot(report):
    case = report(kind="grid_matter", title="楼道杂物", handled_on_spot=True)
    assert (case.stage, case.resolved, case.closure_type) == (Stage.CLOSED, True, "normal")
    assert case.due_at is None


def test_a_grid_worker_may_not_take_cases_through_stages(report, grid_worker):
    with pytest.raises(PermissionDeniedError):
        accept_case(case=report(), user=grid_worker)


def test_a_grid_worker_cannot_report_outside_the_grid(report):
    with pytest.raises(PermissionDeniedError):
        report(area_code=G211)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("kind", "nonsense", "unknown"),
        ("source", "open311", "not_allowed"),  # petitions do not come through Open311
        ("title", " ", "required"),
        ("area_code", f"{G111}-001", "below_grid"),
        ("reporter_phone", "12345", "invalid"),
    ],
)
def test_intake_refuses_a_bad_report(report, field, value, code):
    extra = {"kind": "petition", "source": "petition_office", field: value}
    with pytest.raises(RuleViolation) as exc:
        report(**extra)
    assert exc.value.code == code


def test_a_failed_check_keeps_a_statutory_deadline(report, units, commander):
    case = report()
    case = accept_case(case=case, user=commander, now=at("2026-09-29 10:00"))
    due = case.due_at
    case = _through_feedback_after_accept(case, commander, units)
    case = check_case(
        case=case, user=commander, passed=False, reason="工资未足额支付", now=at("2026-11-02 09:00")
    )
    assert (case.stage, case.clock, case.due_at) == (Stage.DISPATCHED, "investigate", due)


def _through_feedback_after_accept(case, user, units):
    now = at("2026-10-12 09:00")
    case = file_case(case=case, user=user, now=now)
    case = dispatch_case(case=case, user=user, handler_unit=units["district"], now=now)
    case = start_handling(case=case, user=user, now=now)
    return feed_back_case(case=case, user=user, resolved=False, note="部分支付", now=now)
