"""Lab pages under /testing/lab/: receive a box by its code, upload a results file (CSV,
Excel or a FHIR JSON bundle) and see every row's outcome, read a box's chain of custody."""

from __future__ import annotations

import hashlib
import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import client_ip
from fangkong.core.services import run_idempotent

from . import ingest
from .models import Lab
from .selectors import (
    authorise_read,
    box_custody,
    box_tubes,
    find_box,
    find_tube,
    flagged_result,
    recent_boxes,
    tube_results,
)
from .services.boxes import receive_box
from .services.results import lab_for


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
    recent = recent_boxes(lab=lab)
    context.setdefault("receive_form", ReceiveForm(initial={"by": name}))
    context.setdefault("upload_form", UploadForm(initial={"idempotency_key": uuid.uuid4().hex}))
    return render(
        request,
        "lab/lab.html",
        {"lab": lab, "recent": recent, **context},
        status=status,
    )


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, _lab(request))


@login_required
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    lab = _lab(request)
    form = ReceiveForm(request.POST)
    if not form.is_valid():
        return _page(request, lab, status=422, receive_form=form)
    code = form.cleaned_data["code"].strip()
    box = find_box(code=code)
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
    return redirect(reverse("lab:box", args=[box.code]) + "?received=1")


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
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
def box(request: HttpRequest, code: str) -> HttpResponse:
    box = find_box(code=code)
    if box is None:
        raise Http404
    authorise_read(actor=request.user, round=box.round, object_type="box", object_id=code)
    context = {
        "box": box,
        "tubes": box_tubes(box=box),
        "custody": box_custody(box=box),
        "received_now": request.GET.get("received") == "1",
    }
    return render(request, "lab/lab_box.html", context)


@login_required
@require_GET
def tube(request: HttpRequest, barcode: str) -> HttpResponse:
    """A tube (a pool): its samples, box and every result posted for it, with Ct values and the
    grey-zone flag."""
    tube = find_tube(barcode=barcode)
    if tube is None:
        raise Http404
    authorise_read(actor=request.user, round=tube.round, object_type="tube", object_id=barcode)
    context = {
        "tube": tube,
        "results": tube_results(tube=tube),
        "flagged": flagged_result(tube=tube),
    }
    return render(request, "lab/lab_tube.html", context)
