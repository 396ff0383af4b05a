"""A control order's tests and its end: the tests are single-tube rounds that testing runs on
the order's test dates (through its public service), and an order is released only when its
end has come and every one of its tests is negative. A positive test goes through testing's
retest; the retest's positive opens the person's case, which converts their orders."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.events import publish
from fangkong.people.models import Resident, ResidentStatus
from fangkong.testing.selectors import person_round_results
from fangkong.testing.services.person_tests import schedule_single_tube_tests

from ..events import OrderReleased
from ..models import ControlOrder, OrderState

# The rounds' name in testing's pages (data, as testing names its own retest rounds).
TEST_ROUND_NAME = "管控人员单采单检"


def registered_person(document_index: str) -> Resident | None:
    """The resident behind a blind index, if the registry has them (tests need one)."""
    if not document_index:
        return None
    return (
        Resident.objects.filter(document_index=document_index, status=ResidentStatus.ACTIVE)
        .select_related("household")
        .order_by("id")
        .first()
    )


def schedule_order_tests(*, order: ControlOrder, resident: Resident | None, user) -> None:
    """Have testing sample the person at home on each of the order's test dates. A person the
    registry does not know gets no rounds here: their tests are the receiving district's."""
    if resident is None or not order.test_dates:
        return
    home = resident.household.code if resident.household_id else resident.area_code
    rounds = schedule_single_tube_tests(
        area_code=home,
        days=[dt.date.fromisoformat(d) for d in order.test_dates],
        name=TEST_ROUND_NAME,
        user=user,
    )
    order.test_rounds = {day.isoformat(): pk for day, pk in rounds.items()}
    order.save(update_fields=["test_rounds", "updated_at"])


def order_test_results(order: ControlOrder) -> dict[str, str]:
    """Each test date's outcome, by date: negative, positive, or pending (not sampled yet or
    no result yet)."""
    if not order.test_rounds:
        return {}
    person = registered_person(order.document_index)
    found = (
        person_round_results(resident_id=person.pk, round_ids=order.test_rounds.values())
        if person is not None
        else {}
    )
    return {day: found.get(pk, "pending") for day, pk in sorted(order.test_rounds.items())}


def convert_orders(*, document_index: str) -> int:
    """The person under orders turned positive: their orders in force end as converted."""
    return ControlOrder.objects.filter(
        document_index=document_index, state=OrderState.ACTIVE
    ).update(state=OrderState.CONVERTED, updated_at=timezone.now())


def release_order(*, user, order: ControlOrder, today: dt.date | None = None) -> ControlOrder:
    """Release an order (解除隔离) whose end has come and whose tests are all negative."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=order.area_code,
        object_type="control_order",
        object_id=order.pk,
    )
    today = today or timezone.localdate()
    with transaction.atomic():
        order = ControlOrder.objects.select_for_update().get(pk=order.pk)
        if order.state != OrderState.ACTIVE:
            raise RuleViolation(
                field="state", code="not_active", message=_("This order is no longer in force.")
            )
        if today < order.end:
            raise RuleViolation(
                field="end",
                code="not_yet",
                message=_("The order ends on %(end)s.") % {"end": order.end.isoformat()},
            )
        results = order_test_results(order)
        _check_tests(results)
        order.state = OrderState.RELEASED
        order.save(update_fields=["state", "updated_at"])
        publish(
            OrderReleased(
                area_code=order.area_code,
                order_id=order.pk,
                order_kind=order.kind,
                notice=f"{order.year}-{order.number:04d}",
                end=order.end.isoformat(),
                tests=len(results),
                person=order.document_masked,
            )
        )
    return order


def _check_tests(results: dict[str, str]) -> None:
    positive = [day for day, outcome in results.items() if outcome == "positive"]
    if positive:
        raise RuleViolation(
            field="tests",
            code="positive",
            message=_(
                "The test of %(days)s is positive: the order is not released; the retest "
                "decides whether a case opens."
            )
            % {"days": ", ".join(positive)},
        )
    pending = [day for day, outcome in results.items() if outcome != "negative"]
    if pending:
        raise RuleViolation(
            field="tests",
            code="pending",
            message=_("No negative result yet for the test of %(days)s.")
            % {"days": ", ".join(pending)},
        )
