"""Pages for Excel: import a roster, download the template, export the resident list."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from fangkong.accounts.services import require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import client_ip

from . import excel_write
from .exporting import export_residents
from .forms import ResidentFilterForm
from .import_rows import column_note
from .importing import import_residents
from .selectors import ResidentFilter, list_import_conflicts

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SHOWN_ERRORS = 200
# Error workbooks echo the uploader's own clear ID numbers: kept one day, then deleted.
ERROR_FILE_MAX_AGE = 24 * 3600


class ImportForm(forms.Form):
    workbook = forms.FileField(label=_("Excel workbook (.xlsx) or CSV file"))

    def clean_workbook(self):
        upload = self.cleaned_data["workbook"]
        if not upload.name.lower().endswith((".xlsx", ".xlsm", ".csv")):
            raise forms.ValidationError(
                _("Upload an .xlsx workbook or a .csv file; save an old .xls file as .xlsx first.")
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it."))
        return upload


def _error_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _error_path(user, token: uuid.UUID) -> Path:
    # The owner's id is part of the name, so another user's token never finds the file.
    return _error_dir() / f"{user.pk}-{token}.xlsx"


def _store_error_workbook(user, content: bytes) -> uuid.UUID:
    folder = _error_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - ERROR_FILE_MAX_AGE
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = uuid.uuid4()
    path = _error_path(user, token)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return token


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def resident_import(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user,
        action="import_residents",
        object_type="residents",
        ip=client_ip(request),
    )
    form = ImportForm(request.POST or None, request.FILES or None)
    result, token, status = None, None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = import_residents(
                    workbook_file=form.cleaned_data["workbook"],
                    user=request.user,
                    ip=client_ip(request),
                )
            except PermissionDeniedError:
                raise
            except RuleViolation as exc:
                form.add_error("workbook", str(exc.message))
            else:
                if result.error_workbook:
                    token = _store_error_workbook(request.user, result.error_workbook)
                form = ImportForm()
        if form.errors:
            status = 422
    context = {
        "form": form,
        "result": result,
        "errors": result.errors[:SHOWN_ERRORS] if result else [],
        "more_errors": max(0, len(result.errors) - SHOWN_ERRORS) if result else 0,
        "notes": result.notes[:SHOWN_ERRORS] if result else [],
        "more_notes": max(0, len(result.notes) - SHOWN_ERRORS) if result else 0,
        "columns_not_read": [(c.label, column_note(c)) for c in result.columns_not_read]
        if result
        else [],
        "open_conflicts": list_import_conflicts(user=request.user).count(),
        "token": token,
    }
    return render(request, "people/import.html", context, status=status)


@login_required
@require_GET
def import_errors(request: HttpRequest, token: uuid.UUID) -> FileResponse:
    """The error workbook of the user's own import; anyone else gets 404."""
    require_permission(
        actor=request.user,
        action="import_residents",
        object_type="residents",
        ip=client_ip(request),
    )
    path = _error_path(request.user, token)
    if not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=excel_write.XLSX_CONTENT_TYPE)
    return _attachment(response, f"rejected-rows-{token.hex[:8]}.xlsx")


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user,
        action="import_residents",
        object_type="residents",
        ip=client_ip(request),
    )
    response = HttpResponse(
        excel_write.template_workbook(), content_type=excel_write.XLSX_CONTENT_TYPE
    )
    return _attachment(response, "居民花名册模板.xlsx")


def _filters(request: HttpRequest) -> ResidentFilter:
    """The resident list's filters from the query string, read the way the list reads them."""
    form = ResidentFilterForm(request.GET)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise RuleViolation(field=field, code="invalid", message=" ".join(errors))
    d = form.cleaned_data
    return ResidentFilter(
        area_code=d["area"] or None,
        q=d["q"] or None,
        tag=d["tag"] or None,
        status=d["status"] or None,
        residency=d["residency"] or None,
        min_age=d["min_age"],
        max_age=d["max_age"],
    )


@login_required
@require_GET
def resident_export(request: HttpRequest) -> FileResponse:
    require_permission(
        actor=request.user,
        action="export_residents",
        object_type="residents",
        ip=client_ip(request),
    )
    filters = _filters(request)
    # Spooled: small exports stay in memory, large ones go to a temporary file, not the heap.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    export_residents(user=request.user, filters=filters, output=spool, ip=client_ip(request))
    spool.seek(0)
    response = FileResponse(spool, content_type=excel_write.XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _attachment(response, f"residents-{stamp}.xlsx")
