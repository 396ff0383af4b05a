"""Who samples at a station: community and sub-district staff put samplers on and take them off.

A sampler only sees, and posts to, the stations whose area lies inside their own scope
(views_sampler.sampler_stations, registration.authorise_station), so a sampler from elsewhere is
refused here rather than put on a station they could never use.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import Role, User
from fangkong.accounts.services import require_permission
from fangkong.core.areas import is_within
from fangkong.core.errors import RuleViolation

from ..models import Station
from ..selectors.phase import RoundPhase, round_phase
from .registration import clear_station_cache


def _check(*, station: Station, user, ip: str | None) -> None:
    require_permission(
        actor=user,
        action="manage_rounds",
        area_code=station.area_code,
        object_type="station",
        object_id=station.pk,
        ip=ip,
    )


def _check_open(station: Station, now: dt.datetime) -> None:
    if round_phase(round=station.round, now=now) not in (RoundPhase.SCHEDULED, RoundPhase.SAMPLING):
        raise RuleViolation(
            field="station",
            code="round_closed",
            message=_("The station's round takes no more samples: its samplers stay as they were."),
        )


def assign_sampler(
    *, station: Station, sampler: User, user, ip: str | None = None, now: dt.datetime | None = None
) -> Station:
    """Put `sampler` on `station`; the station's round must still be scheduled or sampling."""
    _check(station=station, user=user, ip=ip)
    _check_open(station, now or timezone.now())
    if sampler.role != Role.SAMPLER or not sampler.is_active:
        raise RuleViolation(
            field="sampler", code="role", message=_("Only active samplers are put on a station.")
        )
    if not is_within(sampler.scope_code, user.scope_code) or not is_within(
        station.area_code, sampler.scope_code
    ):
        raise RuleViolation(
            field="sampler",
            code="out_of_scope",
            message=_(
                "This sampler works outside the station's area or yours: they could not "
                "register samples there."
            ),
        )
    station.samplers.add(sampler)
    return station


def remove_sampler(
    *, station: Station, sampler: User, user, ip: str | None = None, now: dt.datetime | None = None
) -> Station:
    """Take `sampler` off `station`; from now on their posts to it are refused."""
    _check(station=station, user=user, ip=ip)
    _check_open(station, now or timezone.now())
    station.samplers.remove(sampler)
    # This process stops trusting the old binding at once (other workers within seconds).
    clear_station_cache()
    return station
