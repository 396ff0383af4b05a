"""Reads over stock, packages and delivery runs, limited to the requesting user's area."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from fangkong.core.areas import within_q
from fangkong.geo.models import Household

from .models import (
    Allocation,
    DeliveryRun,
    GroupOrder,
    GroupOrderLine,
    HandoverState,
    StockLot,
    StockPoint,
    SupplyItem,
    SupplyPackage,
)
from .selectors import _require, _within


@dataclass(frozen=True)
class Balance:
    point: str
    item: str
    unit: str
    usable: int
    expired: int


def stock_balances(*, user) -> list[Balance]:
    """Each point's stock by item in the user's area (and the district's warehouse above it)."""
    _require(user, "view_requests")
    today = timezone.localdate()
    usable = Q(expires_on__isnull=True) | Q(expires_on__gt=today)
    rows = (
        StockLot.objects.filter(
            _within(user.scope_code, "point__area_code") | Q(point__kind="warehouse")
        )
        .values("point__name", "item__name", "item__unit")
        .annotate(usable=Sum("quantity", filter=usable), expired=Sum("quantity", filter=~usable))
        .order_by("point__name", "item__name")
    )
    return [
        Balance(
            r["point__name"], r["item__name"], r["item__unit"], r["usable"] or 0, r["expired"] or 0
        )
        for r in rows
    ]


def stock_points(*, user) -> QuerySet[StockPoint]:
    _require(user, "view_requests")
    return StockPoint.objects.filter(_within(user.scope_code) | Q(kind="warehouse"))


def get_stock_point(*, user, pk: int) -> StockPoint | None:
    return stock_points(user=user).filter(pk=pk).first()


def item_by_code(code: str) -> SupplyItem | None:
    """An item of the catalogue (the catalogue is the district's, not an area's)."""
    return SupplyItem.objects.filter(code=code).first()


def packages(*, user) -> QuerySet[SupplyPackage]:
    """Packages of zones meeting the user's area, with their hand-over counts."""
    _require(user, "view_requests")
    scope = user.scope_code
    return (
        SupplyPackage.objects.filter(within_q(scope, "runs__area_code"))
        .distinct()
        .annotate(
            households=Count("allocations", distinct=True),
            handed=Count(
                "allocations", filter=~Q(allocations__state=HandoverState.PENDING), distinct=True
            ),
        )
    )


def runs_of(*, user, package: SupplyPackage) -> QuerySet[DeliveryRun]:
    _require(user, "view_requests")
    return (
        package.runs.filter(_within(user.scope_code))
        .annotate(
            households=Count("allocations"),
            pending=Count("allocations", filter=Q(allocations__state=HandoverState.PENDING)),
        )
        .order_by("building_code")
    )


def get_package(*, user, pk: int) -> SupplyPackage | None:
    return packages(user=user).filter(pk=pk).first()


def get_run(*, user, pk: int) -> DeliveryRun | None:
    _require(user, "view_requests")
    return (
        DeliveryRun.objects.filter(_within(user.scope_code), pk=pk)
        .select_related("package")
        .first()
    )


def run_allocations(*, user, run: DeliveryRun) -> list[Allocation]:
    if get_run(user=user, pk=run.pk) is None:
        return []
    return list(run.allocations.select_related("household__building").order_by("household__code"))


def group_orders(*, user) -> QuerySet[GroupOrder]:
    _require(user, "view_requests")
    return GroupOrder.objects.filter(_within(user.scope_code)).annotate(lines_count=Count("lines"))


def get_group_order(*, user, pk: int) -> GroupOrder | None:
    _require(user, "view_requests")
    return GroupOrder.objects.filter(_within(user.scope_code), pk=pk).first()


def group_order_lines(*, user, order: GroupOrder) -> list[GroupOrderLine]:
    _require(user, "view_requests")
    return list(order.lines.select_related("household__building").order_by("household__code", "id"))


def building_households(*, user, order: GroupOrder) -> QuerySet[Household]:
    """The households of the order's building, the only ones that may put lines in."""
    _require(user, "view_requests")
    return (
        Household.objects.filter(building__code=order.building_code)
        .filter(_within(user.scope_code))
        .select_related("building")
        .order_by("code")
    )
