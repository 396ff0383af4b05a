"""Services API: requests raised by devices (hotline desks, grid workers' phones).

POST /api/v1/services/requests {"idempotency_key", "kind", "channel", "household_code" |
"resident_id", "priority", "lines": [{"item", "quantity", "unit"}], ...} answers the request;
a replayed key gets its first answer and writes nothing, the same key with another body is
refused (409). GET /api/v1/services/requests lists the queue of the caller's area.
POST /api/v1/services/requests/{id}/progress sets the lines' figures. Medical trips
(`api_trips`), volunteers and shifts (`api_volunteers`) and stock (`api_stock`) add their
operations to the same router.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema, Status
from ninja.pagination import paginate

from fangkong.core.errors import RuleViolation
from fangkong.core.http import BoundedPages, RecordId
from fangkong.core.services import run_idempotent
from fangkong.geo.models import Household
from fangkong.geo.selectors import get_node
from fangkong.people.selectors import get_resident

from . import api_stock, api_trips, api_volunteers, selectors
from .api_common import ErrorsOut, router
from .models import ServiceRequest
from .services.deliveries import hand_over
from .services.requests import LineIn, ProgressIn, raise_request, record_progress
from .supply_selectors import get_run

__all__ = ["api_stock", "api_trips", "api_volunteers", "router"]


class LineSchema(Schema):
    item: str = Field(..., min_length=1, max_length=100)
    quantity: int = Field(..., ge=1, le=10_000)
    unit: str = Field("", max_length=16)


class RequestIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    kind: str = Field(..., max_length=24)
    channel: str = Field("grid_worker", max_length=16)
    household_code: str = Field("", max_length=64)
    resident_id: int | None = Field(None, ge=1, le=2**63 - 1)
    priority: int = Field(2, ge=1, le=4)
    lines: list[LineSchema] = Field([], max_length=30)
    description: str = Field("", max_length=1000)
    needed_by: dt.datetime | None = None


class LineOut(Schema):
    id: int
    item: str
    unit: str
    quantity: int
    committed: int
    in_transit: int
    delivered: int


class RequestOut(Schema):
    id: int
    number: str
    kind: str
    priority: int
    state: str
    area_code: str
    subject: str
    commit_status: str
    transit_status: str
    fulfil_status: str
    acknowledge_due_at: dt.datetime
    fulfil_due_at: dt.datetime
    due_at: dt.datetime | None


class RequestDetailOut(RequestOut):
    lines: list[LineOut]


class ProgressLine(Schema):
    line_id: int = Field(..., ge=1, le=2**63 - 1)
    committed: int = Field(..., ge=0, le=10_000)
    in_transit: int = Field(0, ge=0, le=10_000)
    delivered: int = Field(0, ge=0, le=10_000)


class ProgressBody(Schema):
    lines: list[ProgressLine] = Field(..., min_length=1, max_length=30)


def _detail(request: ServiceRequest) -> dict:
    data = RequestOut.from_orm(request).model_dump(mode="json")
    data["lines"] = [LineOut.from_orm(li).model_dump(mode="json") for li in request.lines.all()]
    return data


def _whom(actor, body: RequestIn):
    resident = household = None
    if body.resident_id:
        resident = get_resident(user=actor, pk=body.resident_id)
        if resident is None:
            raise RuleViolation(field="resident_id", code="unknown", message=_("No such resident."))
    if body.household_code:
        household = get_node(body.household_code)
        if not isinstance(household, Household):
            raise RuleViolation(
                field="household_code", code="unknown", message=_("No household has this code.")
            )
    return household, resident


@router.post(
    "/requests",
    response={
        201: RequestDetailOut,
        200: RequestDetailOut,
        403: ErrorsOut,
        409: ErrorsOut,
        422: ErrorsOut,
    },
)
def post_request(request: HttpRequest, body: RequestIn):
    """Raise a request once per idempotency key."""
    actor = request.actor
    payload = body.model_dump(mode="json")

    def write() -> tuple[int, dict]:
        household, resident = _whom(actor, body)
        created = raise_request(
            user=actor,
            kind=body.kind,
            channel=body.channel,
            household=household,
            resident=resident,
            priority=body.priority,
            lines=[LineIn(li.item, li.quantity, li.unit) for li in body.lines],
            description=body.description,
            needed_by=body.needed_by,
        )
        return 201, _detail(created)

    status, answer, _replayed = run_idempotent(
        key=body.idempotency_key, scope="services.requests", payload=payload, write=write
    )
    return Status(status, answer)


@router.get("/requests", response=list[RequestOut])
@paginate(BoundedPages)
def get_requests(
    request: HttpRequest,
    kind: str | None = None,
    area_code: str | None = None,
    overdue: bool = False,
):
    """The caller's queue of open requests: critical first, care before supplies."""
    return selectors.list_requests(
        user=request.actor,
        filters=selectors.RequestFilter(
            kind=(kind or "")[:24] or None,
            area_code=(area_code or "")[:64] or None,
            open_only=True,
            overdue=overdue,
        ),
    )


@router.post(
    "/requests/{request_id}/progress",
    response={200: RequestDetailOut, 403: ErrorsOut, 404: ErrorsOut, 422: ErrorsOut},
)
def post_progress(request: HttpRequest, request_id: RecordId, body: ProgressBody):
    """Set committed, in-transit and delivered figures of the request's lines."""
    found = selectors.get_request(user=request.actor, pk=request_id)
    if found is None:
        raise RuleViolation(
            field="request", code="unknown", message=_("No such request."), status_code=404
        )
    updated = record_progress(
        user=request.actor,
        request=found,
        progress=[
            ProgressIn(p.line_id, p.committed, p.in_transit, p.delivered) for p in body.lines
        ],
    )
    return _detail(updated)


class HandoverIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    household_code: str = Field(..., min_length=1, max_length=64)
    proof_kind: str = Field("code", max_length=16)
    proof_ref: str = Field("", max_length=200)
    received_kg: Decimal | None = Field(None, ge=0, le=99999)
    returned: bool = False


class HandoverOut(Schema):
    household_code: str
    state: str
    kg: str
    received_kg: str


@router.post(
    "/runs/{run_id}/handover",
    response={200: HandoverOut, 403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
)
def post_handover(request: HttpRequest, run_id: RecordId, body: HandoverIn):
    """A courier's scan at a household's door: one hand-over per idempotency key."""
    run = get_run(user=request.actor, pk=run_id)
    if run is None:
        raise RuleViolation(
            field="run", code="unknown", message=_("No such delivery run."), status_code=404
        )

    def write() -> tuple[int, dict]:
        done = hand_over(
            user=request.actor,
            run=run,
            household_code=body.household_code,
            proof_kind=body.proof_kind,
            proof_ref=body.proof_ref,
            received_kg=body.received_kg,
            returned=body.returned,
        )
        return 200, {
            "household_code": body.household_code,
            "state": done.state,
            "kg": str(done.kg),
            "received_kg": str(done.received_kg),
        }

    status, answer, _replayed = run_idempotent(
        key=body.idempotency_key,
        scope=f"services.handover:{run.pk}",
        payload=body.model_dump(mode="json"),
        write=write,
        # A resent scan finds its household handed over, and then its first answer: the
        # first scan at each door (nearly all of them) does not look the key up first.
        read_first=False,
    )
    return Status(status, answer)
