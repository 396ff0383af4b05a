"""The sampler page: pick a station, scan a tube, scan people, see n/20, seal.

The page holds no rules of its own. The browser queues every scan (sampler.js) and posts it to
POST /api/v1/testing/samples, which validates and answers per item; these views only show a
sampler their own stations and, while online, tell the page about a tube as soon as it is
scanned, so a wrong tube is caught before the first person is swabbed into it.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fangkong.accounts.services import deny, require_permission
from fangkong.core.areas import within_q
from fangkong.core.documents import DocumentType
from fangkong.core.errors import RuleViolation
from fangkong.core.http import client_ip

from .models import RoundStatus, Station, Tube, TubeKind, TubeState
from .services.rounds import pool_rule_violation

# Placeholder the page swaps for a scanned barcode when it builds the seal and tube URLs.
BARCODE_SLOT = "BARCODE"


def queue_key(user) -> str:
    """The key the sampler page encrypts its offline queue with (AES-256, base64). Derived
    here for the user and printed into the page, never stored on the device: what the
    device keeps on its disk cannot be read without logging in again."""
    digest = salted_hmac("fangkong.sampler.queue", str(user.pk), algorithm="sha256").digest()
    return base64.b64encode(digest).decode()


def sampler_stations(user) -> QuerySet[Station]:
    """The stations of active rounds where `user` is one of the samplers, inside their scope.

    Membership is what the sample API checks too (authorise_station), so the page never offers
    a station whose posts would be refused.
    """
    scope = user.scope_code
    return (
        Station.objects.filter(samplers=user, round__status=RoundStatus.ACTIVE)
        .filter(within_q(scope))
        .select_related("round", "site__place")
        .order_by("-round__starts_at", "site__place__code", "name", "id")
    )


def _own_station(request: HttpRequest, station_id: int) -> Station:
    require_permission(
        actor=request.user,
        action="register_samples",
        object_type="station",
        object_id=station_id,
        ip=client_ip(request),
    )
    station = sampler_stations(request.user).filter(pk=station_id).first()
    if station is None:
        # Another team's station, a closed round or no such station: refused alike, audited.
        deny(
            actor=request.user,
            action="register_samples",
            object_type="station",
            object_id=station_id,
            ip=client_ip(request),
        )
    return station


@login_required
@require_GET
@never_cache
def sampler(request: HttpRequest) -> HttpResponse:
    """The station picker: the sampler's own stations, with round and site."""
    require_permission(
        actor=request.user, action="register_samples", object_type="station", ip=client_ip(request)
    )
    context = {
        "stations": list(sampler_stations(request.user)),
        "queue_key": queue_key(request.user),
    }
    return render(request, "testing/sampler.html", context)


@login_required
@require_GET
@never_cache
def sampler_station(request: HttpRequest, station_id: int) -> HttpResponse:
    """The scanning screen of one station."""
    station = _own_station(request, station_id)
    document_types = [(v, label) for v, label in DocumentType.choices]
    context = {
        "station": station,
        "round": station.round,
        "document_types": document_types,
        "samples_url": reverse("api:post_samples"),
        "seal_url": reverse("api:post_seal", kwargs={"barcode": BARCODE_SLOT}),
        "tube_url": reverse(
            "testing:sampler_tube", kwargs={"station_id": station.pk, "barcode": BARCODE_SLOT}
        ),
        "barcode_slot": BARCODE_SLOT,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "login_url": reverse("accounts:login") + "?next=" + request.path,
        "queue_key": queue_key(request.user),
    }
    return render(request, "testing/sampler_station.html", context)


def _tube_problem(tube: Tube | None, station: Station) -> RuleViolation | None:
    """The same refusals the sample API would give this tube's first item, said at scan time."""
    if tube is None:
        return RuleViolation(
            field="tube_barcode",
            code="unknown",
            message=_("No tube has this barcode: scan it again."),
            status_code=404,
        )
    if tube.round_id != station.round_id:
        return RuleViolation(
            field="tube_barcode",
            code="other_round",
            message=_("This tube belongs to another round."),
            status_code=409,
        )
    if tube.kind != TubeKind.PEOPLE:
        return RuleViolation(
            field="tube_barcode",
            code="environment",
            message=_("This is an environmental tube."),
            status_code=409,
        )
    if tube.state != TubeState.OPEN:
        return RuleViolation(
            field="tube_barcode",
            code="not_open",
            message=_("This tube is sealed: take a new tube."),
            status_code=409,
        )
    if broken := pool_rule_violation(round=station.round, capacity=tube.capacity):
        return RuleViolation(
            field="tube_barcode", code=broken.code, message=broken.message, status_code=409
        )
    if tube.station_id not in (None, station.pk):
        return RuleViolation(
            field="tube_barcode",
            code="other_station",
            message=_("This tube was opened at another station."),
            status_code=409,
        )
    return None


@login_required
@require_GET
@never_cache
def sampler_tube(request: HttpRequest, station_id: int, barcode: str) -> JsonResponse:
    """A scanned tube's capacity and count, or why it cannot take samples at this station."""
    station = _own_station(request, station_id)
    tube = Tube.objects.filter(barcode=barcode.strip()).first()
    problem = _tube_problem(tube, station)
    if problem is not None:
        return JsonResponse({"errors": [problem.as_dict()]}, status=problem.status_code)
    return JsonResponse(
        {
            "barcode": tube.barcode,
            "capacity": tube.capacity,
            "sample_count": tube.sample_count,
            "state": tube.state,
        }
    )
