"""The medical trip of a request: plan it (with its pass), record its steps, or hand to 120."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fangkong.core.errors import RuleViolation
from fangkong.core.http import rule_message

from . import selectors
from .forms import HandOverForm, TripForm
from .services.trips import hand_over_to_120, plan_trip, record_trip_step
from .views import request_for


def _refused(request: HttpRequest, exc: RuleViolation) -> None:
    if exc.status_code == 403:
        raise exc
    messages.error(request, rule_message(exc))


@login_required
@require_POST
def trip_plan(request: HttpRequest, pk: int) -> HttpResponse:
    found = request_for(request, pk)
    form = TripForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("services:request", found.pk)
    try:
        plan_trip(user=request.user, request=found, **form.cleaned_data)
    except RuleViolation as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Trip planned."))
    return redirect("services:request", found.pk)


@login_required
@require_POST
def trip_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    found = request_for(request, pk)
    trip = selectors.trip_of(user=request.user, request=found)
    if trip is None:
        raise Http404
    try:
        if step == "handover":
            form = HandOverForm(request.POST)
            ref = form.data.get("ambulance_ref", "")
            hand_over_to_120(user=request.user, trip=trip, ambulance_ref=ref)
        else:
            record_trip_step(user=request.user, trip=trip, step=step)
    except RuleViolation as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("services:request", found.pk)
