"""A round's Excel exports: coverage by area and the residents not yet tested, masked and
audited.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _g
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from fangkong.accounts.services import require_permission
from fangkong.core.http import client_ip
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit

from . import selectors
from .models import TestingRound
from .page_access import area_param, round_for_request, view_node

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_node(request: HttpRequest, round_: TestingRound, area: str | None) -> str:
    prefixes = selectors.round_prefixes(user=request.user, round=round_, area_code=area)
    node = view_node(prefixes)
    require_permission(
        actor=request.user,
        action="export_residents",
        area_code=node or round_.area_code,
        object_type="testing_round",
        object_id=round_.pk,
        ip=client_ip(request),
    )
    return node


def _workbook_response(wb: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = round_for_request(request, pk)
    area = area_param(request)
    node = _export_node(request, round_, area)
    coverage = selectors.round_coverage(user=request.user, round=round_, area_code=area)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_g("Coverage by grid")[:31])
    ws.append([round_.name])
    ws.append(
        [
            _g("Grid code"),
            _g("Grid"),
            _g("Residents in scope"),
            _g("Tested"),
            _g("Not yet tested"),
            _g("Coverage %"),
            _g("Visitors tested"),
        ]
    )
    for g in coverage.grids:
        ws.append([g.code, g.name, g.residents, g.tested, g.untested, g.percent, g.visitors_tested])
    ws.append(
        [
            "",
            _g("Total"),
            coverage.residents,
            coverage.tested,
            coverage.untested,
            coverage.percent,
            coverage.visitors_tested,
        ]
    )
    record_audit(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="testing_round",
        object_id=round_.pk,
        area_code=node,
        ip=client_ip(request),
        detail={"export": "coverage_by_grid", "rows": len(coverage.grids)},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _workbook_response(wb, f"coverage-round{round_.pk}-{stamp}.xlsx")


@login_required
@require_GET
def export_untested(request: HttpRequest, pk: int) -> HttpResponse:
    """The not-yet-tested list: names, addresses, masked numbers only."""
    round_ = round_for_request(request, pk)
    area = area_param(request)
    node = _export_node(request, round_, area)
    qs = selectors.untested_residents(user=request.user, round=round_, area_code=area)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_g("Not yet tested")[:31])
    ws.append(
        [
            _g("Grid code"),
            _g("Building"),
            _g("Entrance"),
            _g("Room"),
            pgettext("person", "Name"),
            _g("Phone"),
            _g("Document"),
            _g("Residency"),
        ]
    )
    rows = 0
    for r in qs.iterator(chunk_size=2000):
        h = r.household
        ws.append(
            [
                r.area_code,
                h.building.name_zh if h else "",
                h.entrance if h else "",
                h.room if h else "",
                r.name,
                r.phone_masked,
                r.document_masked,
                str(r.get_residency_display()),
            ]
        )
        rows += 1
    record_audit(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="testing_round",
        object_id=round_.pk,
        area_code=node,
        ip=client_ip(request),
        detail={"export": "untested_residents", "rows": rows},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _workbook_response(wb, f"not-yet-tested-round{round_.pk}-{stamp}.xlsx")
