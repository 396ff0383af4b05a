"""Single-tube tests of people on given days (a control order's test days), as targeted
rounds over their home: the sampling team, coverage and results of testing apply unchanged,
and the caller keeps only the rounds' ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone

from ..models import PoolGroup, RoundKind, RoundStatus, TestingRound
from .rounds import create_round

SAMPLING_STARTS = dt.time(8, 0)


def schedule_single_tube_tests(
    *, area_code: str, days: Sequence[dt.date], name: str, user=None
) -> dict[dt.date, int]:
    """One single-tube targeted round over `area_code` (a household, say) for each day, from
    08:00 local time; a day that already has one for that area shares it. Returns the round
    id of each day. `user` None is a service acting on a decision it has checked itself."""
    out: dict[dt.date, int] = {}
    for day in sorted(set(days)):
        starts = timezone.make_aware(dt.datetime.combine(day, SAMPLING_STARTS))
        existing = (
            TestingRound.objects.filter(
                kind=RoundKind.TARGETED, area_code=area_code, starts_at=starts, pool_size=1
            )
            .exclude(status=RoundStatus.CANCELLED)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is None:
            existing = create_round(
                name=f"{name} · {day.isoformat()}",
                scope_codes=[area_code],
                user=user,
                kind=RoundKind.TARGETED,
                pool_group=PoolGroup.KEY_GROUP,
                pool_size=1,
                starts_at=starts,
                due_at=starts + dt.timedelta(hours=settings.FANGKONG_COMPLETION_TARGET_HOURS),
            ).pk
        out[day] = existing
    return out
