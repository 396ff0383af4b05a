"""The demo's own round: the sampler account's booth, sampling as soon as `make demo` is done.

Without it the sampler page offers no station and the sampler login can do nothing. The round is
found again by its name, so running the demo again neither duplicates it nor moves its window.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core.areas import within_q
from fangkong.geo.models import Place
from fangkong.testing.models import Station, TestingRound
from fangkong.testing.selectors.phase import sampling_q
from fangkong.testing.services.rounds import add_station, create_round, create_tubes

from .district import DISTRICT_CODE

# Names stored in the database, so in Chinese whatever the language of the command.
DEMO_ROUND = "瓦屋李社区常态化核酸检测（演示）"
DEMO_BOOTH_PLACE = "瓦屋李采样小屋"
DEMO_STATION = "1号采样台"
# Long enough that a newcomer trying the demo for a few days still finds it sampling.
DEMO_WINDOW = dt.timedelta(days=14)
DEMO_TUBES = 100


def demo_rounds() -> Q:
    """The rounds the demo created (the seed deletes them before the district)."""
    return Q(name=DEMO_ROUND) & within_q(DISTRICT_CODE)


def ensure_sampler_station(*, user: User, now: dt.datetime | None = None) -> Station | None:
    """A station of a sampling round at the 瓦屋李 booth with `user` among its samplers.

    A station of a round sampling now is reused; otherwise (first run, or the last demo round's
    window is over) a new round opens with its booth and a sheet of tubes. None when the
    booth is not in the database (a district without it).
    """
    now = now or timezone.now()
    place = Place.objects.filter(within_q(user.scope_code), name_zh=DEMO_BOOTH_PLACE).first()
    if place is None:
        return None
    station = (
        Station.objects.filter(
            round__in=TestingRound.objects.filter(demo_rounds() & sampling_q(now))
        )
        .filter(site__place=place)
        .order_by("-round__starts_at", "id")
        .first()
    )
    if station is None:
        with transaction.atomic():
            round_ = create_round(
                name=DEMO_ROUND,
                scope_codes=[user.scope_code],
                user=None,
                starts_at=now,
                due_at=now + DEMO_WINDOW,
            )
            station = add_station(round=round_, place=place, name=DEMO_STATION)
            create_tubes(round=round_, count=DEMO_TUBES)
    station.samplers.add(user)
    return station


def clear_demo_rounds() -> None:
    """Delete the demo's rounds that took no sample (their tubes, sites and stations with
    them), so the district can be generated again; one with samples keeps it protected."""
    for round_ in TestingRound.objects.filter(demo_rounds()):
        if not round_.samples.exists():
            round_.tubes.all().delete()
            round_.delete()
