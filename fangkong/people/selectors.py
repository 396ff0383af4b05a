"""Reads over residents, always limited to the requesting user's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from fangkong.accounts.permissions import can
from fangkong.core.areas import is_within
from fangkong.core.errors import PermissionDeniedError

from .models import Resident
from .services import document_index, phone_index


@dataclass(frozen=True)
class ResidentFilter:
    area_code: str | None = None
    tag: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    status: str | None = None
    residency: str | None = None
    q: str | None = None  # a name, a full document number or a full phone number


def _years_ago(years: int, today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def scoped_residents(user) -> QuerySet[Resident]:
    """Every resident the user may see; the only way selectors start a resident query."""
    if not can(user, "view_residents"):
        raise PermissionDeniedError(field="residents", code="forbidden", message="forbidden")
    scope = user.scope_code
    return Resident.objects.filter(Q(area_code=scope) | Q(area_code__startswith=scope + "-"))


def list_residents(*, user, filters: ResidentFilter) -> QuerySet[Resident]:
    qs = scoped_residents(user)
    f = filters
    if f.area_code:
        if not (is_within(f.area_code, user.scope_code) or is_within(user.scope_code, f.area_code)):
            return qs.none()
        depth = len(f.area_code.split("-"))
        if depth >= 5:  # building or household: residents carry the grid code
            if depth == 6:
                qs = qs.filter(household__code=f.area_code)
            else:
                qs = qs.filter(household__building__code=f.area_code)
        else:
            qs = qs.filter(Q(area_code=f.area_code) | Q(area_code__startswith=f.area_code + "-"))
    if f.tag:
        qs = qs.filter(tags__tag=f.tag)
    today = timezone.localdate()
    if f.min_age is not None:
        qs = qs.filter(birth_date__lte=_years_ago(f.min_age, today))
    if f.max_age is not None:
        qs = qs.filter(birth_date__gt=_years_ago(f.max_age + 1, today))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.residency:
        qs = qs.filter(residency=f.residency)
    if f.q:
        term = f.q.strip()
        from fangkong.core.documents import normalise

        compact = normalise(term)
        if compact.isdigit() and len(compact) == 11:
            qs = qs.filter(phone_index=phone_index(compact))
        elif len(compact) in (15, 18) and compact[:17].isdigit():
            qs = qs.filter(document_index=document_index("resident_id", compact))
        else:
            qs = qs.filter(name__startswith=term)
    return qs.select_related("household", "household__building").order_by(
        "area_code", "household_id", "id"
    )


def get_resident(*, user, pk: int) -> Resident | None:
    return (
        scoped_residents(user)
        .select_related("household", "household__building", "household__building__compound")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )
