"""Daily follow-up: a report a day per person under an order (temperature, symptoms), by
themselves from the link on their notice or by the grid worker; missed reports become tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.links import link_key, link_token
from fangkong.work.models import Task

from ..models import ControlOrder, OrderState
from ..models_followup import FollowUpReport, ReportChannel

_SALT = "fangkong.tracing.self-report"
MISSED_TASK_KIND = "follow_up_missed"


def self_report_token(order: ControlOrder) -> str:
    """The signed code on the person's notice that opens their self-report page."""
    return link_token(order.pk, salt=_SALT)


def order_for_token(token: str) -> ControlOrder:
    pk = link_key(token, salt=_SALT)
    if pk is None:
        raise RuleViolation(
            field="token", code="invalid", message=_("This link is not valid."), status_code=404
        )
    order = ControlOrder.objects.filter(pk=pk).first()
    if order is None:
        raise RuleViolation(
            field="token", code="invalid", message=_("This link is not valid."), status_code=404
        )
    return order


def covers(order: ControlOrder, day: dt.date) -> bool:
    """Day 1 of an order is the day after it starts; its last day is its end."""
    return order.start < day <= order.end


def record_report(
    *,
    order: ControlOrder,
    day: dt.date,
    temperature: object,
    symptoms: str = "",
    user=None,
) -> FollowUpReport:
    """Record the day's report; the grid worker's needs `record_follow_up` in the order's area,
    a self-report (no user) comes through the signed link."""
    if user is not None:
        require_permission(
            actor=user,
            action="record_follow_up",
            area_code=order.area_code,
            object_type="control_order",
            object_id=order.pk,
        )
    try:
        celsius = Decimal(str(temperature)).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise RuleViolation(
            field="temperature", code="invalid", message=_("Give the temperature in °C.")
        ) from None
    if not Decimal(30) <= celsius <= Decimal(45):
        raise RuleViolation(
            field="temperature", code="range", message=_("A body temperature is 30 to 45 °C.")
        )
    if order.state != OrderState.ACTIVE or not covers(order, day):
        raise RuleViolation(
            field="day", code="not_under_order", message=_("No order in force on this day.")
        )
    try:
        with transaction.atomic():
            return FollowUpReport.objects.create(
                order=order,
                day=day,
                temperature=celsius,
                symptoms=symptoms.strip()[:200],
                channel=ReportChannel.GRID_WORKER if user is not None else ReportChannel.SELF,
                recorded_by=user,
            )
    except IntegrityError:
        raise RuleViolation(
            field="day", code="reported", message=_("Today's report is in already.")
        ) from None


def escalate_missed_reports(*, day: dt.date) -> int:
    """A task for the grid of every person under an order with no report on `day`; once each."""
    missing = (
        ControlOrder.objects.filter(state=OrderState.ACTIVE, start__lt=day, end__gte=day)
        .exclude(reports__day=day)
        .only("pk", "area_code", "document_masked")
    )
    created = 0
    for order in missing:
        _task, new = Task.objects.get_or_create(
            key=f"followup:{order.pk}:{day.isoformat()}",
            defaults={
                "kind": MISSED_TASK_KIND,
                "title": str(
                    _("No follow-up report from %(person)s on %(day)s")
                    % {"person": order.document_masked, "day": day.isoformat()}
                ),
                "detail": {"order": order.pk, "day": day.isoformat()},
                "area_code": order.area_code,
            },
        )
        created += new
    return created
