"""Control orders from the protocol: which orders a tier gets, their dates and test dates.

Counted from the last exposure (9th edition): an order of N days ends N days after it starts
(last exposure 13 June, 7 days → ends 20 June); test day k falls k days after the order's start;
a following order starts where the previous one ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.people.models import Resident, ResidentStatus
from fangkong.people.selectors import scoped_residents

from ..models import (
    ControlOrder,
    Decision,
    ExposureDecision,
    OrderKind,
    OrderState,
    QuarantineSite,
    Transfer,
)
from ..models_cases import Contact
from ..protocol import TracingProtocol, tracing_protocol
from .identity import registered_identity
from .release import convert_orders, registered_person, release_order, schedule_order_tests

__all__ = ["convert_orders", "release_order"]  # they live in `release`; callers import them here


@dataclass(frozen=True)
class PlannedOrder:
    kind: str
    start: dt.date
    end: dt.date
    test_dates: tuple[dt.date, ...]

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class OrderPlan:
    protocol: str
    version: int
    tier: str
    last_exposure: dt.date
    orders: tuple[PlannedOrder, ...]

    @property
    def test_dates(self) -> list[dt.date]:
        return sorted({d for o in self.orders for d in o.test_dates})

    def as_json(self) -> dict:
        return {
            "orders": [
                {"kind": o.kind, "start": o.start.isoformat(), "end": o.end.isoformat()}
                for o in self.orders
            ],
            "test_dates": [d.isoformat() for d in self.test_dates],
        }


def plan_orders(*, protocol: TracingProtocol, tier: str, last_exposure: dt.date) -> OrderPlan:
    """The orders of the preset in force for `tier`, dated from the last exposure."""
    rule = protocol.contact_rule(tier)
    if rule is None:
        raise RuleViolation(
            field="tier",
            code="not_in_protocol",
            message=_("The protocol %(name)s gives no orders for this tier.")
            % {"name": protocol.name},
        )
    orders, start = [], last_exposure
    for order in rule["orders"]:
        end = start + dt.timedelta(days=order["days"])
        tests = tuple(start + dt.timedelta(days=k) for k in order["test_days"])
        orders.append(PlannedOrder(order["kind"], start, end, tests))
        start = end
    return OrderPlan(protocol.name, protocol.version, tier, last_exposure, tuple(orders))


# --- orders as records ------------------------------------------------------------------------


def create_site(
    *, user, name: str, capacity: int, area_code: str, address: str = ""
) -> QuarantineSite:
    """Register a centralised quarantine site (a hotel) with its number of rooms."""
    require_permission(actor=user, action="manage_tracing", area_code=area_code, object_type="site")
    if not name.strip():
        raise RuleViolation(field="name", code="required", message=_("A site needs a name."))
    if capacity < 1:
        raise RuleViolation(
            field="capacity", code="range", message=_("A site has at least one room.")
        )
    return QuarantineSite.objects.create(
        name=name.strip()[:200], capacity=capacity, area_code=area_code, address=address[:200]
    )


def _check_site(site: QuarantineSite | None, plan: OrderPlan) -> QuarantineSite | None:
    centralised = [o for o in plan.orders if o.kind == OrderKind.CENTRALISED_QUARANTINE]
    if not centralised:
        return None
    if site is None:
        raise RuleViolation(
            field="site", code="required", message=_("Centralised quarantine names a site.")
        )
    # Locked: two investigators filling the last room cannot both get it.
    site = QuarantineSite.objects.select_for_update().get(pk=site.pk)
    first = centralised[0]
    taken = ControlOrder.objects.filter(
        site=site, state=OrderState.ACTIVE, start__lt=first.end, end__gt=first.start
    ).count()
    if taken >= site.capacity:
        raise RuleViolation(
            field="site",
            code="full",
            message=_("%(site)s is full: %(taken)s of %(rooms)s rooms are taken.")
            % {"site": site.name, "taken": taken, "rooms": site.capacity},
        )
    return site


def _next_number(year: int, *, drill: bool = False) -> int:
    last = ControlOrder.objects.filter(year=year, drill=drill).aggregate(m=Max("number"))["m"]
    return (last or 0) + 1


def issue_orders(
    *,
    user,
    decision: ExposureDecision,
    last_exposure: dt.date | None = None,
    protocol: str | None = None,
    site: QuarantineSite | None = None,
) -> list[ControlOrder]:
    """The protocol's chained orders for a contact accepted from a venue scan, dated from the
    last exposure (by default the day of the scan)."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=decision.area_code,
        object_type="exposure",
        object_id=decision.pk,
    )
    if decision.decision != Decision.ACCEPTED:
        raise RuleViolation(
            field="decision",
            code="not_accepted",
            message=_("Only an accepted contact gets orders."),
        )
    last = last_exposure or timezone.localdate(decision.scanned_at)
    with transaction.atomic():
        ExposureDecision.objects.select_for_update().get(pk=decision.pk)
        return _issue(
            user=user,
            source=decision,
            tier=decision.tier,
            last=last,
            protocol=protocol,
            site=site,
            links={"decision": decision},
        )


