"""The investigator's exposures page: candidates by venue and visit, each accepted as a tier
or rejected with a reason.

The document number is posted once; the answer redirects to a page that names the person by a
signed token of the blind index, so no clear number ends in a URL, a log or the page.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_POST

from fangkong.core.errors import RuleViolation
from fangkong.core.http import page_of

from . import selectors
from .forms import DecisionForm, ExposureSearchForm
from .models import ContactTier
from .services.exposures import decide_exposure, read_subject_token, subject_token
from .services.scan_checks import person_key


def _results(request: HttpRequest) -> dict:
    index, masked = read_subject_token(request.GET.get("subject", ""))
    try:
        start = dt.datetime.fromisoformat(request.GET.get("start", ""))
        end = dt.datetime.fromisoformat(request.GET.get("end", ""))
        window = int(request.GET["window"]) if request.GET.get("window") else None
    except ValueError:
        raise RuleViolation(
            field="start", code="invalid", message=_g("Search for the person again.")
        ) from None
    found = selectors.exposures_of(
        actor=request.user, subject_index=index, start=start, end=end, window_minutes=window
    )
    decided = {d.source_id: d for d in selectors.decisions_for(request.user, subject_index=index)}
    # A crowded venue yields thousands of candidates: a page of them, grouped by visit.
    page = page_of(request, found)
    visits = [
        {
            "venue": key[0],
            "visit_at": key[1],
            "candidates": [{"e": e, "d": decided.get(e.source_id)} for e in group],
        }
        for key, group in groupby(page, key=lambda e: (e.venue_name, e.matched_at))
    ]
    return {
        "visits": visits,
        "subject": request.GET["subject"],
        "subject_masked": masked,
        "count": len(found),
        "page": page,
    }


@login_required
def exposures(request: HttpRequest) -> HttpResponse:
    form = ExposureSearchForm(request.POST or None)
    context = {"form": form, "tiers": ContactTier.choices}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            index, masked = person_key(
                document_type=data["document_type"], document_number=data["document_number"]
            )
        except RuleViolation as exc:
            form.add_error("document_number", exc.message)
        else:
            query = {
                "subject": subject_token(index=index, masked=masked),
                "start": data["start"].isoformat(),
                "end": data["end"].isoformat(),
                "window": data["window_minutes"] or "",
            }
            return redirect(reverse("tracing:exposures") + "?" + urlencode(query))
    elif request.GET.get("subject"):
        try:
            context.update(_results(request))
        except RuleViolation as exc:
            messages.error(request, str(exc.message))
    return render(request, "tracing/exposures.html", context)


@login_required
@require_POST
def decide(request: HttpRequest) -> HttpResponse:
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decide_exposure(user=request.user, **form.cleaned_data)
        except RuleViolation as exc:
            messages.error(request, str(exc.message))
        else:
            messages.info(request, _g("Decision recorded."))
    else:
        messages.error(request, _g("Choose accept or reject."))
    back = request.POST.get("next", "")
    if back.startswith(reverse("tracing:exposures") + "?"):
        return redirect(back)
    return redirect("tracing:exposures")
