"""Wage arrears (保障农民工工资支付条例): projects, the companies on them, workers' claims,
orders to pay, advances, police referrals, the blacklist and the joint meeting (联席会议).

A complaint is a GovCase of kind `wage_arrears`; these tables hang off it.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.core.models import TimeStampedModel

from .cases import GovCase, Unit

MONEY = {"max_digits": 14, "decimal_places": 2}


class Company(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class Project(TimeStampedModel):
    """A construction project: its builder, general contractor, subcontractors, wage account
    (§26) and wage deposit (§32)."""

    name = models.CharField(_("name"), max_length=200)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    builder = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("builder")
    )
    general_contractor = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="+", verbose_name=_("general contractor")
    )
    subcontractors = models.ManyToManyField(
        Company, blank=True, related_name="subcontracts", verbose_name=_("subcontractors")
    )
    contract_value = models.DecimalField(_("contract value"), **MONEY)
    wage_account = models.CharField(_("wage account"), max_length=40, blank=True)
    deposit = models.DecimalField(_("wage deposit"), default=Decimal(0), **MONEY)

    class Meta:
        ordering = ["name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.name


class WageClaim(TimeStampedModel):
    """One worker's unpaid wages on a complaint: who owes them and how much is paid so far.

    Only the worker's name is kept (no ID or phone): the claim is counted, not a dossier.
    """

    case = models.ForeignKey(GovCase, on_delete=models.CASCADE, related_name="wage_claims")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="claims")
    employer = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="claims")
    worker = models.CharField(_("worker"), max_length=50)
    owed = models.DecimalField(_("owed"), **MONEY)
    paid = models.DecimalField(_("paid"), default=Decimal(0), **MONEY)

    class Meta:
        ordering = ["id"]
        verbose_name = _("wage claim")
        verbose_name_plural = _("wage claims")
        constraints = [
            models.CheckConstraint(condition=Q(owed__gt=0), name="wageclaim_owed_positive"),
            models.CheckConstraint(
                condition=Q(paid__gte=0, paid__lte=models.F("owed")),
                name="wageclaim_paid_within_owed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.owed}"


class PaymentOrder(TimeStampedModel):
    """责令限期支付: pay `amount` by `pay_by`; ignored, it earns a 50–100 % surcharge (§26)."""

    case = models.ForeignKey(GovCase, on_delete=models.CASCADE, related_name="payment_orders")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="payment_orders")
    amount = models.DecimalField(_("amount"), **MONEY)
    issued_on = models.DateField(_("issued on"))
    pay_by = models.DateField(_("pay by"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    surcharge_rate = models.DecimalField(
        _("surcharge rate"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    surcharge = models.DecimalField(_("surcharge"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["issued_on", "id"]
        verbose_name = _("order to pay")
        verbose_name_plural = _("orders to pay")
        constraints = [
            models.CheckConstraint(
                condition=Q(pay_by__gte=models.F("issued_on")), name="paymentorder_pay_by_after"
            ),
            models.CheckConstraint(
                condition=Q(surcharge_rate__isnull=True)
                | Q(surcharge_rate__gte=Decimal("0.5"), surcharge_rate__lte=Decimal("1.0")),
                name="paymentorder_surcharge_50_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.amount} by {self.pay_by}"


class Payer(models.TextChoices):
    BUILDER = "builder", _("Builder (建设单位)")
    GENERAL_CONTRACTOR = "general_contractor", _("General contractor")
    EMERGENCY_FUND = "emergency_fund", _("Emergency fund")


class AdvancePayment(TimeStampedModel):
    """垫付: wages paid ahead by the builder, the general contractor or the emergency fund."""

    case = models.ForeignKey(GovCase, on_delete=models.CASCADE, related_name="advances")
    payer = models.CharField(_("payer"), max_length=24, choices=Payer.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"))

    class Meta:
        ordering = ["paid_on", "id"]
        verbose_name = _("advance payment")
        verbose_name_plural = _("advance payments")

    def __str__(self) -> str:
        return f"{self.payer} {self.amount}"


class JointMeeting(TimeStampedModel):
    """欠薪治理联席会议: who attended, what it decided about which cases."""

    title = models.CharField(_("title"), max_length=200)
    area_code = models.CharField(_("area"), max_length=64, db_index=True)
    held_on = models.DateField(_("held on"))

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")

    def __str__(self) -> str:
        return self.title


class MeetingAttendance(models.Model):
    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="attendance")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("present"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "unit"], name="attendance_once_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.unit_id}"


class DecisionKind(models.TextChoices):
    REFER_POLICE = "refer_police", _("Refer to the police")
    CLOSE = "close", _("Close the case (结案销案)")
    NOTE = "note", _("Other decision")


class MeetingDecision(TimeStampedModel):
    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="decisions")
    case = models.ForeignKey(GovCase, on_delete=models.PROTECT, related_name="meeting_decisions")
    kind = models.CharField(_("decision"), max_length=16, choices=DecisionKind.choices)
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.kind}"


class PoliceReferral(TimeStampedModel):
    """移送公安: a suspected crime of refusing to pay wages (拒不支付劳动报酬罪)."""

    case = models.ForeignKey(GovCase, on_delete=models.CASCADE, related_name="police_referrals")
    referred_on = models.DateField(_("referred on"))
    reason = models.TextField(_("reason"))
    meeting = models.ForeignKey(JointMeeting, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"{self.case_id} {self.referred_on}"


class BlacklistEntry(TimeStampedModel):
    """失信联合惩戒名单: three years, leaving early after six months once the wages are paid."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="blacklist")
    case = models.ForeignKey(GovCase, null=True, blank=True, on_delete=models.SET_NULL)
    listed_on = models.DateField(_("listed on"))
    ends_on = models.DateField(_("ends on"))
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    removal_reason = models.TextField(_("reason for removal"), blank=True)

    class Meta:
        ordering = ["-listed_on", "-id"]
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")

    def __str__(self) -> str:
        return f"{self.company_id} {self.listed_on}–{self.ends_on}"
