"""Volunteers and shifts API, on the services router: register a volunteer, review one,
plan a shift, read its suggestions (nearest first), assign, check in and check out. A
volunteer already on a shift at that time is refused (422, field `volunteer`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from fangkong.core.http import RecordId

from . import volunteer_selectors
from .api_common import REFUSALS, idempotent, not_found, router
from .models import Assignment, Shift, Volunteer
from .services.volunteers import (
    assign_volunteer,
    check_in,
    check_out,
    create_shift,
    register_volunteer,
    review_volunteer,
)


class VolunteerIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    name: str = Field(..., max_length=64)
    phone: str = Field(..., max_length=20)
    grid_code: str = Field(..., max_length=64)
    skills: list[str] = Field([], max_length=10)
    party_member: bool = False
    available_days: list[int] = Field([], max_length=7)
    test_valid_until: dt.datetime | None = None
    approve: bool = False


class VolunteerOut(Schema):
    id: int
    name: str
    phone_masked: str
    area_code: str
    skills: list[str]
    party_member: bool
    available_days: list[int]
    test_valid_until: dt.datetime | None
    status: str


class ReviewIn(Schema):
    approve: bool


class ShiftIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    kind: str = Field(..., max_length=16)
    area_code: str = Field(..., max_length=64)
    starts_at: dt.datetime
    ends_at: dt.datetime
    skill: str = Field("", max_length=16)
    capacity: int = Field(1, ge=1, le=100)
    place: str = Field("", max_length=100)


class ShiftOut(Schema):
    id: int
    kind: str
    area_code: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    skill: str
    capacity: int


class AssignIn(Schema):
    idempotency_key: str = Field(..., min_length=1, max_length=128)
    volunteer_id: int = Field(..., ge=1, le=2**63 - 1)


class AssignmentOut(Schema):
    id: int
    shift_id: int
    volunteer_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    hours: Decimal


def _volunteer(volunteer: Volunteer) -> dict:
    return VolunteerOut.from_orm(volunteer).model_dump(mode="json")


def _assignment(assignment: Assignment) -> dict:
    return AssignmentOut.from_orm(assignment).model_dump(mode="json")


def _shift(request: HttpRequest, shift_id: int) -> Shift:
    shift = volunteer_selectors.get_shift(user=request.actor, pk=shift_id)
    if shift is None:
        raise not_found("shift", _("No such shift."))
    return shift


def _placed(request: HttpRequest, assignment_id: int) -> Assignment:
    assignment = volunteer_selectors.get_assignment(user=request.actor, pk=assignment_id)
    if assignment is None:
        raise not_found("assignment", _("No such assignment."))
    return assignment


@router.post("/volunteers", response={201: VolunteerOut, 200: VolunteerOut, **REFUSALS})
def post_volunteer(request: HttpRequest, body: VolunteerIn):
    """Register a volunteer on their behalf (approved at once with `approve`)."""

    def write() -> tuple[int, dict]:
        volunteer = register_volunteer(
            user=request.actor, **body.model_dump(exclude={"idempotency_key"})
        )
        return 201, _volunteer(volunteer)

    return idempotent(
        request,
        key=body.idempotency_key,
        scope="services.volunteers",
        payload=body.model_dump(mode="json"),
        write=write,
    )


@router.post("/volunteers/{volunteer_id}/review", response={200: VolunteerOut, **REFUSALS})
def post_review(request: HttpRequest, volunteer_id: RecordId, body: ReviewIn):
    """The community's review of an applicant: approved or rejected, once."""
    volunteer = volunteer_selectors.get_volunteer(user=request.actor, pk=volunteer_id)
    if volunteer is None:
        raise not_found("volunteer", _("No such volunteer."))
    return _volunteer(
        review_volunteer(user=request.actor, volunteer=volunteer, approve=body.approve)
    )


@router.post("/shifts", response={201: ShiftOut, 200: ShiftOut, **REFUSALS})
def post_shift(request: HttpRequest, body: ShiftIn):
    """Plan a shift at a booth, for deliveries, at a checkpoint or on the phones."""

    def write() -> tuple[int, dict]:
        shift = create_shift(user=request.actor, **body.model_dump(exclude={"idempotency_key"}))
        return 201, ShiftOut.from_orm(shift).model_dump(mode="json")

    return idempotent(
        request,
        key=body.idempotency_key,
        scope="services.shifts",
        payload=body.model_dump(mode="json"),
        write=write,
    )


@router.get("/shifts/{shift_id}/suggestions", response={200: list[VolunteerOut], **REFUSALS})
def get_suggestions(request: HttpRequest, shift_id: RecordId):
    """Volunteers who fit the shift and are free: same grid first, then community,
    sub-district, the rest of the caller's area."""
    shift = _shift(request, shift_id)
    return [
        _volunteer(v)
        for v in volunteer_selectors.suggest_volunteers(user=request.actor, shift=shift)
    ]


@router.post(
    "/shifts/{shift_id}/assignments", response={201: AssignmentOut, 200: AssignmentOut, **REFUSALS}
)
def post_assignment(request: HttpRequest, shift_id: RecordId, body: AssignIn):
    """Put a volunteer on the shift; one already on a shift at that time is refused."""
    shift = _shift(request, shift_id)
    volunteer = volunteer_selectors.get_volunteer(user=request.actor, pk=body.volunteer_id)
    if volunteer is None:
        raise not_found("volunteer_id", _("No such volunteer."))

    def write() -> tuple[int, dict]:
        placed = assign_volunteer(user=request.actor, shift=shift, volunteer=volunteer)
        return 201, _assignment(placed)

    return idempotent(
        request,
        key=body.idempotency_key,
        scope=f"services.assign:{shift.pk}",
        payload=body.model_dump(mode="json"),
        write=write,
    )


@router.post("/assignments/{assignment_id}/check-in", response={200: AssignmentOut, **REFUSALS})
def post_check_in(request: HttpRequest, assignment_id: RecordId):
    """The volunteer arrived: the hours start."""
    return _assignment(check_in(user=request.actor, assignment=_placed(request, assignment_id)))


@router.post("/assignments/{assignment_id}/check-out", response={200: AssignmentOut, **REFUSALS})
def post_check_out(request: HttpRequest, assignment_id: RecordId):
    """The volunteer left: the hours served go to the ledger."""
    return _assignment(check_out(user=request.actor, assignment=_placed(request, assignment_id)))
