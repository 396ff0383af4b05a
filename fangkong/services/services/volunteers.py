"""Volunteers: public sign-up, review, shifts, assignment (skills, availability, nearness),
check-in and check-out with the hours ledger; staff duty rotas (值班) and who is on duty.

A volunteer on two shifts at once is refused, as is one without the shift's skill, without a
negative test valid through the shift, or not yet approved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import User
from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode, is_within
from fangkong.core.crypto import encrypt
from fangkong.core.masking import mask_phone
from fangkong.geo.selectors import area_exists

from ..models import (
    Assignment,
    DutyShift,
    Shift,
    ShiftKind,
    Skill,
    Volunteer,
    VolunteerStatus,
)
from .common import actor_name, bad, now_or

PHONE = re.compile(r"^1\d{10}$")
MAX_SHIFT = dt.timedelta(hours=12)


def sign_up_volunteer(
    *,
    name: str,
    phone: str,
    grid_code: str,
    skills: Iterable[str] = (),
    party_member: bool = False,
    available_days: Iterable[int] = (),
    test_valid_until: dt.datetime | None = None,
) -> Volunteer:
    """The public sign-up: anyone may apply; the community reviews before any shift."""
    name = (name or "").strip()
    if not name:
        raise bad("name", "required", _("Give your name."))
    phone = (phone or "").strip()
    if not PHONE.match(phone):
        raise bad("phone", "invalid", _("Enter an 11-digit mobile number."))
    try:
        is_grid = AreaCode.parse(grid_code).depth == 4
    except ValueError:
        is_grid = False
    if not is_grid:
        raise bad("grid_code", "not_a_grid", _("Choose the grid you live in."))
    if not area_exists(grid_code):
        raise bad("grid_code", "unknown", _("No area has this code."))
    skills = sorted(set(skills))
    if not set(skills) <= set(Skill.values):
        raise bad("skills", "choice", _("Unknown skill."))
    days = sorted(set(available_days))
    if any(not 0 <= d <= 6 for d in days):
        raise bad("available_days", "choice", _("Days are weekdays, Monday 0 to Sunday 6."))
    return Volunteer.objects.create(
        name=name[:64],
        phone_cipher=encrypt(phone, context="services.volunteer.phone"),
        phone_masked=mask_phone(phone),
        area_code=grid_code,
        skills=skills,
        party_member=party_member,
        available_days=days,
        test_valid_until=test_valid_until,
    )


def register_volunteer(
    *,
    user,
    name: str,
    phone: str,
    grid_code: str,
    skills: Iterable[str] = (),
    party_member: bool = False,
    available_days: Iterable[int] = (),
    test_valid_until: dt.datetime | None = None,
    approve: bool = False,
    now: dt.datetime | None = None,
) -> Volunteer:
    """Staff register a volunteer who signed up on paper or by phone, approving them at once
    when they say so; a refusal writes nothing."""
    require_permission(actor=user, action="manage_volunteers", area_code=grid_code)
    with transaction.atomic():
        volunteer = sign_up_volunteer(
            name=name,
            phone=phone,
            grid_code=grid_code,
            skills=skills,
            party_member=party_member,
            available_days=available_days,
            test_valid_until=test_valid_until,
        )
        if approve:
            volunteer = review_volunteer(user=user, volunteer=volunteer, approve=True, now=now)
    return volunteer


def review_volunteer(
    *, user, volunteer: Volunteer, approve: bool, now: dt.datetime | None = None
) -> Volunteer:
    require_permission(actor=user, action="manage_volunteers", area_code=volunteer.area_code)
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if volunteer.status != VolunteerStatus.APPLIED:
            raise bad("volunteer", "reviewed", _("This volunteer has already been reviewed."))
        volunteer.status = VolunteerStatus.APPROVED if approve else VolunteerStatus.REJECTED
        volunteer.reviewed_by = actor_name(user)
        volunteer.reviewed_at = now_or(now)
        volunteer.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    return volunteer


def record_test(*, user, volunteer: Volunteer, valid_until: dt.datetime) -> Volunteer:
    require_permission(actor=user, action="manage_volunteers", area_code=volunteer.area_code)
    volunteer.test_valid_until = valid_until
    volunteer.save(update_fields=["test_valid_until", "updated_at"])
    return volunteer


def create_shift(
    *,
    user,
    kind: str,
    area_code: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    skill: str = "",
    capacity: int = 1,
    place: str = "",
) -> Shift:
    require_permission(actor=user, action="manage_volunteers", area_code=area_code)
    if kind not in ShiftKind.values:
        raise bad(
            "kind", "choice", _("A shift is at a booth, for deliveries, a checkpoint or calls.")
        )
    if skill and skill not in Skill.values:
        raise bad("skill", "choice", _("Unknown skill."))
    if ends_at <= starts_at:
        raise bad("ends_at", "order", _("The shift must end after it starts."))
    if ends_at - starts_at > MAX_SHIFT:
        raise bad("ends_at", "too_long", _("A shift lasts 12 hours at most."))
    if not 1 <= capacity <= 100:
        raise bad("capacity", "range", _("A shift needs 1 to 100 people."))
    return Shift.objects.create(
        kind=kind,
        area_code=area_code,
        starts_at=starts_at,
        ends_at=ends_at,
        skill=skill,
        capacity=capacity,
        place=(place or "").strip()[:100],
    )


def _overlapping(volunteer_id: int, starts_at: dt.datetime, ends_at: dt.datetime):
    return Assignment.objects.filter(
        volunteer_id=volunteer_id, starts_at__lt=ends_at, ends_at__gt=starts_at
    )


def _check_fit(shift: Shift, volunteer: Volunteer) -> None:
    if volunteer.status != VolunteerStatus.APPROVED:
        raise bad("volunteer", "not_approved", _("This volunteer has not been approved yet."))
    if shift.skill and shift.skill not in volunteer.skills:
        raise bad("volunteer", "skill", _("This volunteer lacks the shift's skill."))
    if volunteer.test_valid_until is None or volunteer.test_valid_until < shift.ends_at:
        raise bad("volunteer", "test", _("The volunteer's negative test does not cover the shift."))
    local_day = timezone.localtime(shift.starts_at).weekday()
    if volunteer.available_days and local_day not in volunteer.available_days:
        raise bad("volunteer", "unavailable", _("The volunteer is not available that day."))


def assign_volunteer(*, user, shift: Shift, volunteer: Volunteer) -> Assignment:
    """Put an approved volunteer on a shift; two shifts at once are refused."""
    require_permission(actor=user, action="manage_volunteers", area_code=shift.area_code)
    _check_fit(shift, volunteer)
    with transaction.atomic():
        # Lock the volunteer: two coordinators booking them at once are served in turn.
        Volunteer.objects.select_for_update().filter(pk=volunteer.pk).first()
        Shift.objects.select_for_update().filter(pk=shift.pk).first()
        if _overlapping(volunteer.pk, shift.starts_at, shift.ends_at).exists():
            raise bad(
                "volunteer",
                "double_booked",
                _("This volunteer is already on a shift at that time."),
            )
        if shift.assignments.count() >= shift.capacity:
            raise bad("shift", "full", _("This shift has all the people it needs."))
        return Assignment.objects.create(
            shift=shift, volunteer=volunteer, starts_at=shift.starts_at, ends_at=shift.ends_at
        )


def check_in(*, user, assignment: Assignment, now: dt.datetime | None = None) -> Assignment:
    require_permission(actor=user, action="manage_volunteers", area_code=assignment.shift.area_code)
    if assignment.checked_in_at is not None:
        raise bad("assignment", "checked_in", _("Already checked in."))
    assignment.checked_in_at = now_or(now)
    assignment.save(update_fields=["checked_in_at"])
    return assignment


def check_out(*, user, assignment: Assignment, now: dt.datetime | None = None) -> Assignment:
    """Check out; the hours served go to the ledger (to the quarter hour)."""
    require_permission(actor=user, action="manage_volunteers", area_code=assignment.shift.area_code)
    if assignment.checked_in_at is None:
        raise bad("assignment", "not_checked_in", _("Check in first."))
    if assignment.checked_out_at is not None:
        raise bad("assignment", "checked_out", _("Already checked out."))
    now = now_or(now)
    if now <= assignment.checked_in_at:
        raise bad("assignment", "order", _("Check-out must come after check-in."))
    quarters = int((now - assignment.checked_in_at) / dt.timedelta(minutes=15))
    assignment.checked_out_at = now
    assignment.hours = Decimal(quarters) / 4
    assignment.save(update_fields=["checked_out_at", "hours"])
    return assignment


def put_on_duty(
    *,
    user,
    area_code: str,
    staff: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    post: str = "",
) -> DutyShift:
    """A staff member on the unit's duty rota; nobody is on two duties at once."""
    require_permission(actor=user, action="manage_volunteers", area_code=area_code)
    if not is_within(area_code, staff.scope_code) and not is_within(staff.scope_code, area_code):
        raise bad("staff", "other_unit", _("This person works in another area."))
    if ends_at <= starts_at:
        raise bad("ends_at", "order", _("The duty must end after it starts."))
    if DutyShift.objects.filter(user=staff, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise bad("staff", "double_booked", _("This person is already on duty at that time."))
    return DutyShift.objects.create(
        area_code=area_code,
        user=staff,
        starts_at=starts_at,
        ends_at=ends_at,
        post=(post or "").strip()[:64],
    )


def on_duty(*, area_code: str, at: dt.datetime) -> list[DutyShift]:
    """Who is on duty at `at` for the area and the units above it: the list the command
    centre calls for its roll call (到岗) when an incident opens."""
    units = [str(a) for a in AreaCode(area_code).lineage]
    return list(
        DutyShift.objects.filter(area_code__in=units, starts_at__lte=at, ends_at__gt=at)
        .select_related("user")
        .order_by("area_code", "starts_at", "id")
    )
