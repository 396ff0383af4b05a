"""Fixed packages for every household of a zone, delivery runs per building with a hand-over
proof per household, and building group orders that go to the supplier as one order.

Allocation is set-based (one INSERT … SELECT over the zone's residents grouped by
household), so a 20,000-household zone is a handful of statements.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.geo.models import Household
from fangkong.people.models import Resident, ResidentStatus
from fangkong.zones.selectors import residents_q

from ..models import (
    Allocation,
    DeliveryRun,
    GroupOrder,
    GroupOrderLine,
    HandoverState,
    ProofKind,
    SupplyPackage,
)
from .common import actor_name, bad, now_or

MAX_DAYS = 14
BATCH = 2000


def kg_per_person_day() -> Decimal:
    return Decimal(str(settings.SUPPLY_KG_PER_PERSON_DAY))


def allocate_package(
    *, user, zone, name: str, days: int, now: dt.datetime | None = None
) -> SupplyPackage:
    """A package for every household with people living in the zone, sized from the planning
    figure per person per day; one delivery run per building."""
    require_permission(
        actor=user, action="handle_requests", area_code=zone.area_code, object_type="risk_zone"
    )
    if not zone.is_active:
        raise bad("zone", "ended", _("This zone has already ended."))
    if not 1 <= days <= MAX_DAYS:
        raise bad("days", "range", _("A package covers 1 to 14 days."))
    if not (name or "").strip():
        raise bad("name", "required", _("Name the package."))
    rate = kg_per_person_day()
    people = Resident.objects.filter(
        residents_q(zone.members.all()), status=ResidentStatus.ACTIVE, household__isnull=False
    ).order_by()
    homes = people.values("household_id", "household__building__code").annotate(n=Count("id"))
    buildings = dict(
        people.values_list("household__building__code", "household__area_code").distinct()
    )
    if not buildings:
        raise bad("zone", "empty", _("Nobody lives in this zone: there is nothing to allocate."))
    with transaction.atomic():
        package = SupplyPackage.objects.create(
            name=name.strip()[:100],
            zone_id=zone.pk,
            area_code=zone.area_code,
            days=days,
            kg_per_person_day=rate,
            created_by=actor_name(user),
        )
        DeliveryRun.objects.bulk_create(
            DeliveryRun(package=package, building_code=code, area_code=area)
            for code, area in sorted(buildings.items())
        )
        _insert_allocations(package, homes, share=rate * days)
    return package


def _insert_allocations(package: SupplyPackage, homes: QuerySet, *, share: Decimal) -> None:
    """One statement: every household of `homes` (its id, building and head count) gets
    `share` kg per person on its building's run. Twenty thousand households built as model
    instances cost seconds of Python; the database joins and writes them in a fraction."""
    select, params = homes.query.sql_with_params()
    qn = connection.ops.quote_name
    table, runs = qn(Allocation._meta.db_table), qn(DeliveryRun._meta.db_table)
    sql = (
        f"INSERT INTO {table} (package_id, run_id, household_id, persons, kg, received_kg,"  # noqa: S608 - names from the models
        " state, proof_kind, proof_ref, handed_by, note)"
        " SELECT run.package_id, run.id, homes.household_id, homes.n, ROUND(homes.n * %s, 2),"
        " 0, %s, '', '', '', ''"
        f" FROM ({select}) AS homes JOIN {runs} AS run"
        f" ON run.package_id = %s AND run.building_code = homes.{qn('household__building__code')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [share, HandoverState.PENDING.value, *params, package.pk])


def hand_over(
    *,
    user,
    run: DeliveryRun,
    household_code: str,
    proof_kind: str,
    proof_ref: str = "",
    received_kg: Decimal | None = None,
    returned: bool = False,
    note: str = "",
    now: dt.datetime | None = None,
) -> Allocation:
    """Record a household's hand-over with its proof: delivered, partly received or returned."""
    require_permission(
        actor=user, action="handle_requests", area_code=run.area_code, object_type="delivery_run"
    )
    code = (household_code or "").strip()
    if proof_kind not in ProofKind.values:
        raise bad(
            "proof_kind", "choice", _("The proof is the household's code, a photo or a signature.")
        )
    proof_ref = (proof_ref or "").strip()
    if proof_kind == ProofKind.CODE:
        proof_ref = code  # the scanned code is the proof
    elif not proof_ref:
        raise bad("proof_ref", "required", _("Attach the photo or the signature."))
    now = now_or(now)
    allocation = Allocation.objects.filter(run=run, household__code=code).first()
    if allocation is None:
        raise bad("household_code", "outside_run", _("This household is not on this delivery run."))
    if allocation.state != HandoverState.PENDING:
        raise _handed_over()
    if returned:
        state, received = HandoverState.RETURNED, Decimal(0)
    else:
        received = allocation.kg if received_kg is None else Decimal(received_kg)
        if received < 0 or received > allocation.kg:
            raise bad(
                "received_kg", "range", _("Received is between nothing and the whole package.")
            )
        state = HandoverState.DELIVERED if received == allocation.kg else HandoverState.PARTIAL
    changes = {
        "state": state,
        "received_kg": received,
        "proof_kind": proof_kind,
        "proof_ref": proof_ref[:200],
        "handed_at": now,
        "handed_by": actor_name(user),
        "note": (note or "").strip()[:200],
    }
    # One statement, and only while the package is still pending: of two scans at one door
    # the second waits for the first's row lock, then finds it handed over. No transaction
    # of its own, so a caller's (the API stores the answer in it) needs no savepoint.
    if not Allocation.objects.filter(pk=allocation.pk, state=HandoverState.PENDING).update(
        **changes
    ):
        raise _handed_over()
    for field, value in changes.items():
        setattr(allocation, field, value)
    return allocation


