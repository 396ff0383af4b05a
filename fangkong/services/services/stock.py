"""Stock: items and points, movements in (purchase, donation with its donor) and out.

Out goes first-expiry-first from lots not yet expired; asking for more than is there is
refused with what is left, and nothing moves. The lots' check constraint keeps stock from
going negative even if two issues race: the second waits for the first's row locks.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.geo.selectors import area_exists

from ..models import (
    MovementKind,
    StockLot,
    StockMovement,
    StockPoint,
    StockPointKind,
    SupplyItem,
)
from .common import actor_name, bad, now_or

MAX_MOVE = 1_000_000


def create_item(*, code: str, name: str, unit: str) -> SupplyItem:
    if not name.strip() or not unit.strip():
        raise bad("name", "required", _("An item needs a name and a unit."))
    return SupplyItem.objects.create(code=code, name=name.strip(), unit=unit.strip())


def create_stock_point(*, user, code: str, name: str, kind: str, area_code: str) -> StockPoint:
    require_permission(actor=user, action="handle_requests", area_code=area_code)
    if kind not in StockPointKind.values:
        raise bad("kind", "choice", _("A stock point is a warehouse or a community station."))
    if not area_exists(area_code):
        raise bad("area_code", "unknown", _("No area has this code."))
    return StockPoint.objects.create(code=code, name=name.strip(), kind=kind, area_code=area_code)


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_MOVE:
        raise bad("quantity", "range", _("The quantity is 1 to 1000000."))


def receive_stock(
    *,
    user,
    point: StockPoint,
    item: SupplyItem,
    quantity: int,
    kind: str,
    donor: str = "",
    expires_on: dt.date | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> StockMovement:
    """Stock in: a purchase, or a donation with its donor (the union's 649 boxes)."""
    require_permission(actor=user, action="handle_requests", area_code=point.area_code)
    _check_quantity(quantity)
    if kind not in (MovementKind.PURCHASE, MovementKind.DONATION, MovementKind.RETURN):
        raise bad("kind", "choice", _("Stock comes in as a purchase, a donation or a return."))
    donor = (donor or "").strip()
    if kind == MovementKind.DONATION and not donor:
        raise bad("donor", "required", _("A donation names its donor."))
    now = now_or(now)
    if expires_on is not None and expires_on <= timezone.localtime(now).date():
        raise bad("expires_on", "expired", _("This lot has already expired."))
    with transaction.atomic():
        lot, _created = StockLot.objects.select_for_update().get_or_create(
            point=point, item=item, expires_on=expires_on
        )
        lot.quantity += quantity
        lot.save(update_fields=["quantity"])
        return StockMovement.objects.create(
            point=point,
            item=item,
            kind=kind,
            quantity=quantity,
            expires_on=expires_on,
            donor=donor[:100],
            note=note.strip()[:200],
            at=now,
            by=actor_name(user),
        )


def _usable(point: StockPoint, item: SupplyItem, today: dt.date):
    return StockLot.objects.filter(point=point, item=item, quantity__gt=0).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=today)
    )


def available(*, point: StockPoint, item: SupplyItem, today: dt.date | None = None) -> int:
    """What can still be issued: lots with stock that have not expired."""
    today = today or timezone.localdate()
    return _usable(point, item, today).aggregate(n=Sum("quantity"))["n"] or 0


def issue_stock(
    *,
    user,
    point: StockPoint,
    item: SupplyItem,
    quantity: int,
    reason: str,
    now: dt.datetime | None = None,
) -> list[StockMovement]:
    """Stock out for a stated reason, earliest expiry first; more than is there is refused
    and nothing moves."""
    require_permission(actor=user, action="handle_requests", area_code=point.area_code)
    _check_quantity(quantity)
    reason = (reason or "").strip()
    if not reason:
        # The ledger must say where every box went: a donor or an audit asks.
        raise bad("reason", "required", _("Say why the stock goes out."))
    now = now_or(now)
    today = timezone.localtime(now).date()
    with transaction.atomic():
        lots = list(_usable(point, item, today).select_for_update().order_by("id"))
        # Lots without an expiry date keep longest: use them last, whatever the database's
        # NULL ordering.
        lots.sort(key=lambda lot: (lot.expires_on is None, lot.expires_on or today, lot.pk))
        have = sum(lot.quantity for lot in lots)
        if have < quantity:
            raise bad(
                "quantity",
                "negative_stock",
                _("Only %(have)s %(unit)s of %(item)s left here: stock cannot go below zero.")
                % {"have": have, "unit": item.unit, "item": item.name},
            )
        moves, left = [], quantity
        for lot in lots:
            if left == 0:
                break
            take = min(left, lot.quantity)
            lot.quantity -= take
            lot.save(update_fields=["quantity"])
            left -= take
            moves.append(
                StockMovement(
                    point=point,
                    item=item,
                    kind=MovementKind.ISSUE,
                    quantity=-take,
                    expires_on=lot.expires_on,
                    note=reason[:200],
                    at=now,
                    by=actor_name(user),
                )
            )
        return StockMovement.objects.bulk_create(moves)
