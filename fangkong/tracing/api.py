"""Tracing API: venue-code scans in batches.

POST /api/v1/tracing/scans {"idempotency_key", "scans": [{"venue_code", "document_type",
"document_number", "scanned_at", "source_id"?}]} answers {"accepted", "duplicates",
"rejected": [{"index", "field", "code", "message"}]}. A replayed key gets its first answer and
writes nothing; the same key with a different batch is refused (409).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from .services.scans import MAX_API_BATCH, ScanIn, record_scans

router = Router(tags=["tracing"])


class ScanItemIn(Schema):
    venue_code: str = Field(..., min_length=1, max_length=512, description="code or signed QR")
    document_type: str = Field("resident_id", max_length=20)
    document_number: str = Field(..., min_length=1, max_length=64)
    scanned_at: dt.datetime = Field(..., description="entry time, ISO 8601 with an offset")
    source_id: str = Field("", max_length=64, description="the platform's id of the scan")


class ScansIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    scans: list[ScanItemIn] = Field(..., min_length=1, max_length=MAX_API_BATCH)


class Rejected(Schema):
    index: int
    field: str
    code: str
    message: str


class ScansOut(Schema):
    accepted: int
    duplicates: int
    rejected: list[Rejected]


class ErrorsOut(Schema):
    errors: list[dict]


@router.post(
    "/scans",
    response={200: ScansOut, 403: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
)
def post_scans(request: HttpRequest, body: ScansIn):
    """Store a batch of venue scans once per idempotency key."""
    items = [
        ScanIn(
            venue_code=s.venue_code,
            document_type=s.document_type,
            document_number=s.document_number,
            scanned_at=s.scanned_at,
            source_id=s.source_id,
        )
        for s in body.scans
    ]
    status, answer, _replayed = record_scans(
        actor=request.actor, idempotency_key=body.idempotency_key, items=items
    )
    return Status(status, answer)
