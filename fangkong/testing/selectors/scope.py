"""Which rounds a user sees, and which part of a round: the area codes every other read of
testing narrows by.

A round's part in view is a list of area codes (`round_prefixes`); residents, tubes and grids
are in view when they lie at or below one of them. The `*_q` builders turn that list into a
filter, one definition each.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.areas import LEVELS, AreaCode, is_within, within_q
from fangkong.core.errors import PermissionDeniedError
from fangkong.geo.models import Household
from fangkong.people.models import Resident

from ..models import TestingRound
from .phase import sampling_q


def depth(code: str) -> int:
    """Segments of an area code: 4 is a grid, 5 a building, 6 a household."""
    return AreaCode(code).depth


def grid_of(code: str) -> str:
    return AreaCode(code).grid


def round_prefixes(*, user, round: TestingRound, area_code: str | None = None) -> list[str]:
    """The area codes where the round, the user's scope and the requested node overlap.

    Each is a node of the tree; a resident, sample or tube is in view when it lies at or below
    one of them. Empty when the user's scope and the round do not meet.
    """
    base = user.scope_code
    if area_code:
        if is_within(area_code, base):
            base = area_code
        elif not is_within(base, area_code):
            return []
    found: list[str] = []
    for code in round.scope_codes:
        if is_within(code, base):
            found.append(code)
        elif is_within(base, code):
            found.append(base)
    # Drop codes that lie under another one, so nothing is counted twice.
    unique = sorted(set(found))
    return [c for c in unique if not any(c != o and is_within(c, o) for o in unique)]


def resident_q(prefixes: list[str], rel: str = "") -> Q:
    """Residents at or below any of `prefixes` (`rel` reaches them from another row, e.g.
    "resident__"). Nothing when `prefixes` is empty.

    Down to grids by the residents' own grid code (an indexed prefix match). Buildings and
    households as "home among these households": the database starts from the few homes and
    their residents' index; joined through buildings by code, it read all the district's
    residents (1.2 s at 1M with 30 zone rounds on the dashboard).
    """
    q = Q(pk__in=[])
    for p in prefixes:
        if depth(p) <= 4:
            q |= within_q(p, f"{rel}area_code")
    buildings = [p for p in prefixes if depth(p) == 5]
    households = [p for p in prefixes if depth(p) >= 6]
    if buildings or households:
        homes = Household.objects.filter(Q(building__code__in=buildings) | Q(code__in=households))
        if rel:  # a round's people, say: by their person, from the homes' residents
            people = Resident.objects.filter(household_id__in=homes.values("id"))
            q |= Q(**{f"{rel}id__in": people.values("id")})
        else:
            q |= Q(household_id__in=homes.values("id"))
    return q


def tube_q(prefixes: list[str]) -> Q:
    """Tubes by the area of the station that used them (unused ones by their own area)."""
    q = Q(pk__in=[])
    for p in prefixes:
        if depth(p) > 4:
            continue  # stations stand in grids or communities, never in one building
        q |= within_q(p, "station__area_code")
        q |= Q(station__isnull=True) & within_q(p)
    return q


def grid_q(prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        if depth(p) <= 4:
            q |= within_q(p, "code")
        else:
            q |= Q(code=grid_of(p))
    return q


def whole_round(round: TestingRound, prefixes: list[str]) -> bool:
    """Whether `prefixes` cover every area of the round."""
    return bool(prefixes) and all(
        any(is_within(code, p) for p in prefixes) for code in round.scope_codes
    )


def require_view(user) -> None:
    if not can(user, "view_residents"):
        raise PermissionDeniedError(
            field="residents",
            code="forbidden",
            message=_("Your role or area does not allow this."),
        )


def may_manage_rounds(user, area_code: str | None = None) -> bool:
    """Create rounds and generate door-knocking tasks, inside the user's scope."""
    return can(user, "manage_rounds", area_code)


def _meets_q(scope: str) -> Q:
    """Rounds whose area lies on the path to `scope` or below it (an indexed match)."""
    area = AreaCode(scope)
    parents = [area.upto(level) for level in LEVELS[: area.depth]]
    return Q(area_code__in=parents) | within_q(scope)


def rounds_for_user(user) -> list[TestingRound]:
    """Rounds whose areas meet the user's scope, newest first."""
    require_view(user)
    candidates = TestingRound.objects.filter(_meets_q(user.scope_code)).select_related("created_by")
    return [r for r in candidates if round_prefixes(user=user, round=r)]


def active_rounds(
    *, user, limit: int, now: dt.datetime | None = None
) -> list[tuple[TestingRound, list[str]]]:
    """The rounds sampling at `now` that meet the user's scope, newest first, at most
    `limit`, each with the part of it the user sees (`round_prefixes`). One query.

    Rounds not started yet are scheduled, and rounds whose window has ended are closed, even
    while their stored status still says sampling: neither is active."""
    rows = TestingRound.objects.filter(
        _meets_q(user.scope_code), sampling_q(now or timezone.now())
    ).order_by("-starts_at", "-id")[:limit]
    out = []
    for r in rows:
        if prefixes := round_prefixes(user=user, round=r):
            out.append((r, prefixes))
    return out


def get_round(*, user, pk: int) -> TestingRound | None:
    """The round if it exists and meets the user's scope."""
    require_view(user)
    round_ = TestingRound.objects.filter(pk=pk).first()
    if round_ is None or not round_prefixes(user=user, round=round_):
        return None
    return round_
