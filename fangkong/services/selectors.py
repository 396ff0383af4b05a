"""Reads over requests and care lists, always limited to the requesting user's area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from fangkong.accounts.permissions import can
from fangkong.core.areas import is_within
from fangkong.core.areas import within_q as _within
from fangkong.core.errors import PermissionDeniedError
from fangkong.core.tallies import tally_open_overdue
from fangkong.geo.selectors import area_names
from fangkong.people.models import Resident, ResidentStatus

from .kinds import request_catalogue
from .models import (
    OPEN_STATES,
    CounsellingAssignment,
    MedicalTrip,
    RequestEvent,
    ServiceRequest,
)
from .services.care import VULNERABLE_TAGS


def _require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDeniedError(field="requests", code="forbidden", message="forbidden")


def scoped_requests(user) -> QuerySet[ServiceRequest]:
    """Every request the user may see; the only way a request query starts."""
    _require(user, "view_requests")
    return ServiceRequest.objects.filter(_within(user.scope_code))


@dataclass(frozen=True)
class RequestFilter:
    kind: str | None = None
    state: str | None = None
    area_code: str | None = None
    open_only: bool = False
    overdue: bool = False


def list_requests(
    *, user, filters: RequestFilter, now: dt.datetime | None = None
) -> QuerySet[ServiceRequest]:
    """The queue: critical first, then care before supplies, then the nearest deadline."""
    qs = scoped_requests(user)
    f = filters
    if f.area_code:
        if not (is_within(f.area_code, user.scope_code) or is_within(user.scope_code, f.area_code)):
            return qs.none()
        qs = qs.filter(_within(f.area_code))
    if f.state:
        qs = qs.filter(state=f.state)
    elif f.open_only or f.overdue:
        qs = qs.filter(state__in=OPEN_STATES)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.overdue:
        qs = qs.filter(due_at__lt=now or timezone.now())
    return qs.order_by("queue_rank", "due_at", "id")


def get_request(*, user, pk: int) -> ServiceRequest | None:
    return scoped_requests(user).filter(pk=pk).prefetch_related("lines").first()


def request_history(*, user, request: ServiceRequest) -> list[RequestEvent]:
    if get_request(user=user, pk=request.pk) is None:
        return []
    return list(request.events.order_by("at", "id"))


@dataclass(frozen=True)
class BoardRow:
    key: str
    label: str
    open: int
    overdue: int


@dataclass(frozen=True)
class RequestBoard:
    by_kind: list[BoardRow]
    by_grid: list[BoardRow]
    open: int
    overdue: int


def request_board(*, user, now: dt.datetime | None = None) -> RequestBoard:
    """Open and overdue requests by kind and by grid: two grouped queries and the names.

    The same figures the command centre shows: one figure, one function."""
    live = scoped_requests(user).filter(state__in=OPEN_STATES)
    overdue = Q(due_at__lt=now or timezone.now())
    catalogue = request_catalogue()
    kinds = [
        BoardRow(t.key, _kind_label(catalogue, t.key), t.open, t.overdue)
        for t in tally_open_overdue(live, by="kind", overdue=overdue)
    ]
    by_area = tally_open_overdue(live, by="area_code", overdue=overdue)
    names = area_names(t.key for t in by_area)
    return RequestBoard(
        by_kind=kinds,
        by_grid=[BoardRow(t.key, names.get(t.key, t.key), t.open, t.overdue) for t in by_area],
        open=sum(r.open for r in kinds),
        overdue=sum(r.overdue for r in kinds),
    )


def _kind_label(catalogue, code: str) -> str:
    kind = catalogue.kind(code)
    return str(kind.name) if kind is not None else code


def kind_label(code: str) -> str:
    """A request kind's name in the active language (the code for a withdrawn kind)."""
    return _kind_label(request_catalogue(), code)


def vulnerable_q() -> Q:
    return (
        Q(tags__tag__in=VULNERABLE_TAGS)
        | Q(care_profile__no_smartphone=True)
        | ~Q(care_profile__dialysis_days="") & Q(care_profile__isnull=False)
    )


def vulnerable_in(where: Q) -> QuerySet[Resident]:
    """Active residents matching `where` who need care, with their tags and care profile."""
    ids = Resident.objects.filter(where, status=ResidentStatus.ACTIVE).filter(vulnerable_q())
    return (
        Resident.objects.filter(pk__in=ids.values("pk"))
        .select_related("household__building", "care_profile")
        .prefetch_related("tags")
        .order_by("area_code", "household_id", "id")
    )


def vulnerable_residents(*, user, where: Q | None = None) -> QuerySet[Resident]:
    """The care list of the user's area (optionally narrowed, e.g. to a zone's members)."""
    _require(user, "view_requests")
    q = _within(user.scope_code)
    if where is not None:
        q &= where
    return vulnerable_in(q)


def trip_of(*, user, request: ServiceRequest) -> MedicalTrip | None:
    """The medical trip of a request the user may see."""
    if get_request(user=user, pk=request.pk) is None:
        return None
    return MedicalTrip.objects.filter(request=request).first()


def get_trip(*, user, pk: int) -> MedicalTrip | None:
    """A medical trip of the user's area."""
    _require(user, "view_requests")
    return MedicalTrip.objects.filter(_within(user.scope_code), pk=pk).first()


def counselling_of(*, user, request: ServiceRequest) -> CounsellingAssignment | None:
    """Who counsels a request the user may see (never the notes: see read_counselling_notes)."""
    if request.kind != "counselling" or get_request(user=user, pk=request.pk) is None:
        return None
    return (
        CounsellingAssignment.objects.filter(request=request).select_related("counsellor").first()
    )
