"""Pushed-list pages: upload a list, its progress for the command centre, and closing rows."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_POST

from fangkong.accounts.permissions import can
from fangkong.core.errors import RuleViolation
from fangkong.core.http import page_of
from fangkong.geo.selectors import area_labels

from . import selectors
from .models_pushed import Outcome
from .services.case_sources import open_case_from_row
from .services.pushed import close_row, import_pushed_list


@login_required
def pushed_lists(request: HttpRequest) -> HttpResponse:
    lists = selectors.pushed_lists_for(request.user)
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"list{suffix}"
            with path.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            try:
                pushed = import_pushed_list(
                    user=request.user,
                    path=path,
                    name=request.POST.get("name", "") or upload.name,
                    source=request.POST.get("source", ""),
                )
            except RuleViolation as exc:
                messages.error(request, str(exc.message))
            else:
                return redirect("tracing:pushed", pk=pushed.pk)
    return render(
        request,
        "tracing/pushed_lists.html",
        {"lists": page_of(request, lists), "may_import": can(request.user, "manage_tracing")},
    )


@login_required
def pushed_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pushed = selectors.pushed_list_for(request.user, pk)
    outcome = request.GET.get("outcome") or Outcome.PENDING
    progress = selectors.pushed_progress(request.user, pushed)
    rows = page_of(request, selectors.pushed_rows(request.user, pushed, outcome=outcome))
    codes = [area for area, _n in progress["open_by_area"]] + [r.area_code for r in rows]
    return render(
        request,
        "tracing/pushed.html",
        {
            "pushed": pushed,
            "progress": progress,
            "rows": rows,
            "names": area_labels(codes),
            "outcome": outcome,
            "outcomes": [c for c in Outcome.choices if c[0] != Outcome.PENDING],
            "may_open_cases": can(request.user, "manage_tracing"),
        },
    )


@login_required
@require_POST
def pushed_close(request: HttpRequest, pk: int, row: int) -> HttpResponse:
    pushed = selectors.pushed_list_for(request.user, pk)
    found = selectors.pushed_rows(request.user, pushed).filter(pk=row).first()
    if found is None:
        messages.error(request, _g("This row is not in your area."))
        return redirect("tracing:pushed", pk=pk)
    try:
        close_row(
            user=request.user,
            row=found,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
    return redirect("tracing:pushed", pk=pk)


@login_required
@require_POST
def pushed_case(request: HttpRequest, pk: int, row: int) -> HttpResponse:
    """Open the case of a person a list of positives names."""
    pushed = selectors.pushed_list_for(request.user, pk)
    found = selectors.pushed_rows(request.user, pushed).filter(pk=row).first()
    if found is None:
        messages.error(request, _g("This row is not in your area."))
        return redirect("tracing:pushed", pk=pk)
    try:
        sampled = dt.date.fromisoformat(request.POST.get("sampling_date", ""))
    except ValueError:
        sampled = timezone.localdate()
    try:
        case = open_case_from_row(
            user=request.user,
            row=found,
            kind=request.POST.get("kind", "asymptomatic"),
            sampling_date=sampled,
        )
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
        return redirect("tracing:pushed", pk=pk)
    return redirect("tracing:case", pk=case.pk)
