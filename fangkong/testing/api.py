"""Testing API: sample registration (the hot path) and tube sealing.

POST /api/v1/testing/samples takes a batch of up to 500 items and answers every item as
accepted or rejected with field and reason; accepted items are committed together.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from fangkong.core.errors import RuleViolation

from .models import Station
from .services.registration import SampleItem, register_samples
from .services.transport import seal_tube

router = Router(tags=["testing"])


class SampleIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    tube_barcode: str = Field(..., min_length=1, max_length=32)
    taken_at: dt.datetime
    document_type: str | None = None
    document_number: str | None = None
    sampling_code: str | None = None
    name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=32)
    guardian: str | None = Field(None, max_length=100)


class BatchIn(Schema):
    station: int
    items: list[SampleIn] = Field(..., min_length=1, max_length=500)


class ItemOut(Schema):
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


class BatchOut(Schema):
    round_id: int
    station_id: int
    accepted: int
    rejected: int
    replayed: int
    items: list[ItemOut]


def station_for(station_id: int) -> Station:
    station = Station.objects.select_related("round").filter(pk=station_id).first()
    if station is None:
        raise RuleViolation(
            field="station",
            code="unknown",
            message=_("No station has this number."),
            status_code=404,
        )
    return station


@router.post("/samples", response=BatchOut)
def post_samples(request: HttpRequest, batch: BatchIn):
    """Register a batch of samples at a station (sampler tablets, the sampler page)."""
    station = station_for(batch.station)
    items = [SampleItem(**item.dict()) for item in batch.items]
    return register_samples(station=station, items=items, actor=request.actor)


class SealOut(Schema):
    barcode: str
    state: str
    sample_count: int


@router.post("/tubes/{barcode}/seal", response=SealOut)
def post_seal(request: HttpRequest, barcode: str):
    """Seal a tube before it is full."""
    return seal_tube(barcode=barcode, actor=request.actor)
