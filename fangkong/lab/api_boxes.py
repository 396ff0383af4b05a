"""Boxes and tubes API, mounted at /api/v1/lab: pack, hand to a courier, receive at the lab,
read the chain of custody; a tube's state, sample count and result, never who is in it.

Every write takes an `Idempotency-Key` header: a retry with the same key and body gets the
first answer (header `Idempotent-Replayed: true`) and writes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from fangkong.core.errors import RuleViolation
from fangkong.testing.models import TestingRound, Tube
from fangkong.testing.services.rounds import valid_barcode

from .api_common import IDEMPOTENCY_HEADER, idempotent, json_body, router
from .models import TransportBox
from .selectors import authorise_read, box_by_code, box_tubes, tube_results
from .services.boxes import hand_box_to_courier, pack_box, receive_box
from .services.results import lab_for


class PackIn(Schema):
    code: str = Field(..., min_length=1, max_length=32)
    round: int
    barcodes: list[str] = Field(..., min_length=1, max_length=500)
    by: str = Field(..., min_length=1, max_length=64)


class HandoverIn(Schema):
    courier: str = Field(..., min_length=1, max_length=64)


class ReceiveIn(Schema):
    by: str | None = Field(None, max_length=64)


class CustodyOut(Schema):
    kind: str
    at: dt.datetime
    by: str


class BoxTubeOut(Schema):
    barcode: str
    state: str
    sample_count: int
    result: str


class BoxOut(Schema):
    code: str
    round_id: int
    state: str
    lab: str | None
    packed_at: dt.datetime | None
    handed_at: dt.datetime | None
    courier: str
    received_at: dt.datetime | None
    received_by: str
    tubes: list[BoxTubeOut]
    custody: list[CustodyOut]


def box_answer(box: TransportBox) -> dict:
    box = TransportBox.objects.select_related("lab").prefetch_related("custody").get(pk=box.pk)
    tubes = box_tubes(box=box)
    return BoxOut(
        code=box.code,
        round_id=box.round_id,
        state=box.state,
        lab=box.lab.name if box.lab else None,
        packed_at=box.packed_at,
        handed_at=box.handed_at,
        courier=box.courier,
        received_at=box.received_at,
        received_by=box.received_by,
        tubes=[
            BoxTubeOut(
                barcode=t.barcode, state=t.state, sample_count=t.sample_count, result=t.result
            )
            for t in tubes
        ],
        custody=[CustodyOut(kind=e.kind, at=e.at, by=e.by) for e in box.custody.all()],
    ).model_dump(mode="json")


@router.post("/boxes", response={201: BoxOut}, operation_id="fangkong_testing_api_lab_post_box")
def post_box(request: HttpRequest, body: PackIn, idempotency_key: str = IDEMPOTENCY_HEADER):
    """Pack sealed tubes into a new transport box (all or nothing)."""
    round_ = TestingRound.objects.filter(pk=body.round).first()
    if round_ is None:
        raise RuleViolation(
            field="round", code="unknown", message=_("No round has this number."), status_code=404
        )

    def write():
        box = pack_box(
            code=body.code.strip(),
            round=round_,
            barcodes=body.barcodes,
            actor=request.actor,
            by=body.by.strip(),
        )
        return 201, box_answer(box)

    return idempotent(
        request, key=idempotency_key, scope="lab.boxes.pack", payload=body.dict(), write=write
    )


@router.post(
    "/boxes/{code}/handover", response=BoxOut, operation_id="fangkong_testing_api_lab_post_handover"
)
def post_handover(
    request: HttpRequest, code: str, body: HandoverIn, idempotency_key: str = IDEMPOTENCY_HEADER
):
    """Hand a packed box to the courier who carries it to the lab."""
    box = box_by_code(code=code)

    def write():
        hand_box_to_courier(box=box, courier=body.courier, actor=request.actor)
        return 200, box_answer(box)

    return idempotent(
        request,
        key=idempotency_key,
        scope="lab.boxes.handover",
        payload={"code": code, **body.dict()},
        write=write,
    )


@router.post(
    "/boxes/{code}/receive",
    response=BoxOut,
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": ReceiveIn.model_json_schema()}},
            "description": "Optional: who received it (default: the device's or user's name).",
        }
    },
    operation_id="fangkong_testing_api_lab_post_receive",
)
def post_receive(request: HttpRequest, code: str, idempotency_key: str = IDEMPOTENCY_HEADER):
    """The lab receives a box in transit: its tubes may now get results from this lab only."""
    box = box_by_code(code=code)
    lab = lab_for(request.actor)
    body = json_body(request, ReceiveIn) if request.body.strip() else ReceiveIn()
    by = (body.by or "").strip() or str(getattr(request.actor, "name", "") or request.actor)

    def write():
        receive_box(box=box, lab=lab, actor=request.actor, by=by[:64])
        return 200, box_answer(box)

    return idempotent(
        request,
        key=idempotency_key,
        scope="lab.boxes.receive",
        payload={"code": code, "by": by},
        write=write,
    )


@router.get("/boxes/{code}", response=BoxOut, operation_id="fangkong_testing_api_lab_get_box")
def get_box(request: HttpRequest, code: str):
    """A box, its tubes and its chain of custody (who had it, when)."""
    box = box_by_code(code=code)
    authorise_read(actor=request.actor, round=box.round, object_type="box", object_id=code)
    return box_answer(box)


# ---------------------------------------------------------------------------------------------
# Tubes


class LabResultOut(Schema):
    result: str
    ct_orf1ab: float | None
    ct_n: float | None
    status: str
    reported_at: dt.datetime
    lab: str
    source: str


class TubeOut(Schema):
    barcode: str
    round_id: int
    round_name: str
    kind: str
    state: str
    capacity: int
    sample_count: int
    swab_points: int
    sealed_at: dt.datetime | None
    box: str | None
    result: str
    resulted_at: dt.datetime | None
    results: list[LabResultOut]


@router.get("/tubes/{barcode}", response=TubeOut, operation_id="fangkong_testing_api_lab_get_tube")
def get_tube(request: HttpRequest, barcode: str):
    """A tube's state, how many samples it holds and its result; never who is in it."""
    if not valid_barcode(barcode):
        raise RuleViolation(
            field="barcode",
            code="check_digit",
            message=_("This is not a valid tube barcode: it was probably mistyped."),
        )
    tube = Tube.objects.select_related("round", "box").filter(barcode=barcode).first()
    if tube is None:
        raise RuleViolation(
            field="barcode", code="unknown", message=_("No tube has this barcode."), status_code=404
        )
    authorise_read(actor=request.actor, round=tube.round, object_type="tube", object_id=barcode)
    results = tube_results(tube=tube)
    return TubeOut(
        barcode=tube.barcode,
        round_id=tube.round_id,
        round_name=tube.round.name,
        kind=tube.kind,
        state=tube.state,
        capacity=tube.capacity,
        sample_count=tube.sample_count,
        swab_points=tube.swab_points,
        sealed_at=tube.sealed_at,
        box=tube.box.code if tube.box else None,
        result=tube.result,
        resulted_at=tube.resulted_at,
        results=[
            LabResultOut(
                result=r.result,
                ct_orf1ab=r.ct_orf1ab,
                ct_n=r.ct_n,
                status=r.status,
                reported_at=r.reported_at,
                lab=r.lab.name,
                source=r.source,
            )
            for r in results
        ],
    )