def issue_contact_orders(
    *,
    user,
    contact: Contact,
    last_exposure: dt.date | None = None,
    protocol: str | None = None,
    site: QuarantineSite | None = None,
) -> list[ControlOrder]:
    """The protocol's chained orders for a contact of a case (the household's, or one found by
    hand), dated from their last exposure; the case's protocol unless another is named."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=contact.area_code,
        object_type="contact",
        object_id=contact.pk,
    )
    last = last_exposure or contact.last_exposure
    with transaction.atomic():
        Contact.objects.select_for_update().get(pk=contact.pk)
        return _issue(
            user=user,
            source=contact,
            tier=contact.tier,
            last=last,
            protocol=protocol or contact.case.protocol,
            site=site,
            links={"contact": contact, "person_name": contact.person_name},
        )


def _issue(
    *, user, source, tier: str, last: dt.date, protocol, site, links: dict
) -> list[ControlOrder]:
    """Write the plan's orders for one person, inside the caller's transaction."""
    plan = plan_orders(protocol=tracing_protocol(protocol), tier=tier, last_exposure=last)
    # One chain of orders in force per person, whichever way they were found.
    if ControlOrder.objects.filter(
        document_index=source.document_index, state=OrderState.ACTIVE
    ).exists():
        raise RuleViolation(
            field="decision", code="has_orders", message=_("This contact already has orders.")
        )
    site = _check_site(site, plan)
    person = getattr(source, "resident", None) or registered_person(source.document_index)
    number, previous, out = _next_number(last.year), None, []
    for planned in plan.orders:
        previous = ControlOrder.objects.create(
            number=number,
            year=last.year,
            kind=planned.kind,
            tier=tier,
            protocol=plan.protocol,
            protocol_version=plan.version,
            last_exposure=last,
            start=planned.start,
            end=planned.end,
            test_dates=[d.isoformat() for d in planned.test_dates],
            previous=previous,
            area_code=source.area_code,
            document_type=source.document_type,
            document_cipher=source.document_cipher,
            document_index=source.document_index,
            document_masked=source.document_masked,
            site=site if planned.kind == OrderKind.CENTRALISED_QUARANTINE else None,
            issued_by=user,
            **links,
        )
        schedule_order_tests(order=previous, resident=person, user=user)
        out.append(previous)
        number += 1
    return out


def schedule_transfer(
    *,
    user,
    order: ControlOrder,
    vehicle: str,
    departs_at: dt.datetime,
    arrives_at: dt.datetime | None = None,
) -> Transfer:
    """Arrange the closed-loop transfer to the order's site (or home, for a home order)."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=order.area_code,
        object_type="control_order",
        object_id=order.pk,
    )
    if order.state != OrderState.ACTIVE:
        raise RuleViolation(
            field="state", code="not_active", message=_("This order is no longer in force.")
        )
    if not vehicle.strip():
        raise RuleViolation(field="vehicle", code="required", message=_("Name the vehicle."))
    if arrives_at is not None and arrives_at < departs_at:
        raise RuleViolation(
            field="arrives_at", code="order", message=_("The transfer arrives before it leaves.")
        )
    destination = order.site.name if order.site_id else str(_("Home (closed loop)"))
    return Transfer.objects.create(
        order=order,
        vehicle=vehicle.strip()[:100],
        departs_at=departs_at,
        arrives_at=arrives_at,
        destination=destination,
    )


def isolate_household(
    *,
    user,
    resident: Resident,
    kind: str,
    start: dt.date,
    days: int,
    reason: str,
    drill: bool = False,
) -> list[ControlOrder]:
    """A local measure outside the protocol's tiers: the person and everyone living with them
    under one order each (e.g. 7 days' home isolation after a borderline result)."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=resident.area_code,
        object_type="resident",
        object_id=resident.pk,
    )
    if kind not in OrderKind.values or not 1 <= days <= 60 or not reason.strip():
        raise RuleViolation(
            field="kind", code="invalid", message=_("Give the kind, 1 to 60 days and the reason.")
        )
    people = (
        scoped_residents(user).filter(
            status=ResidentStatus.ACTIVE, household_id=resident.household_id
        )
        if resident.household_id
        else scoped_residents(user).filter(pk=resident.pk)
    )
    out = []
    with transaction.atomic():
        busy = set(
            ControlOrder.objects.filter(state=OrderState.ACTIVE).values_list(
                "document_index", flat=True
            )
        )
        number = _next_number(start.year, drill=drill)
        for person in people.order_by("id"):
            if person.document_index and person.document_index in busy:
                continue  # already under an order in force
            out.append(
                ControlOrder.objects.create(
                    number=number,
                    year=start.year,
                    drill=drill,
                    kind=kind,
                    tier="",
                    reason=reason.strip()[:200],
                    protocol="local",
                    protocol_version=0,
                    last_exposure=start,
                    start=start,
                    end=start + dt.timedelta(days=days),
                    test_dates=[],
                    area_code=person.area_code,
                    **registered_identity(person),
                    issued_by=user,
                )
            )
            number += 1
    return out
