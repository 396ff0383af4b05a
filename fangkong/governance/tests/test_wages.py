"""Wage arrears: claims, orders to pay, surcharges, advances, the blacklist, the joint meeting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from devtools.fixtures import D
from fangkong.core.errors import RuleViolation
from fangkong.governance.models import Stage
from fangkong.governance.services.meetings import decide, hold_meeting
from fangkong.governance.services.wages import (
    ClaimIn,
    blacklist_company,
    impose_surcharge,
    order_payment,
    record_advance,
    record_claims,
    record_order_paid,
    remove_from_blacklist,
    unpaid,
)
from fangkong.governance.services.workflow import accept_case
from fangkong.governance.wage_selectors import arrears_by_company, arrears_by_project

TODAY = timezone.localdate


@pytest.fixture
def complaint(report, commander, site):
    case = accept_case(case=report(), user=commander)
    record_claims(
        case=case,
        user=commander,
        project=site["project"],
        claims=[
            ClaimIn(site["sub"], "张师傅", Decimal("12000")),
            ClaimIn(site["sub"], "李师傅", Decimal("8000")),
            ClaimIn(site["general"], "王师傅", Decimal("5000")),
        ],
    )
    return case


def test_claims_must_name_a_contractor_of_the_project(report, commander, site):
    case = accept_case(case=report(), user=commander)
    with pytest.raises(RuleViolation) as exc:
        record_claims(
            case=case,
            user=commander,
            project=site["project"],
            claims=[ClaimIn(site["builder"], "赵师傅", Decimal("100"))],
        )
    assert exc.value.code == "not_on_project"


def test_claims_wait_for_the_complaint_to_be_accepted(report, commander, site):
    with pytest.raises(RuleViolation) as exc:
        record_claims(
            case=report(),
            user=commander,
            project=site["project"],
            claims=[ClaimIn(site["sub"], "赵师傅", Decimal("100"))],
        )
    assert exc.value.code == "stage"


def test_an_order_is_capped_by_what_the_company_owes_and_paying_it_pays_its_workers(
    complaint, commander, site
):
    with pytest.raises(RuleViolation):
        order_payment(
            case=complaint,
            user=commander,
            company=site["sub"],
            amount=Decimal("20000.01"),
            pay_by=TODAY() + dt.timedelta(days=10),
        )
    order = order_payment(
        case=complaint,
        user=commander,
        company=site["sub"],
        amount=Decimal("20000"),
        pay_by=TODAY() + dt.timedelta(days=10),
    )
    record_order_paid(order=order, user=commander, paid_on=TODAY())
    assert unpaid(case=complaint, company=site["sub"]) == 0
    assert unpaid(case=complaint) == Decimal("5000")


def test_an_ignored_order_earns_a_surcharge_of_50_to_100_percent(complaint, commander, site):
    pay_by = TODAY() + dt.timedelta(days=3)
    order = order_payment(
        case=complaint, user=commander, company=site["sub"], amount=Decimal("20000"), pay_by=pay_by
    )
    with pytest.raises(RuleViolation) as exc:
        impose_surcharge(order=order, user=commander, rate=Decimal("0.5"), today=pay_by)
    assert exc.value.code == "not_ignored"
    with pytest.raises(RuleViolation):
        impose_surcharge(
            order=order, user=commander, rate=Decimal("1.5"), today=pay_by + dt.timedelta(1)
        )
    order = impose_surcharge(
        order=order, user=commander, rate=Decimal("0.75"), today=pay_by + dt.timedelta(1)
    )
    assert order.surcharge == Decimal("15000.00")


def test_an_advance_pays_the_oldest_claims_and_never_more_than_owed(complaint, commander):
    with pytest.raises(RuleViolation):
        record_advance(
            case=complaint,
            user=commander,
            payer="emergency_fund",
            amount=Decimal("25000.01"),
            paid_on=TODAY(),
        )
    record_advance(
        case=complaint, user=commander, payer="builder", amount=Decimal("15000"), paid_on=TODAY()
    )
    paid = list(complaint.wage_claims.order_by("id").values_list("paid", flat=True))
    assert paid == [Decimal("12000"), Decimal("3000"), Decimal("0")]


def test_totals_by_project_and_company_add_up(complaint, commander, site):
    record_advance(
        case=complaint,
        user=commander,
        payer="general_contractor",
        amount=Decimal("5000"),
        paid_on=TODAY(),
    )
    (project,) = arrears_by_project(user=commander)
    assert (project.owed, project.paid, project.people) == (Decimal("25000"), Decimal("5000"), 3)
    by_company = {row.name: row for row in arrears_by_company(user=commander)}
    assert by_company["劳务分包公司"].outstanding == Decimal("15000")
    assert by_company["中建某局"].people == 1
    assert sum(r.owed for r in by_company.values()) == project.owed


def test_the_blacklist_runs_three_years_and_lets_a_paying_company_out_after_six_months(
    complaint, commander, site
):
    listed = dt.date(2026, 1, 15)
    entry = blacklist_company(company=site["sub"], user=commander, case=complaint, listed_on=listed)
    assert entry.ends_on == dt.date(2029, 1, 15)
    with pytest.raises(RuleViolation) as exc:
        remove_from_blacklist(
            entry=entry, user=commander, reason="已清偿", today=dt.date(2026, 7, 1)
        )
    assert exc.value.code == "too_early"
    with pytest.raises(RuleViolation) as exc:
        remove_from_blacklist(
            entry=entry, user=commander, reason="已清偿", today=dt.date(2026, 7, 15)
        )
    assert exc.value.code == "unpaid"
    record_advance(
        case=complaint,
        user=commander,
        payer="emergency_fund",
        amount=Decimal("25000"),
        paid_on=TODAY(),
    )
    entry = remove_from_blacklist(
        entry=entry, user=commander, reason="已清偿", today=dt.date(2026, 7, 15)
    )
    assert entry.removed_on == dt.date(2026, 7, 15)


def test_the_joint_meeting_refers_and_closes_only_a_settled_case(complaint, commander, units):
    meeting = hold_meeting(
        user=commander,
        title="2026年第12次欠薪治理联席会议",
        area_code=D,
        held_on=TODAY(),
        present=[units["district"], units["subdistrict"]],
        absent=[units["community"]],
    )
    assert meeting.attendance.filter(present=True).count() == 2
    decide(
        meeting=meeting,
        user=commander,
        case=complaint,
        kind="refer_police",
        text="涉嫌拒不支付劳动报酬罪",
    )
    assert complaint.police_referrals.count() == 1
    with pytest.raises(RuleViolation) as exc:
        decide(meeting=meeting, user=commander, case=complaint, kind="close", text="结案销案")
    assert exc.value.code == "unpaid"
    record_advance(
        case=complaint,
        user=commander,
        payer="emergency_fund",
        amount=Decimal("25000"),
        paid_on=TODAY(),
    )
    decide(
        meeting=meeting, user=commander, case=complaint, kind="close", text="已全额支付，结案销案"
    )
    complaint.refresh_from_db()
    assert (complaint.stage, complaint.resolved, complaint.closure_type) == (
        Stage.CLOSED,
        True,
        "normal",
    )
