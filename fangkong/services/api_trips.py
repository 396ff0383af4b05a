"""Medical trips API, on the services router: plan a request's trip (escort, vehicle,
hospital, window; the zone's pass issued with it), record out, in and back, or hand over
to 120. A trip without an escort gets no pass and is not written."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from fangkong.core.http import RecordId

from . import selectors
from .api_common import REFUSALS, idempotent, not_found, router
from .models import MedicalTrip
from .services.trips import hand_over_to_120, plan_trip, record_trip_step


class TripIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    escort: str = Field("", max_length=64)
    leaves_at: dt.datetime
    returns_by: dt.datetime
    vehicle_plate: str = Field("", max_length=16)
    hospital: str = Field("", max_length=100)


class TripOut(Schema):
    id: int
    request_id: int
    state: str
    hospital: str
    escort: str
    vehicle_plate: str
    leaves_at: dt.datetime
    returns_by: dt.datetime
    out_at: dt.datetime | None
    arrived_at: dt.datetime | None
    back_at: dt.datetime | None
    handed_over_at: dt.datetime | None
    ambulance_ref: str
    pass_id: int | None


class StepIn(Schema):
    step: str = Field(..., max_length=16, description="leave, arrive or return")


class AmbulanceIn(Schema):
    ambulance_ref: str = Field(..., max_length=32)


def _out(trip: MedicalTrip) -> dict:
    return TripOut.from_orm(trip).model_dump(mode="json")


def _trip(request: HttpRequest, trip_id: int) -> MedicalTrip:
    trip = selectors.get_trip(user=request.actor, pk=trip_id)
    if trip is None:
        raise not_found("trip", _("No such trip."))
    return trip


@router.post("/requests/{request_id}/trip", response={201: TripOut, 200: TripOut, **REFUSALS})
def post_trip(request: HttpRequest, request_id: RecordId, body: TripIn):
    """Plan the request's trip once per idempotency key; the pass comes with it."""
    found = selectors.get_request(user=request.actor, pk=request_id)
    if found is None:
        raise not_found("request", _("No such request."))

    def write() -> tuple[int, dict]:
        trip = plan_trip(
            user=request.actor,
            request=found,
            escort=body.escort,
            leaves_at=body.leaves_at,
            returns_by=body.returns_by,
            vehicle_plate=body.vehicle_plate,
            hospital=body.hospital,
        )
        return 201, _out(trip)

    return idempotent(
        request,
        key=body.idempotency_key,
        scope=f"services.trip:{found.pk}",
        payload=body.model_dump(mode="json"),
        write=write,
    )


@router.post("/trips/{trip_id}/steps", response={200: TripOut, **REFUSALS})
def post_trip_step(request: HttpRequest, trip_id: RecordId, body: StepIn):
    """Left home, arrived at hospital, back home (which closes the trip)."""
    trip = record_trip_step(user=request.actor, trip=_trip(request, trip_id), step=body.step)
    return _out(trip)


@router.post("/trips/{trip_id}/handover-120", response={200: TripOut, **REFUSALS})
def post_trip_to_120(request: HttpRequest, trip_id: RecordId, body: AmbulanceIn):
    """An emergency: the 120 ambulance takes over; the call's reference is recorded."""
    trip = hand_over_to_120(
        user=request.actor, trip=_trip(request, trip_id), ambulance_ref=body.ambulance_ref
    )
    return _out(trip)
