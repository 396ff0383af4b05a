"""Testing API: sample registration (the hot path), tube registration and sealing.

POST /api/v1/testing/samples takes a batch of up to 500 items and answers every item as
accepted or rejected with field and reason; accepted items are committed together.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import BaseModel, Field

from .services.registration import BatchResult, SampleItem, register_samples, station_for
from .services.rounds import create_tubes
from .services.transport import seal_tube, tube_round

router = Router(tags=["testing"])


# The batch models are plain pydantic models, not ninja Schemas: a Schema wraps every field
# read in its ORM-friendly getter, which cost more than the registration's SQL (measured: two
# thirds of a 20-item batch's request time went to validating the body and the answer).
class SampleIn(BaseModel):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    tube_barcode: str = Field(..., min_length=1, max_length=32)
    taken_at: dt.datetime
    document_type: str | None = None
    # A number here is refused for its item, not the whole batch: a JSON number has already
    # lost an ID's leading zeros or last digits, and the other 499 people were scanned fine.
    document_number: str | int | float | None = None
    sampling_code: str | None = None
    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=32)
    guardian: str | None = Field(None, max_length=100)


class BatchIn(BaseModel):
    station: int
    items: list[SampleIn] = Field(..., min_length=1, max_length=500)


class ItemOut(BaseModel):
    index: int
    idempotency_key: str
    status: str
    replayed: bool
    sample_id: int | None
    tube_barcode: str
    tube_samples: int | None
    tube_sealed: bool
    flags: list[str]
    field: str | None
    code: str | None
    message: str | None


class BatchOut(BaseModel):
    round_id: int
    station_id: int
    accepted: int
    rejected: int
    replayed: int
    items: list[ItemOut]


class ErrorOut(BaseModel):
    field: str
    code: str
    message: str


class ReusedOut(BatchOut):
    """409: some keys were already used for other samples. Every item is still answered
    (the accepted ones are stored); `errors` names the reused ones, as the lab API does."""

    errors: list[ErrorOut]


_ITEM_FIELDS = tuple(ItemOut.model_fields)
_item_values = operator.attrgetter(*_ITEM_FIELDS)


def _answer(result: BatchResult) -> HttpResponse:
    """The BatchOut document, written directly: every value is already a plain str/int/bool,
    so validating it again would only repeat the work (a test checks it against BatchOut)."""
    body = {
        "round_id": result.round_id,
        "station_id": result.station_id,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "replayed": result.replayed,
        "items": [dict(zip(_ITEM_FIELDS, _item_values(o), strict=True)) for o in result.items],
    }
    # A key reused for another sample is a conflict the device must resolve (re-scan that
    # person), never a success: otherwise the second person silently goes unsampled.
    reused = [o for o in result.items if o.code == "reused"]
    if reused:
        body["errors"] = [
            {"field": f"items.{o.index}.idempotency_key", "code": o.code, "message": o.message}
            for o in reused
        ]
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json; charset=utf-8",
        status=409 if reused else 200,
    )


@router.post("/samples", response={200: BatchOut, 409: ReusedOut})
def post_samples(request: HttpRequest, batch: BatchIn):
    """Register a batch of samples at a station (sampler tablets, the sampler page)."""
    station = station_for(batch.station)
    items = [
        SampleItem(
            idempotency_key=i.idempotency_key,
            tube_barcode=i.tube_barcode,
            taken_at=i.taken_at,
            document_type=i.document_type,
            document_number=i.document_number,
            sampling_code=i.sampling_code,
            name=i.name,
            phone=i.phone,
            guardian=i.guardian,
        )
        for i in batch.items
    ]
    return _answer(register_samples(station=station, items=items, actor=request.actor))


class SealOut(Schema):
    barcode: str
    state: str
    sample_count: int


@router.post("/tubes/{barcode}/seal", response=SealOut)
def post_seal(request: HttpRequest, barcode: str):
    """Seal a tube before it is full."""
    return seal_tube(barcode=barcode, actor=request.actor)


class TubesIn(Schema):
    # A device asks for a sheet or a box of tubes; more at once are made from the CLI.
    count: int = Field(..., ge=1, le=1000)
    capacity: int | None = Field(None, ge=1, le=20)
    kind: Literal["people", "environment"] = "people"
    swab_points: int = Field(0, ge=0, le=100)


class TubesOut(Schema):
    round_id: int
    capacity: int
    barcodes: list[str]


@router.post("/rounds/{round_id}/tubes", response={201: TubesOut})
def post_tubes(request: HttpRequest, round_id: int, body: TubesIn):
    """Register new tubes for a round (a label printer, a station's tablet). A tube larger
    than the round's pool rule is refused (409, code `pool_rule`)."""
    round_ = tube_round(round_id=round_id, actor=request.actor)  # authorises the device
    tubes = create_tubes(
        round=round_,
        count=body.count,
        capacity=body.capacity,
        kind=body.kind,
        swab_points=body.swab_points,
        user=None,
    )
    capacity = tubes[0].capacity if tubes else round_.pool_size
    return Status(
        201,
        {
            "round_id": round_.pk,
            "capacity": capacity,
            "barcodes": [t.barcode for t in tubes],
        },
    )
