"""Reads over wage arrears, limited to the requesting user's area like every case read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Sum

from fangkong.accounts.permissions import can
from fangkong.core.areas import within_q
from fangkong.core.errors import PermissionDeniedError

from .models import (
    BlacklistEntry,
    Company,
    GovCase,
    JointMeeting,
    Project,
    WageClaim,
)


def _scope(user) -> str:
    if not can(user, "view_cases"):
        raise PermissionDeniedError(field="wages", code="forbidden", message="forbidden")
    return user.scope_code


@dataclass(frozen=True)
class Arrears:
    key: int
    name: str
    owed: Decimal
    paid: Decimal
    people: int

    @property
    def outstanding(self) -> Decimal:
        return self.owed - self.paid


def _totals(qs, key: str, name: str) -> list[Arrears]:
    rows = (
        qs.values(key, name)
        .annotate(owed=Sum("owed"), paid=Sum("paid"), people=Count("worker", distinct=True))
        .order_by(name)
    )
    return [Arrears(r[key], r[name], r["owed"], r["paid"], r["people"]) for r in rows]


def arrears_by_project(*, user) -> list[Arrears]:
    """Owed, paid and people affected per project in the user's area (one figure, one sum)."""
    scope = _scope(user)
    claims = WageClaim.objects.filter(within_q(scope, "project__area_code"))
    return _totals(claims, "project_id", "project__name")


def arrears_by_company(*, user) -> list[Arrears]:
    scope = _scope(user)
    claims = WageClaim.objects.filter(within_q(scope, "project__area_code"))
    return _totals(claims, "employer_id", "employer__name")


def projects_in_scope(*, user) -> list[Project]:
    return list(
        Project.objects.filter(within_q(_scope(user)))
        .select_related("builder", "general_contractor")
        .prefetch_related("subcontractors")
    )


def companies_in_scope(*, user) -> list[Company]:
    return list(Company.objects.filter(within_q(_scope(user))))


def blacklist(*, user) -> list[BlacklistEntry]:
    return list(
        BlacklistEntry.objects.filter(within_q(_scope(user), "company__area_code"))
        .select_related("company")
        .order_by("-listed_on")
    )


def meetings(*, user) -> list[JointMeeting]:
    return list(JointMeeting.objects.filter(within_q(_scope(user))).order_by("-held_on", "-id"))


def get_meeting(*, user, pk: int) -> JointMeeting | None:
    return (
        JointMeeting.objects.filter(within_q(_scope(user)), pk=pk)
        .prefetch_related("attendance__unit", "decisions__case")
        .first()
    )


@dataclass(frozen=True)
class WagePanel:
    claims: list
    orders: list
    advances: list
    referrals: list
    owed: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.owed - self.paid


def wage_panel(*, user, case: GovCase) -> WagePanel | None:
    """What the case page shows of a wage-arrears complaint (None for other kinds)."""
    if case.kind != "wage_arrears" or not can(user, "view_cases", case.area_code):
        return None
    claims = list(case.wage_claims.select_related("employer", "project"))
    return WagePanel(
        claims=claims,
        orders=list(case.payment_orders.select_related("company")),
        advances=list(case.advances.all()),
        referrals=list(case.police_referrals.all()),
        owed=sum((c.owed for c in claims), Decimal(0)),
        paid=sum((c.paid for c in claims), Decimal(0)),
    )


def open_wage_cases(*, user) -> list[GovCase]:
    """Wage-arrears cases still open in the user's area, for the meeting's agenda."""
    scope = _scope(user)
    return list(
        GovCase.objects.filter(within_q(scope), kind="wage_arrears", closed_at__isnull=True)
        .annotate(outstanding=Sum(F("wage_claims__owed") - F("wage_claims__paid")))
        .order_by("received_at")
    )
