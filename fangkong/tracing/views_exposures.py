"""The investigator's exposures page: candidates by venue and visit, each accepted as a tier
or rejected with a reason.

The document number is posted once; the answer redirects to a page that names the person by a
signed token of the blind index, so no clear number ends in a URL, a log or the page.
"""

from __future__ import annotations

import datetime as dt
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
from .exposure_sql import ExposureQuery, Visit
from .forms import DecisionForm, ExposureSearchForm
from .models import ContactTier
from .services.exposures import decide_exposure, read_subject_token, subject_token
from .services.scan_checks import person_key


class _VisitCandidates:
    """One visit's candidates as the paginator reads them: the count is already known from
    the grouped query, and only the page asked for is fetched."""

    def __init__(self, query: ExposureQuery, visit: Visit):
        self.query, self.visit = query, visit

    def count(self) -> int:
        return self.visit.candidates

    def __getitem__(self, part: slice) -> list:
        start = part.start or 0
        return selectors.exposure_candidates(
            self.query, visit=self.visit.source_id, offset=start, limit=part.stop - start
        )


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
    query = selectors.exposure_query(
        actor=request.user, subject_index=index, start=start, end=end, window_minutes=window
    )
    # A crowded venue yields thousands of candidates: the visits are listed with their
    # counts, and one visit's candidates are shown a page at a time (the first visit's, until
    # another is opened).
    visits = selectors.exposure_visits(query)
    wanted = request.GET.get("visit", "")
    shown = next((v for v in visits if v.source_id == wanted), visits[0] if visits else None)
    context = {
        "visits": visits,
        "shown": shown,
        "subject": request.GET["subject"],
        "subject_masked": masked,
        "count": sum(v.candidates for v in visits),
    }
    if shown is not None:
        page = page_of(request, _VisitCandidates(query, shown))
        ids = [e.source_id for e in page]
        decided = {
            d.source_id: d
            for d in selectors.decisions_for(request.user, subject_index=index).filter(
                source_id__in=ids
            )
        }
        context["page"] = page
        context["candidates"] = [{"e": e, "d": decided.get(e.source_id)} for e in page]
        params = request.GET.copy()
        params.pop("visit", None)
        params.pop("page", None)
        context["visit_query"] = params.urlencode()
    return context


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
