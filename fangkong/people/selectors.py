"""Reads over residents, always limited to the requesting user's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from fangkong.accounts.permissions import can
from fangkong.core.areas import AreaCode, is_within, within_q
from fangkong.core.documents import normalise, validate_resident_id
from fangkong.core.errors import PermissionDeniedError, RuleViolation, out_of_scope

from .models import ConflictState, ImportConflict, Residency, Resident, ResidentStatus
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
    return Resident.objects.filter(within_q(scope))


# Who a round must reach: residents living here, registered or floating (visitors are
# counted apart).
IN_SCOPE_RESIDENCY = (Residency.REGISTERED, Residency.FLOATING)
POPULATION_CACHE_SECONDS = 60


def population_by_grid(user) -> dict[str, int]:
    """Residents in scope (active, registered or floating) per grid, for the user's area.

    Coverage and the dashboard divide by these counts on every refresh; counting a million
    residents took most of a dashboard render. The district-wide counts are cached per process
    until a resident is added or saved (the newest id and update time, two index lookups) and
    for at most POPULATION_CACHE_SECONDS, which also bounds how long a bulk `update()` that
    leaves `updated_at` alone can go unseen.
    """
    scoped_residents(user)  # the permission check, refused and audited like every read
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        # Two subqueries, each answered from the end of an index (one MAX per SELECT).
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {table}), (SELECT MAX(updated_at) FROM {table})"  # noqa: S608 - table name from the model
        )
        newest, changed = cursor.fetchone()
    key = f"fangkong:population:{newest}:{str(changed).replace(' ', 'T')}"
    counts = cache.get(key)
    if counts is None:
        counts = dict(
            Resident.objects.filter(status=ResidentStatus.ACTIVE, residency__in=IN_SCOPE_RESIDENCY)
            .values_list("area_code")
            .annotate(n=Count("id"))
            .order_by()
        )
        cache.set(key, counts, POPULATION_CACHE_SECONDS)
    scope = user.scope_code
    return {code: n for code, n in counts.items() if is_within(code, scope)}


def list_residents(*, user, filters: ResidentFilter) -> QuerySet[Resident]:
    qs = scoped_residents(user)
    f = filters
    if f.area_code:
        if not (is_within(f.area_code, user.scope_code) or is_within(user.scope_code, f.area_code)):
            return qs.none()
        depth = AreaCode(f.area_code).depth
        if depth >= 5:  # building or household: residents carry the grid code
            if depth == 6:
                qs = qs.filter(household__code=f.area_code)
            else:
                qs = qs.filter(household__building__code=f.area_code)
        else:
            qs = qs.filter(within_q(f.area_code))
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

        compact = normalise(term)
        if compact.isdigit() and len(compact) == 11:
            qs = qs.filter(phone_index=phone_index(compact))
        elif len(compact) in (15, 18) and compact[:17].isdigit():
            qs = qs.filter(document_index=document_index("resident_id", _stored_form(compact)))
        else:
            qs = qs.filter(name__startswith=term)
    return qs.select_related("household", "household__building").order_by(
        "area_code", "household_id", "id"
    )


def _stored_form(number: str) -> str:
    """A first-generation 15-digit number as it is stored: upgraded to its 18 digits."""
    try:
        return validate_resident_id(number).number
    except RuleViolation:
        return number


def get_resident(*, user, pk: int) -> Resident | None:
    """The resident, or None when there is none; one outside the user's area is refused."""
    resident = (
        scoped_residents(user)
        .select_related("household", "household__building", "household__building__compound")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )
    if resident is None:
        area_code = Resident.objects.filter(pk=pk).values_list("area_code", flat=True).first()
        if area_code is not None:
            raise out_of_scope(object_type="resident", object_id=pk, area_code=area_code)
    return resident


def list_import_conflicts(*, user, state: str = ConflictState.OPEN) -> QuerySet[ImportConflict]:
    """Import conflicts about people in the user's area, oldest first."""
    if not can(user, "import_residents"):
        raise PermissionDeniedError(field="residents", code="forbidden", message="forbidden")
    scope = user.scope_code
    return (
        ImportConflict.objects.filter(within_q(scope))
        .filter(state=state)
        .select_related("resident", "resident__household", "household")
        .order_by("created_at", "id")
    )
