"""Tracing pages under /tracing/ (namespace "tracing"): venues and their posters."""

from __future__ import annotations

import segno
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from fangkong.accounts.permissions import can
from fangkong.core.errors import RuleViolation
from fangkong.core.http import page_of
from fangkong.geo.selectors import area_labels

from . import selectors
from .forms import VenueForm
from .services.venues import create_venue, venue_qr_payload


@login_required
def venue_list(request: HttpRequest) -> HttpResponse:
    venues = selectors.venues_for(request.user)
    may_manage = can(request.user, "manage_tracing")
    form = VenueForm(request.POST or None, initial={"area_code": request.user.scope_code})
    if request.method == "POST" and form.is_valid():
        try:
            venue = create_venue(user=request.user, **form.cleaned_data)
        except RuleViolation as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("tracing:venue", pk=venue.pk)
    page = page_of(request, venues)
    return render(
        request,
        "tracing/venues.html",
        {
            "venues": page,
            "names": area_labels(v.area_code for v in page),
            "form": form if may_manage else None,
        },
    )


@login_required
def venue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    venue = selectors.venue_for(request.user, pk)
    return render(
        request,
        "tracing/venue.html",
        {
            "venue": venue,
            "names": area_labels([venue.area_code]),
            "scans": selectors.recent_scans(request.user, venue),
        },
    )


@login_required
def venue_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable poster: the venue's name and its signed QR code."""
    venue = selectors.venue_for(request.user, pk)
    qr = segno.make_qr(venue_qr_payload(venue), error="m")
    # segno writes only path data of our own signed payload: nothing typed by users reaches it.
    svg = mark_safe(qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr"))  # noqa: S308
    return render(request, "tracing/poster.html", {"venue": venue, "qr": svg})
