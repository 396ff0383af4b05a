"""Control orders from the protocol: which orders a tier gets, their dates and test dates.

Counted from the last exposure (9th edition): an order of N days ends N days after it starts
(last exposure 13 June, 7 days → ends 20 June); test day k falls k days after the order's start;
a following order starts where the previous one ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation

from ..protocol import TracingProtocol


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
