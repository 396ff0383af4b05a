"""Reads over river chiefs, patrols and hazards, limited to the requesting user's area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from fangkong.accounts.permissions import can
from fangkong.core.areas import within_q
from fangkong.core.errors import PermissionDeniedError

from .models import GovCase, Hazard, PatrolLog, Photo, RiverChief
from .patrol_plans import patrol_plans, period


def my_posts(*, user) -> list[RiverChief]:
    """The segments the user is chief of (the phone page's choices)."""
    return list(RiverChief.objects.filter(user=user).select_related("segment", "segment__river"))


@dataclass(frozen=True)
class Compliance:
    chief: RiverChief
    start: dt.date
    end: dt.date
    required: int
    done: int

    @property
    def compliant(self) -> bool:
        return self.done >= self.required


def chief_compliance(*, user, on: dt.date | None = None) -> list[Compliance]:
    """Each chief in the user's area: patrols that count in the plan's current period."""
    if not can(user, "view_cases"):
        raise PermissionDeniedError(field="rivers", code="forbidden", message="forbidden")
    on = on or timezone.localdate()
    plans = patrol_plans()
    chiefs = list(
        RiverChief.objects.filter(within_q(user.scope_code, "segment__area_code"))
        .select_related("segment", "segment__river", "user")
        .order_by("segment__river__name", "segment__name", "level")
    )
    rows = []
    for chief in chiefs:
        plan = plans.levels[chief.level]
        start, end = period(plan.every, on)
        done = PatrolLog.objects.filter(
            chief=chief,
            counts=True,
            started_at__date__gte=start,
            started_at__date__lte=end,
        ).count()
        rows.append(Compliance(chief, start, end, plan.times, done))
    return rows


def recent_patrols(*, user, limit: int = 20) -> list[PatrolLog]:
    return list(
        PatrolLog.objects.filter(chief__user=user)
        .select_related("chief__segment")
        .prefetch_related("photo_files")[:limit]
    )


def get_photo(*, user, pk: int) -> Photo | None:
    """A photo the user may see: of a case in their area, or of a patrol that is their own
    or on a segment in their area."""
    photo = Photo.objects.select_related("case", "patrol__chief__segment").filter(pk=pk).first()
    if photo is None or not user.is_authenticated:
        return None
    if photo.case is not None and can(user, "view_cases", photo.case.area_code):
        return photo
    if photo.patrol is not None and (
        photo.patrol.chief.user_id == user.pk
        or can(user, "view_cases", photo.patrol.chief.segment.area_code)
    ):
        return photo
    return None


def open_hazards(*, user) -> list[GovCase]:
    """River hazards not yet closed off the list (销号) in the user's area, oldest first."""
    if not can(user, "view_cases"):
        raise PermissionDeniedError(field="rivers", code="forbidden", message="forbidden")
    return list(
        GovCase.objects.filter(
            within_q(user.scope_code, "area_code"), kind="river_hazard", closed_at__isnull=True
        )
        .select_related("hazard__segment__river")
        .order_by("received_at")
    )


def hazard_of(*, user, case: GovCase) -> Hazard | None:
    if case.kind != "river_hazard" or not can(user, "view_cases", case.area_code):
        return None
    return Hazard.objects.filter(case=case).select_related("segment__river").first()
