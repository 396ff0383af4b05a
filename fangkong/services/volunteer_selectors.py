"""Reads over volunteers, shifts and hours, limited to the requesting user's area."""

from __future__ import annotations

from django.db.models import QuerySet, Sum
from django.utils import timezone

from .models import Shift, Volunteer, VolunteerStatus
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


def hours_ledger(*, user, limit: int = 100) -> QuerySet[Volunteer]:
    """Approved volunteers with the hours they have served, most first."""
    return (
        scoped_volunteers(user)
        .filter(status=VolunteerStatus.APPROVED)
        .annotate(served=Sum("assignments__hours"))
        .order_by("-served", "id")[:limit]
    )
