"""Stock API, on the services router: stock in (purchase, donation with its donor) and out at
a stock point of the caller's area. Asking for more than is there is refused (422, field
`quantity`, rule `negative_stock`) and nothing moves."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from fangkong.core.http import RecordId

from . import supply_selectors
from .api_common import REFUSALS, idempotent, not_found, router
from .models import StockPoint, SupplyItem
from .services.stock import available, issue_stock, receive_stock


class IssueIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    item_code: str = Field(..., min_length=1, max_length=32)
    quantity: int = Field(..., ge=1, le=1_000_000)
    reason: str = Field("", max_length=200)


class ReceiveIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    item_code: str = Field(..., min_length=1, max_length=32)
    quantity: int = Field(..., ge=1, le=1_000_000)
    kind: str = Field(..., max_length=16, description="purchase, donation or return")
    donor: str = Field("", max_length=100)
    expires_on: dt.date | None = None


class StockOut(Schema):
    point: str
    item: str
    moved: int
    available: int


def _point_and_item(request: HttpRequest, point_id: int, code: str) -> tuple:
    point = supply_selectors.get_stock_point(user=request.actor, pk=point_id)
    if point is None:
        raise not_found("point", _("No such stock point."))
    item = supply_selectors.item_by_code(code)
    if item is None:
        raise not_found("item_code", _("No item has this code."))
    return point, item


def _answer(point: StockPoint, item: SupplyItem, moved: int) -> dict:
    return {
        "point": point.code,
        "item": item.code,
        "moved": moved,
        "available": available(point=point, item=item),
    }


@router.post("/stock-points/{point_id}/issue", response={201: StockOut, 200: StockOut, **REFUSALS})
def post_issue(request: HttpRequest, point_id: RecordId, body: IssueIn):
    """Stock out, earliest expiry first, for a stated reason."""
    point, item = _point_and_item(request, point_id, body.item_code)

    def write() -> tuple[int, dict]:
        moves = issue_stock(
            user=request.actor, point=point, item=item, quantity=body.quantity, reason=body.reason
        )
        return 201, _answer(point, item, -sum(m.quantity for m in moves))

    return idempotent(
        request,
        key=body.idempotency_key,
        scope=f"services.stock:{point.pk}",
        payload=body.model_dump(mode="json"),
        write=write,
    )


@router.post(
    "/stock-points/{point_id}/receive", response={201: StockOut, 200: StockOut, **REFUSALS}
)
def post_receive(request: HttpRequest, point_id: RecordId, body: ReceiveIn):
    """Stock in: a purchase, a donation (with its donor) or a return."""
    point, item = _point_and_item(request, point_id, body.item_code)

    def write() -> tuple[int, dict]:
        move = receive_stock(
            user=request.actor,
            point=point,
            item=item,
            quantity=body.quantity,
            kind=body.kind,
            donor=body.donor,
            expires_on=body.expires_on,
        )
        return 201, _answer(point, item, move.quantity)

    return idempotent(
        request,
        key=body.idempotency_key,
        scope=f"services.stock:{point.pk}",
        payload=body.model_dump(mode="json"),
        write=write,
    )
