"""Medical trips: planned with escort, vehicle and window; out, in, back; or handed to 120.

Planning a trip for a resident inside an active zone issues the zones app's checkpoint pass
for exactly the trip's window, in the same transaction: a refused pass leaves no trip.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import User
from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode
from fangkong.core.documents import normalise
from fangkong.core.events import publish
from fangkong.zones.selectors import applicable_zone_for_resident
from fangkong.zones.services.passes import issue_pass

from ..events import MedicalTripClosed
from ..models import DesignatedHospital, MedicalTrip, ServiceRequest, TripState
from .common import bad, log_event, now_or
from .requests import complete_request

TRIP_KINDS = ("medical_trip", "dialysis", "maternity")
MAX_TRIP = dt.timedelta(hours=24)


def set_designated_hospital(
    *, user, area_code: str, name: str, hotline: str = ""
) -> DesignatedHospital:
    """Pair a sub-district with its designated hospital (replacing an earlier pairing)."""
    require_permission(actor=user, action="handle_requests", area_code=area_code)
    if AreaCode(area_code).level != "subdistrict":
        raise bad("area_code", "not_subdistrict", _("A designated hospital serves a sub-district."))
    if not name.strip():
        raise bad("name", "required", _("Name the hospital."))
    hospital, _created = DesignatedHospital.objects.update_or_create(
        area_code=area_code, defaults={"name": name.strip()[:100], "hotline": hotline.strip()[:32]}
    )
    return hospital


def designated_hospital(area_code: str) -> DesignatedHospital | None:
    return DesignatedHospital.objects.filter(area_code=AreaCode(area_code).subdistrict).first()


def _check_plan(
    request: ServiceRequest, escort: str, leaves_at: dt.datetime, returns_by: dt.datetime
) -> None:
    if request.kind not in TRIP_KINDS:
        raise bad(
            "request",
            "not_a_trip",
            _("Only a medical, dialysis or maternity request makes a trip."),
        )
    if not request.is_open:
        raise bad("request", "finished", _("This request is already finished."))
    if request.resident_id is None:
        raise bad("request", "no_person", _("A trip is for a person: the request names none."))
    if MedicalTrip.objects.filter(request=request).exists():
        raise bad("request", "has_trip", _("This request already has its trip."))
    if not escort.strip():
        raise bad("escort", "required", _("A trip needs an escort: no pass without one."))
    if returns_by <= leaves_at:
        raise bad("returns_by", "order", _("The trip must end after it starts."))
    if returns_by - leaves_at > MAX_TRIP:
        raise bad("returns_by", "too_long", _("A trip lasts 24 hours at most."))


def plan_trip(
    *,
    user,
    request: ServiceRequest,
    escort: str,
    leaves_at: dt.datetime,
    returns_by: dt.datetime,
    vehicle_plate: str = "",
    hospital: str = "",
    now: dt.datetime | None = None,
) -> MedicalTrip:
    """The trip, and the checkpoint pass for its window when the person lives in a zone."""
    require_permission(
        actor=user,
        action="handle_requests",
        area_code=request.area_code,
        object_type="service_request",
        object_id=request.pk,
    )
    _check_plan(request, escort, leaves_at, returns_by)
    hospital = hospital.strip()
    if not hospital:
        paired = designated_hospital(request.area_code)
        if paired is None:
            raise bad(
                "hospital",
                "required",
                _("Name the hospital: this sub-district has no designated one."),
            )
        hospital = paired.name
    resident = request.resident
    zone = applicable_zone_for_resident(resident).zone
    now = now_or(now)
    with transaction.atomic():
        issued = None
        if zone is not None:
            plate = normalise(vehicle_plate or "")
            issued = issue_pass(
                zone=zone,
                user=user,
                subject="vehicle" if plate else "person",
                purpose="medical",  # the zones app's pass purposes
                valid_from=leaves_at,
                valid_until=returns_by,
                resident=resident,
                plate=plate,
                note=f"{request.number} · {escort.strip()}"[:200],
            )
        trip = MedicalTrip.objects.create(
            request=request,
            area_code=request.area_code,
            hospital=hospital[:100],
            escort=escort.strip()[:64],
            vehicle_plate=normalise(vehicle_plate or "")[:16],
            leaves_at=leaves_at,
            returns_by=returns_by,
            pass_id=issued.pk if issued is not None else None,
            planned_by=user if isinstance(user, User) else None,
        )
        log_event(
            request,
            action="trip_planned",
            user=user,
            at=now,
            detail={"trip": trip.pk, "pass": trip.pass_id},
        )
    return trip


def _locked_trip(trip: MedicalTrip) -> MedicalTrip:
    return MedicalTrip.objects.select_for_update().select_related("request").get(pk=trip.pk)


_STEPS = {
    # step: (allowed from, to, time field)
    "leave": ((TripState.PLANNED,), TripState.OUT, "out_at"),
    "arrive": ((TripState.OUT,), TripState.AT_HOSPITAL, "arrived_at"),
    "return": ((TripState.AT_HOSPITAL,), TripState.BACK, "back_at"),
}


def record_trip_step(
    *, user, trip: MedicalTrip, step: str, now: dt.datetime | None = None
) -> MedicalTrip:
    """Left, arrived, back home. Back home closes the trip and fulfils its request."""
    require_permission(
        actor=user,
        action="handle_requests",
        area_code=trip.area_code,
        object_type="medical_trip",
        object_id=trip.pk,
    )
    if step not in _STEPS:
        raise bad("step", "choice", _("Unknown step."))
    allowed, to, field = _STEPS[step]
    now = now_or(now)
    with transaction.atomic():
        trip = _locked_trip(trip)
        if trip.state not in allowed:
            raise bad("step", "order", _("This step does not follow the trip's last one."))
        trip.state = to
        setattr(trip, field, now)
        trip.save(update_fields=["state", field, "updated_at"])
        log_event(trip.request, action=f"trip_{step}", user=user, at=now)
        if to == TripState.BACK:
            _close(
                trip,
                user=user,
                now=now,
                outcome=_("Taken to %(hospital)s and back home.") % {"hospital": trip.hospital},
            )
    return trip


def hand_over_to_120(
    *, user, trip: MedicalTrip, ambulance_ref: str, now: dt.datetime | None = None
) -> MedicalTrip:
    """An emergency: the 120 ambulance takes over; the call is recorded and the trip closed."""
    require_permission(
        actor=user,
        action="handle_requests",
        area_code=trip.area_code,
        object_type="medical_trip",
        object_id=trip.pk,
    )
    ref = (ambulance_ref or "").strip()
    if not ref:
        raise bad("ambulance_ref", "required", _("Record the 120 call's reference."))
    now = now_or(now)
    with transaction.atomic():
        trip = _locked_trip(trip)
        if not trip.is_open:
            raise bad("trip", "finished", _("This trip is already closed."))
        trip.state = TripState.HANDED_OVER
        trip.handed_over_at = now
        trip.ambulance_ref = ref[:32]
        trip.save(update_fields=["state", "handed_over_at", "ambulance_ref", "updated_at"])
        _close(
            trip, user=user, now=now, outcome=_("Handed over to 120 (%(ref)s).") % {"ref": ref[:32]}
        )
    return trip


def _close(trip: MedicalTrip, *, user, now: dt.datetime, outcome) -> None:
    request = trip.request
    if request.is_open and not request.lines.exists():
        complete_request(user=user, request=request, outcome=str(outcome), now=now)
    publish(
        MedicalTripClosed(
            area_code=trip.area_code,
            trip_id=trip.pk,
            hospital=trip.hospital,
            emergency=trip.state == TripState.HANDED_OVER,
            person=request.subject,
        ),
        occurred_at=now,
    )
