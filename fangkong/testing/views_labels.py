"""The tube label sheets of a round (PDF or PNG), under /testing/lab/labels/: printed by the
round's samplers before sampling starts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from fangkong.accounts.permissions import can
from fangkong.core.errors import RuleViolation

from . import labels
from .models import TestingRound, Tube, TubeState
from .services.transport import authorise_round

MAX_LABELS = 3000  # 100 sheets; more at once is printed from the command line


@login_required
@require_GET
def label_sheet(request: HttpRequest, round_id: int, fmt: str) -> HttpResponse:
    """Labels of a round's tubes in barcode order; ?unused=1 for tubes not used yet,
    ?start=N&count=M for a part, ?sheet=N for the PNG sheet."""
    round_ = TestingRound.objects.filter(pk=round_id).first()
    if round_ is None:
        raise Http404
    user = request.user
    if not (
        can(user, "register_samples", round_.area_code)
        or can(user, "view_residents", round_.area_code)
    ):
        authorise_round(
            actor=user,
            round=round_,
            action="register_samples",
            object_type="round",
            object_id=round_.pk,
        )
    try:
        start = max(1, int(request.GET.get("start", 1)))
        count = min(MAX_LABELS, max(1, int(request.GET.get("count", MAX_LABELS))))
        sheet = max(1, int(request.GET.get("sheet", 1)))
    except ValueError:
        raise RuleViolation(
            field="start", code="format", message=_("start, count and sheet are whole numbers.")
        ) from None
    tubes = Tube.objects.filter(round=round_).order_by("barcode")
    if request.GET.get("unused") == "1":
        tubes = tubes.filter(state=TubeState.OPEN, sample_count=0)
    chosen = list(
        tubes.only("barcode", "kind", "capacity", "swab_points")[start - 1 : start - 1 + count]
    )
    sheet_labels = labels.labels_for(chosen, round_.name)
    if fmt == "png":
        if sheet > labels.sheet_count(len(sheet_labels)):
            raise Http404
        content, content_type = labels.render_png(sheet_labels, sheet=sheet), "image/png"
        filename = f"tubes-{round_.pk}-{sheet}.png"
    else:
        content, content_type = labels.render_pdf(sheet_labels), "application/pdf"
        filename = f"tubes-{round_.pk}.pdf"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response
