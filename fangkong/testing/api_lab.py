"""Transport and lab API, mounted at /api/v1/lab.

Results: POST /results (a JSON list), /results/upload (a CSV or Excel file), /results/fhir
(an HL7 FHIR R4 Bundle). Every row is answered — accepted, unchanged, held for review or
rejected with the field and the reason — and readable rows are recorded even when others are
not. Boxes: pack, hand to a courier, receive at the lab, read the chain of custody. Tubes: state,
sample count and result, never who is in them.

Every write takes an `Idempotency-Key` header: a retry with the same key and body gets the
first answer (header `Idempotent-Replayed: true`) and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Header, Router, Schema
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticValidationError

from fangkong.accounts.models import DeviceToken
from fangkong.accounts.permissions import can
from fangkong.core.errors import RuleViolation
from fangkong.core.services import run_idempotent

from . import ingest
from .models import LabResult, TestingRound, TransportBox, Tube
from .services.results import lab_for
from .services.rounds import valid_barcode
from .services.transport import authorise_round, hand_box_to_courier, pack_box, receive_box

router = Router(tags=["lab"])

IDEMPOTENCY_HEADER = Header(
    ...,
    alias="Idempotency-Key",
    description="1–128 characters, new for every new request; a retry reuses it.",
)


def actor_tag(actor) -> str:
    """Idempotency keys are per caller: two devices may both count from 1."""
    return f"d{actor.pk}" if isinstance(actor, DeviceToken) else f"u{actor.pk}"


def idempotent(
    request: HttpRequest, *, key: str, scope: str, payload: Any, write: Callable[[], tuple]
) -> JsonResponse:
    status, body, replayed = run_idempotent(
        key=key, scope=f"{scope}:{actor_tag(request.actor)}", payload=payload, write=write
    )
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# ---------------------------------------------------------------------------------------------
# Results


class ResultRowIn(Schema):
    """One tube's result. Types are checked row by row, so one bad row never hides the others."""

    tube_barcode: Any = Field(..., description="12 digits, as printed under the tube's barcode")
    result: Any = Field(
        ..., description="negative | positive | presumptive_positive | invalid (or 阴性 …)"
    )
    ct_orf1ab: Any = Field(None, description="Ct of the ORF1ab target; empty if not amplified")
    ct_n: Any = Field(None, description="Ct of the N gene target; empty if not amplified")
    reported_at: Any = Field(None, description="ISO 8601; without an offset, Asia/Shanghai")


class RowOut(Schema):
    row: int
    tube_barcode: str
    status: str
    retest_orders: int
    field: str | None
    code: str | None
    message: str | None


class ReportOut(Schema):
    source: str
    unit: str = Field(..., description="row (sheet row, from 1) | item | entry (from 0)")
    accepted: int
    unchanged: int
    held: int
    rejected: int
    ignored: int = Field(..., description="FHIR entries with no row of their own")
    rows: list[RowOut]


def _submit(request: HttpRequest, key: str, payload: Any, parse: Callable[[], ingest.Parsed]):
    lab = lab_for(request.actor)
    parsed = parse()
    # Refusals are decided, and audited, before the idempotent transaction opens.
    ingest.authorise_submission(lab=lab, parsed=parsed, actor=request.actor)

    def write():
        report = ingest.submit_results(lab=lab, parsed=parsed, actor=request.actor)
        return 200, report.as_dict()

    return idempotent(request, key=key, scope=f"lab.results.{lab.pk}", payload=payload, write=write)


@router.post("/results", response=ReportOut)
def post_results(
    request: HttpRequest,
    results: list[ResultRowIn],
    idempotency_key: str = IDEMPOTENCY_HEADER,
):
    """Post results as a JSON list; items are numbered from 0 in the answer."""
    items = [r.model_dump() for r in results]
    return _submit(request, idempotency_key, items, lambda: ingest.parse_items(items))


