"""Results API, mounted at /api/v1/lab: POST /results (a JSON list), /results/upload (a CSV
or Excel file), /results/fhir (an HL7 FHIR R4 Bundle). Every row is answered — accepted,
unchanged, held for review or rejected with the field and the reason — and readable rows are
recorded even when others are not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Schema
from ninja.files import UploadedFile

from fangkong.core.errors import RuleViolation

from . import ingest
from .api_common import IDEMPOTENCY_HEADER, idempotent, router
from .services.results import lab_for


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
    flag: str = Field(
        "",
        description="slightly_high (指标稍高) | weak_positive (弱阳性): a Ct in the protocol's "
        "grey zone, sent to the district CDC for review; empty otherwise",
    )
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


@router.post("/results", response=ReportOut, operation_id="fangkong_testing_api_lab_post_results")
def post_results(
    request: HttpRequest,
    results: list[ResultRowIn],
    idempotency_key: str = IDEMPOTENCY_HEADER,
):
    """Post results as a JSON list; items are numbered from 0 in the answer."""
    items = [r.model_dump() for r in results]
    return _submit(request, idempotency_key, items, lambda: ingest.parse_items(items))


@router.post(
    "/results/upload", response=ReportOut, operation_id="fangkong_testing_api_lab_post_results_file"
)
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
    operation_id="fangkong_testing_api_lab_post_results_fhir",
)
def post_results_fhir(request: HttpRequest, idempotency_key: str = IDEMPOTENCY_HEADER):
    """Post an HL7 FHIR R4 Bundle; rows are numbered by Bundle.entry index (from 0).

    See fangkong/lab/ingest/fhir.py for the codes read and how they map to results.
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
