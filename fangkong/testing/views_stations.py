"""The staff page of a round's stations: who samples where, samplers put on and taken off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.core.errors import RuleViolation
from fangkong.core.http import client_ip

from . import selectors
from .page_access import round_for_request
from .services.stations import assign_sampler, remove_sampler


@login_required
@require_GET
def round_stations(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = round_for_request(request, pk, action="manage_rounds")
    stations = selectors.round_stations(user=request.user, round=round_)
    return render(
        request,
        "testing/round_stations.html",
        {
            "round": round_,
            "stations": stations,
            "samplers": selectors.samplers_in_scope(user=request.user),
        },
    )


@login_required
@require_POST
def station_samplers(request: HttpRequest, pk: int, station_id: int) -> HttpResponse:
    """Put a sampler on the station (`add`) or take one off (`remove`)."""
    round_ = round_for_request(request, pk, action="manage_rounds")
    station = (
        selectors.round_stations(user=request.user, round=round_).filter(pk=station_id).first()
    )
    sampler = (
        selectors.samplers_in_scope(user=request.user)
        .filter(pk=request.POST.get("sampler"))
        .first()
        if request.POST.get("sampler", "").isdigit()
        else None
    )
    if station is None:
        raise Http404
    change = remove_sampler if request.POST.get("op") == "remove" else assign_sampler
    try:
        if sampler is None:
            raise RuleViolation(
                field="sampler", code="unknown", message=_("Pick a sampler in your area.")
            )
        change(station=station, sampler=sampler, user=request.user, ip=client_ip(request))
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The station's samplers were changed."))
    return redirect(reverse("testing:round_stations", args=[round_.pk]))
