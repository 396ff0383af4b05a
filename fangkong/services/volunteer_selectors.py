"""Reads over volunteers, shifts and hours, limited to the requesting user's area."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core.areas import LEVELS, AreaCode, is_within
from fangkong.geo.selectors import get_node

from .models import Assignment, DutyShift, Shift, Volunteer, VolunteerStatus
from .selectors import _require, _within


def scoped_volunteers(user) -> QuerySet[Volunteer]:
    _require(user, "manage_volunteers")
    return Volunteer.objects.filter(_within(user.scope_code))


def applicants(*, user) -> QuerySet[Volunteer]:
    return scoped_volunteers(user).filter(status=VolunteerStatus.APPLIED).order_by("created_at")


def get_volunteer(*, user, pk: int) -> Volunteer | None:
    return scoped_volunteers(user).filter(pk=pk).first()


def upcoming_shifts(*, user, limit: int = 50) -> list[Shift]:
    _require(user, "manage_volunteers")
    return list(
        Shift.objects.filter(_within(user.scope_code), ends_at__gt=timezone.now()).order_by(
            "starts_at"
        )[:limit]
    )


def get_shift(*, user, pk: int) -> Shift | None:
    _require(user, "manage_volunteers")
    return Shift.objects.filter(_within(user.scope_code), pk=pk).first()


# Nearer first: a volunteer of the shift's own grid walks there, one of its community knows
# its buildings, one of its sub-district is a short ride away.
NEAR_FIRST = ("grid", "community", "subdistrict")


def nearness(area_code: str) -> Case:
    """0 for a volunteer of the area's own grid, 1 of its community, 2 of its sub-district,
    3 for the rest; a level below the area's own is skipped (a community's shift has no
    grid of its own)."""
    area = AreaCode(area_code)
    whens = [
        When(_within(area.upto(level)), then=Value(rank))
        for rank, level in enumerate(NEAR_FIRST)
        if LEVELS.index(level) < area.depth
    ]
    return Case(*whens, default=Value(len(NEAR_FIRST)), output_field=IntegerField())


def suggest_volunteers(*, user, shift: Shift, limit: int = 20) -> list[Volunteer]:
    """Approved volunteers of the user's area who fit the shift (skill, weekday, a negative
    test through its end) and are free then: same grid first, then community, then
    sub-district, then the rest; each tier in sign-up order."""
    busy = Assignment.objects.filter(
        starts_at__lt=shift.ends_at, ends_at__gt=shift.starts_at
    ).values("volunteer_id")
    candidates = (
        scoped_volunteers(user)
        .filter(status=VolunteerStatus.APPROVED, test_valid_until__gte=shift.ends_at)
        .exclude(pk__in=busy)
        .alias(nearness=nearness(shift.area_code))
        .order_by("nearness", "pk")
    )
    day = timezone.localtime(shift.starts_at).weekday()
    fit: list[Volunteer] = []
    # Skills and weekdays are short JSON lists: checked here, reading in tier order only as
    # far as the page needs.
    for v in candidates.iterator(chunk_size=200):
        if (not shift.skill or shift.skill in v.skills) and (
            not v.available_days or day in v.available_days
        ):
            fit.append(v)
            if len(fit) == limit:
                break
    return fit


def get_assignment(*, user, pk: int) -> Assignment | None:
    """A volunteer's place on a shift of the user's area."""
    _require(user, "manage_volunteers")
    return (
        Assignment.objects.filter(_within(user.scope_code, "shift__area_code"), pk=pk)
        .select_related("shift", "volunteer")
        .first()
    )


def hours_ledger(*, user, limit: int = 100) -> QuerySet[Volunteer]:
    """Approved volunteers with the hours they have served, most first."""
    return (
        scoped_volunteers(user)
        .filter(status=VolunteerStatus.APPROVED)
        .annotate(served=Sum("assignments__hours"))
        .order_by("-served", "id")[:limit]
    )


def duty_unit(*, user, code: str):
    """The unit (area node) whose rota the user may keep: in their scope, or None."""
    _require(user, "manage_volunteers")
    if not code or not is_within(code, user.scope_code):
        return None
    return get_node(code)


def duty_rota(*, user, area_code: str, limit: int = 200) -> list[DutyShift]:
    """A unit's duties not yet over, earliest first (the rota the duty office keeps)."""
    _require(user, "manage_volunteers")
    if not is_within(area_code, user.scope_code):
        return []
    return list(
        DutyShift.objects.filter(area_code=area_code, ends_at__gt=timezone.now())
        .select_related("user")
        .order_by("starts_at", "id")[:limit]
    )


def duty_staff(*, user, area_code: str) -> QuerySet[User]:
    """Who may stand duty for the unit: active staff in the user's area working in the unit,
    below it, or above it."""
    _require(user, "manage_volunteers")
    above = [str(a) for a in AreaCode(area_code).lineage if is_within(a, user.scope_code)]
    return (
        User.objects.filter(is_active=True)
        .filter(_within(area_code, "scope_code") | Q(scope_code__in=above))
        .filter(_within(user.scope_code, "scope_code"))
        .order_by("scope_code", "username")
    )
