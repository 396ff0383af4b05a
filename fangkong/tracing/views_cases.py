"""Case pages: the list with its clocks, opening a case, and the itinerary on a phone."""

from __future__ import annotations

import datetime as dt

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
from .forms import CaseForm, StopForm
from .services.cases import (
    add_stop,
    complete_investigation,
    mark_reported,
    open_case,
    open_case_for_resident,
)
from .services.contacts import propose_household_contacts
from .services.orders import issue_contact_orders


def _form_error(form, exc: RuleViolation) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.cases_for(request.user)
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = open_case(user=request.user, **form.cleaned_data)
        except RuleViolation as exc:
            _form_error(form, exc)
        else:
            return redirect("tracing:case", pk=case.pk)
    positives = page_of(request, selectors.positives_awaiting_case(request.user), param="positives")
    return render(
        request,
        "tracing/cases.html",
        {
            "cases": page_of(request, cases),
            "positives": positives,
            "names": area_labels(r.area_code for r in positives),
            "form": form if can(request.user, "manage_tracing") else None,
            "now": timezone.now(),
        },
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for(request.user, pk)
    form = StopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_stop(user=request.user, case=case, **form.cleaned_data)
        except RuleViolation as exc:
            _form_error(form, exc)
        else:
            return redirect("tracing:case", pk=pk)
    return render(
        request,
        "tracing/case.html",
        {
            "case": case,
            "stops": case.stops.select_related("venue"),
            "contacts": case.contacts.select_related("via").prefetch_related("orders"),
            "sites": selectors.sites_for(request.user),
            "form": form,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def case_clock(request: HttpRequest, pk: int, clock: str) -> HttpResponse:
    case = selectors.case_for(request.user, pk)
    try:
        if clock == "report":
            mark_reported(user=request.user, case=case)
        else:
            complete_investigation(user=request.user, case=case)
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
    else:
        messages.info(request, _g("Recorded."))
    return redirect("tracing:case", pk=pk)


@login_required
@require_POST
def case_household(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for(request.user, pk)
    try:
        added = propose_household_contacts(user=request.user, case=case)
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
    else:
        messages.info(
            request, _g("%(n)s contacts proposed from the household.") % {"n": len(added)}
        )
    return redirect("tracing:case", pk=pk)


@login_required
@require_POST
def contact_orders(request: HttpRequest, pk: int, contact: int) -> HttpResponse:
    case = selectors.case_for(request.user, pk)
    found = case.contacts.filter(pk=contact).first()
    site_id = request.POST.get("site", "")
    site = (
        selectors.sites_for(request.user).filter(pk=site_id).first() if site_id.isdigit() else None
    )
    if found is None:
        messages.error(request, _g("No such contact of this case."))
        return redirect("tracing:case", pk=pk)
    try:
        issued = issue_contact_orders(user=request.user, contact=found, site=site)
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
        return redirect("tracing:case", pk=pk)
    messages.info(request, _g("Orders issued."))
    return redirect("tracing:order", pk=issued[0].pk)


@login_required
@require_POST
def case_from_resident(request: HttpRequest, resident: int) -> HttpResponse:
    """Open the case of a resident the registry marks positive (after a positive retest)."""
    found = selectors.positives_awaiting_case(request.user).filter(pk=resident).first()
    if found is None:
        messages.error(request, _g("This person has a case already or is not in your area."))
        return redirect("tracing:cases")
    try:
        sampled = dt.date.fromisoformat(request.POST.get("sampling_date", ""))
    except ValueError:
        sampled = timezone.localdate()
    try:
        case = open_case_for_resident(
            user=request.user,
            resident=found,
            kind=request.POST.get("kind", "asymptomatic"),
            sampling_date=sampled,
            team=request.POST.get("team", ""),
        )
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
        return redirect("tracing:cases")
    return redirect("tracing:case", pk=case.pk)