def _handed_over():
    return bad(
        "household_code", "handed_over", _("This household's package is already handed over.")
    )


def open_group_order(
    *,
    user,
    building_code: str,
    supplier: str,
    cut_off_at: dt.datetime,
    now: dt.datetime | None = None,
) -> GroupOrder:
    households = Household.objects.filter(building__code=building_code)
    first = households.first()
    if first is None:
        raise bad("building_code", "unknown", _("No building has this code."))
    require_permission(actor=user, action="raise_requests", area_code=first.area_code)
    if not (supplier or "").strip():
        raise bad("supplier", "required", _("Name the supplier."))
    if cut_off_at <= now_or(now):
        raise bad("cut_off_at", "past", _("The cut-off must be in the future."))
    return GroupOrder.objects.create(
        building_code=building_code,
        area_code=first.area_code,
        supplier=supplier.strip()[:100],
        cut_off_at=cut_off_at,
    )


def add_to_group_order(
    *,
    user,
    order: GroupOrder,
    household: Household,
    item: str,
    quantity: int,
    now: dt.datetime | None = None,
) -> GroupOrderLine:
    """A household's line, entered by the resident or by the grid worker for one without a
    smartphone; refused after the cut-off."""
    require_permission(actor=user, action="raise_requests", area_code=order.area_code)
    if now_or(now) >= order.cut_off_at or order.sent_at is not None:
        raise bad("order", "closed", _("This group order is closed: its cut-off has passed."))
    if household.building.code != order.building_code:
        raise bad("household", "other_building", _("This household is in another building."))
    if not (item or "").strip():
        raise bad("item", "required", _("Name the item."))
    if not 1 <= quantity <= 1000:
        raise bad("quantity", "range", _("The quantity is 1 to 1000."))
    return GroupOrderLine.objects.create(
        order=order,
        household=household,
        item=item.strip()[:100],
        quantity=quantity,
        entered_by=actor_name(user),
    )


def send_group_order(*, user, order: GroupOrder, now: dt.datetime | None = None) -> GroupOrder:
    """After the cut-off, the lines go to the supplier as one order, summed by item."""
    require_permission(actor=user, action="handle_requests", area_code=order.area_code)
    now = now_or(now)
    with transaction.atomic():
        order = GroupOrder.objects.select_for_update().get(pk=order.pk)
        if order.sent_at is not None:
            raise bad("order", "sent", _("This group order has already been sent."))
        if now < order.cut_off_at:
            raise bad("order", "collecting", _("The order is still collecting until its cut-off."))
        totals: Counter[str] = Counter()
        for item, quantity in order.lines.values_list("item", "quantity"):
            totals[item] += quantity
        order.summary = [{"item": i, "quantity": q} for i, q in sorted(totals.items())]
        order.sent_at = now
        order.save(update_fields=["summary", "sent_at", "updated_at"])
    return order
