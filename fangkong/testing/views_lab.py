"""Lab pages under /testing/lab/: receive a box by its code, upload a results file (CSV,
Excel or a FHIR JSON bundle) and see every row's outcome, read a box's chain of custody;
and the tube label sheets of a round (PDF or PNG)."""

from __future__ import annotations

import hashlib
import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import client_ip
from fangkong.core.services import run_idempotent

from . import ingest, labels
from .models import CustodyEvent, Lab, TestingRound, TransportBox, Tube, TubeState
from .services.results import lab_for
from .services.transport import authorise_round, receive_box

MAX_LABELS = 3000  # 100 sheets; more at once is printed from the command line


class ReceiveForm(forms.Form):
    code = forms.CharField(label=_("Box code"), max_length=32)
    by = forms.CharField(label=_("Received by"), max_length=64)


class UploadForm(forms.Form):
    results = forms.FileField(label=_("Results file (CSV, Excel .xlsx or FHIR JSON)"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_results(self):
        upload = self.cleaned_data["results"]
        if upload.size > ingest.MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB; split it."))
        return upload


def _lab(request: HttpRequest) -> Lab:
    require_permission(
        actor=request.user, action="record_results", object_type="lab", ip=client_ip(request)
    )
    try:
        return lab_for(request.user)
    except PermissionDeniedError:
        # A lab technician not (or no longer) on a laboratory's staff: refused and audited.
        deny(actor=request.user, action="record_results", object_type="lab", ip=client_ip(request))
        raise


def _page(request: HttpRequest, lab: Lab, status: int = 200, **context) -> HttpResponse:
    name = str(request.user)
    recent = (
        TransportBox.objects.filter(lab=lab)
        .annotate(
            tube_count=Count("tubes"),
            resulted=Count("tubes", filter=Q(tubes__state=TubeState.RESULTED)),
        )
        .order_by("-received_at", "-id")[:20]
    )
    context.setdefault("receive_form", ReceiveForm(initial={"by": name}))
    context.setdefault("upload_form", UploadForm(initial={"idempotency_key": uuid.uuid4().hex}))
    return render(
        request,
        "testing/lab.html",
        {"lab": lab, "recent": recent, **context},
        status=status,
    )


@login_required
@require_GET
def lab_home(request: HttpRequest) -> HttpResponse:
    return _page(request, _lab(request))


@login_required
@require_POST
def lab_receive(request: HttpRequest) -> HttpResponse:
    lab = _lab(request)
    form = ReceiveForm(request.POST)
    if not form.is_valid():
        return _page(request, lab, status=422, receive_form=form)
    code = form.cleaned_data["code"].strip()
    box = TransportBox.objects.filter(code=code).first()
    try:
        if box is None:
            raise RuleViolation(
                field="code", code="unknown", message=_("No box has this code."), status_code=404
            )
        # Checked here as well as in receive_box, so that a refusal's audit entry is not
        # rolled back with receive_box's transaction.
        require_permission(
            actor=request.user,
            action="record_results",
            area_code=box.area_code,
            object_type="box",
            object_id=box.code,
            ip=client_ip(request),
        )
        receive_box(box=box, lab=lab, actor=request.user, by=form.cleaned_data["by"].strip())
    except RuleViolation as exc:
        return _page(
            request, lab, status=exc.status_code, receive_form=form, receive_error=exc.as_dict()
        )
    return redirect(reverse("testing:lab_box", args=[box.code]) + "?received=1")


@login_required
@require_POST
def lab_upload(request: HttpRequest) -> HttpResponse:
    lab = _lab(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, lab, status=422, upload_form=form)
    upload = form.cleaned_data["results"]
    content = upload.read()
    try:
        parsed = ingest.parse_upload(upload.name, content)
        # Refusals are decided, and audited, before the idempotent transaction opens.
        ingest.authorise_submission(lab=lab, parsed=parsed, actor=request.user)
    except RuleViolation as exc:
        return _page(request, lab, status=exc.status_code, upload_error=exc.as_dict())

    def write():
        report = ingest.submit_results(lab=lab, parsed=parsed, actor=request.user)
        return 200, report.as_dict()

    try:
        # A double click or a browser resubmit gets the first answer and records nothing twice.
        _status, report, replayed = run_idempotent(
            key=form.cleaned_data["idempotency_key"],
            scope=f"lab.page.results.{lab.pk}:u{request.user.pk}",
            payload={"file": hashlib.sha256(content).hexdigest()},
            write=write,
        )
    except RuleViolation as exc:
        return _page(request, lab, status=exc.status_code, upload_error=exc.as_dict())
    return _page(request, lab, report=report, replayed=replayed, filename=upload.name)


@login_required
@require_GET
def lab_box(request: HttpRequest, code: str) -> HttpResponse:
    box = TransportBox.objects.select_related("round", "lab").filter(code=code).first()
    if box is None:
        raise Http404
    actor = request.user
    if not (
        can(actor, "record_results", box.area_code) or can(actor, "view_residents", box.area_code)
    ):
        authorise_round(
            actor=actor,
            round=box.round,
            action="register_samples",
            object_type="box",
            object_id=code,
        )
    context = {
        "box": box,
        "tubes": Tube.objects.filter(box=box).order_by("barcode"),
        "custody": CustodyEvent.objects.filter(box=box),
        "received_now": request.GET.get("received") == "1",
    }
    return render(request, "testing/lab_box.html", context)


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