@router.post("/results/upload", response=ReportOut)
def post_results_file(
    request: HttpRequest,
    file: File[UploadedFile],
    idempotency_key: str = IDEMPOTENCY_HEADER,
):
    """Upload a CSV or Excel (.xlsx) file of results (a FHIR JSON bundle is read too).

    Columns in Chinese or English: 管号/样本编号/tube_barcode, 结果/result, ORF1ab Ct, N Ct,
    报告时间/reported_at. Rows are numbered as the spreadsheet shows them.
    """
    if file.size and file.size > ingest.MAX_FILE_BYTES:
        raise RuleViolation(
            field="file", code="too_large", message=_("The file is larger than 10 MB; split it.")
        )
    content = file.read()
    digest = hashlib.sha256(content).hexdigest()
    return _submit(
        request,
        idempotency_key,
        {"file": digest},
        lambda: ingest.parse_upload(file.name or "", content),
    )


@router.post(
    "/results/fhir",
    response=ReportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/fhir+json": {"schema": {"type": "object"}}},
            "description": "An HL7 FHIR R4 Bundle of Observations (LOINC 94500-6) and Specimens.",
        }
    },
)
def post_results_fhir(request: HttpRequest, idempotency_key: str = IDEMPOTENCY_HEADER):
    """Post an HL7 FHIR R4 Bundle; rows are numbered by Bundle.entry index (from 0).

    See fangkong/testing/ingest.py for the codes read and how they map to results.
    """
    try:
        body = request.body
    except RequestDataTooBig:
        raise RuleViolation(
            field="bundle",
            code="too_large",
            message=_("The bundle is larger than the server accepts: send it in parts."),
            status_code=413,
        ) from None
    digest = hashlib.sha256(body).hexdigest()
    return _submit(request, idempotency_key, {"fhir": digest}, lambda: ingest.parse_fhir(body))


# ---------------------------------------------------------------------------------------------
# Boxes


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
    tubes = Tube.objects.filter(box=box).order_by("barcode")
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


def _json_body(request: HttpRequest, schema: type[Schema]):
    try:
        return schema.model_validate_json(request.body)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        raise RuleViolation(
            field=".".join(str(p) for p in first.get("loc", ())) or "body",
            code=first.get("type", "invalid"),
            message=first.get("msg", ""),
        ) from None


def box_by_code(code: str) -> TransportBox:
    box = TransportBox.objects.select_related("round").filter(code=code).first()
    if box is None:
        raise RuleViolation(
            field="code", code="unknown", message=_("No box has this code."), status_code=404
        )
    return box


def authorise_read(*, actor, round: TestingRound, object_type: str, object_id) -> None:
    """Labs, staff over the round's area and the round's own samplers may read; refusals
    are audited."""
    if can(actor, "record_results", round.area_code) or can(
        actor, "view_residents", round.area_code
    ):
        return
    authorise_round(
        actor=actor,
        round=round,
        action="register_samples",
        object_type=object_type,
        object_id=object_id,
    )


@router.post("/boxes", response={201: BoxOut})
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


@router.post("/boxes/{code}/handover", response=BoxOut)
def post_handover(
    request: HttpRequest, code: str, body: HandoverIn, idempotency_key: str = IDEMPOTENCY_HEADER
):
    """Hand a packed box to the courier who carries it to the lab."""
    box = box_by_code(code)

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
)
def post_receive(request: HttpRequest, code: str, idempotency_key: str = IDEMPOTENCY_HEADER):
    """The lab receives a box in transit: its tubes may now get results from this lab only."""
    box = box_by_code(code)
    lab = lab_for(request.actor)
    body = _json_body(request, ReceiveIn) if request.body.strip() else ReceiveIn()
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


@router.get("/boxes/{code}", response=BoxOut)
def get_box(request: HttpRequest, code: str):
    """A box, its tubes and its chain of custody (who had it, when)."""
    box = box_by_code(code)
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


@router.get("/tubes/{barcode}", response=TubeOut)
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
    results = LabResult.objects.filter(tube=tube).select_related("lab").order_by("id")
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
