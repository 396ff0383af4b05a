"""Wage arrears on a complaint: claims, orders to pay, surcharges, advances, the blacklist.

Money is Decimal throughout; payments are spread over the employer's unpaid claims oldest
first, so "owed", "paid" and "people affected" are always sums over the claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.geo.selectors import area_exists

from ..models import (
    AdvancePayment,
    BlacklistEntry,
    Company,
    GovCase,
    Payer,
    PaymentOrder,
    Project,
    Stage,
    WageClaim,
)
from .common import bad, locked, log_event, require_reason

BLACKLIST_YEARS = 3
EARLY_EXIT_MONTHS = 6
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ClaimIn:
    employer: Company
    worker: str
    owed: Decimal


def _may_handle(user, case: GovCase) -> None:
    require_permission(
        actor=user,
        action="handle_cases",
        area_code=case.area_code,
        object_type="gov_case",
        object_id=case.pk,
    )


def _wage_case(case: GovCase) -> GovCase:
    row = locked(case)
    if row.kind != "wage_arrears":
        raise bad("case", "kind", _("This is not a wage-arrears case."))
    if not row.is_open or row.stage == Stage.REPORTED:
        raise bad("case", "stage", _("Accept the complaint first; a finished case is not changed."))
    return row


def create_company(*, name: str, credit_code: str, area_code: str) -> Company:
    code = credit_code.strip().upper()
    if len(code) != 18 or not code.isalnum():
        raise bad("credit_code", "invalid", _("A unified social credit code has 18 characters."))
    if not area_exists(area_code):
        raise bad("area_code", "unknown", _("No area has this code."))
    return Company.objects.create(name=name.strip(), credit_code=code, area_code=area_code)


def create_project(
    *,
    name: str,
    area_code: str,
    builder: Company,
    general_contractor: Company,
    contract_value: Decimal,
    subcontractors: Sequence[Company] = (),
    wage_account: str = "",
    deposit: Decimal = Decimal(0),
) -> Project:
    if not area_exists(area_code):
        raise bad("area_code", "unknown", _("No area has this code."))
    if contract_value <= 0 or deposit < 0:
        raise bad("contract_value", "invalid", _("Amounts must be positive."))
    with transaction.atomic():
        project = Project.objects.create(
            name=name.strip(),
            area_code=area_code,
            builder=builder,
            general_contractor=general_contractor,
            contract_value=contract_value,
            wage_account=wage_account.strip(),
            deposit=deposit,
        )
        project.subcontractors.set(subcontractors)
    return project


def record_claims(
    *, case: GovCase, user, project: Project, claims: Sequence[ClaimIn]
) -> list[WageClaim]:
    """The workers of a complaint and what each is owed, by whom on which project."""
    _may_handle(user, case)
    allowed = {project.general_contractor_id, *project.subcontractors.values_list("pk", flat=True)}
    for claim in claims:
        if claim.owed <= 0:
            raise bad("owed", "invalid", _("Amounts must be positive."))
        if not claim.worker.strip():
            raise bad("worker", "required", _("Name the worker."))
        if claim.employer.pk not in allowed:
            raise bad(
                "employer", "not_on_project", _("The employer is not a contractor of this project.")
            )
    with transaction.atomic():
        row = _wage_case(case)
        created = WageClaim.objects.bulk_create(
            WageClaim(
                case=row, project=project, employer=c.employer, worker=c.worker.strip(), owed=c.owed
            )
            for c in claims
        )
        log_event(
            row,
            action="record_claims",
            user=user,
            from_stage=row.stage,
            detail={"project": project.pk, "workers": len(created)},
        )
    return created


def unpaid(*, case: GovCase, company: Company | None = None) -> Decimal:
    qs = WageClaim.objects.filter(case=case)
    if company is not None:
        qs = qs.filter(employer=company)
    return qs.aggregate(v=Sum(F("owed") - F("paid")))["v"] or Decimal(0)


def _pay_claims(case: GovCase, amount: Decimal, company: Company | None) -> Decimal:
    """Spread `amount` over unpaid claims, oldest first; returns what was left over."""
    qs = WageClaim.objects.select_for_update().filter(case=case, paid__lt=F("owed"))
    if company is not None:
        qs = qs.filter(employer=company)
    for claim in qs.order_by("id"):
        if amount <= 0:
            break
        share = min(amount, claim.owed - claim.paid)
        claim.paid += share
        claim.save(update_fields=["paid", "updated_at"])
        amount -= share
    return amount


def order_payment(
    *, case: GovCase, user, company: Company, amount: Decimal, pay_by: dt.date
) -> PaymentOrder:
    """责令限期支付: at most what the company still owes on the case, by a day to come."""
    _may_handle(user, case)
    today = timezone.localdate()
    if pay_by <= today:
        raise bad("pay_by", "past", _("The date to pay by must be in the future."))
    with transaction.atomic():
        row = _wage_case(case)
        owed = unpaid(case=row, company=company)
        if amount <= 0 or amount > owed:
            raise bad(
                "amount", "too_much", _("The order may not exceed what the company still owes.")
            )
        order = PaymentOrder.objects.create(
            case=row, company=company, amount=amount, issued_on=today, pay_by=pay_by
        )
        log_event(
            row,
            action="order_payment",
            user=user,
            from_stage=row.stage,
            detail={"company": company.pk, "amount": str(amount), "pay_by": str(pay_by)},
        )
    return order


def record_order_paid(*, order: PaymentOrder, user, paid_on: dt.date) -> PaymentOrder:
    _may_handle(user, order.case)
    with transaction.atomic():
        row = _wage_case(order.case)
        order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if order.paid_on is not None:
            raise bad("order", "paid", _("This order is already paid."))
        order.paid_on = paid_on
        order.save(update_fields=["paid_on", "updated_at"])
        _pay_claims(row, order.amount, order.company)
        log_event(
            row,
            action="order_paid",
            user=user,
            from_stage=row.stage,
            detail={"order": order.pk, "paid_on": str(paid_on)},
        )
    return order


def impose_surcharge(
    *, order: PaymentOrder, user, rate: Decimal, today: dt.date | None = None
) -> PaymentOrder:
    """加付赔偿金: an order ignored past its date earns 50–100 % of the amount unpaid (§26)."""
    _may_handle(user, order.case)
    today = today or timezone.localdate()
    if not Decimal("0.5") <= rate <= Decimal("1.0"):
        raise bad("rate", "range", _("The surcharge is between half and all of the amount unpaid."))
    with transaction.atomic():
        row = _wage_case(order.case)
        order = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if order.paid_on is not None or today <= order.pay_by:
            raise bad(
                "order", "not_ignored", _("Only an order ignored past its date earns a surcharge.")
            )
        order.surcharge_rate = rate
        order.surcharge = (order.amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        order.save(update_fields=["surcharge_rate", "surcharge", "updated_at"])
        log_event(
            row,
            action="surcharge",
            user=user,
            from_stage=row.stage,
            detail={"order": order.pk, "surcharge": str(order.surcharge)},
        )
    return order


def record_advance(
    *, case: GovCase, user, payer: str, amount: Decimal, paid_on: dt.date
) -> AdvancePayment:
    """垫付 by the builder (§29), the general contractor (§30) or the emergency fund (§63):
    never more than the workers are still owed."""
    _may_handle(user, case)
    if payer not in Payer.values:
        raise bad("payer", "invalid", _("Choose who paid."))
    with transaction.atomic():
        row = _wage_case(case)
        if amount <= 0 or amount > unpaid(case=row):
            raise bad("amount", "too_much", _("An advance may not exceed what is still owed."))
        advance = AdvancePayment.objects.create(
            case=row, payer=payer, amount=amount, paid_on=paid_on
        )
        _pay_claims(row, amount, None)
        log_event(
            row,
            action="advance",
            user=user,
            from_stage=row.stage,
            detail={"payer": payer, "amount": str(amount)},
        )
    return advance


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def blacklist_company(
    *, company: Company, user, case: GovCase, listed_on: dt.date | None = None
) -> BlacklistEntry:
    """List the company for three years (拖欠农民工工资失信联合惩戒对象名单)."""
    _may_handle(user, case)
    listed_on = listed_on or timezone.localdate()
    if BlacklistEntry.objects.filter(
        company=company, removed_on__isnull=True, ends_on__gt=listed_on
    ).exists():
        raise bad("company", "listed", _("This company is already on the list."))
    with transaction.atomic():
        entry = BlacklistEntry.objects.create(
            company=company,
            case=case,
            listed_on=listed_on,
            ends_on=_add_years(listed_on, BLACKLIST_YEARS),
        )
        log_event(
            case,
            action="blacklist",
            user=user,
            from_stage=case.stage,
            detail={"company": company.pk},
        )
    return entry


def remove_from_blacklist(
    *, entry: BlacklistEntry, user, reason: str, today: dt.date | None = None
) -> BlacklistEntry:
    """Early exit after six months, once the company owes nothing on any case."""
    reason = require_reason(reason)
    if entry.case is not None:
        _may_handle(user, entry.case)
    today = today or timezone.localdate()
    if entry.removed_on is not None:
        raise bad("entry", "removed", _("This entry has already been removed."))
    if today < _add_months(entry.listed_on, EARLY_EXIT_MONTHS):
        raise bad("entry", "too_early", _("A company leaves the list early only after six months."))
    still = WageClaim.objects.filter(employer=entry.company, paid__lt=F("owed")).exists()
    if still:
        raise bad("entry", "unpaid", _("The company still owes wages."))
    entry.removed_on = today
    entry.removal_reason = reason
    entry.save(update_fields=["removed_on", "removal_reason", "updated_at"])
    return entry
