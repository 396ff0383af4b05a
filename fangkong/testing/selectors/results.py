"""Results for people, by where they live: what the lifting evaluation of zones reads.

A member of a positive pool whose single-tube retest came back negative counts as negative
(the pool is cleared for them); one still without a negative retest counts as positive. The
rule is written once here, person by person, so "cleared" means the same on every page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, Max, OuterRef, Q

from fangkong.people.models import ResidentStatus

from ..models import Result, RetestOrder, RetestState, Sample
from .tubes import ALARM


@dataclass
class AreaResults:
    sampled: int = 0
    negative: int = 0
    positive: int = 0


def _cleared() -> Exists:
    """The sample's person re-tested negative after its pool was positive."""
    return Exists(
        RetestOrder.objects.filter(
            source_tube_id=OuterRef("tube_id"),
            resident_id=OuterRef("resident_id"),
            state=RetestState.NEGATIVE,
        )
    )


def results_by_area(
    *, round_ids: Iterable[int], grid_codes: Iterable[str], building_ids: Iterable[int]
) -> dict[tuple[int, str, int | None], AreaResults]:
    """(round, grid code, building id) → active residents sampled in the round, negative and
    positive, for the people whose grid is among `grid_codes` or whose home is in one of
    `building_ids`. Each person counts once per round; one query.

    The two parts are read apart and joined (UNION ALL), each on its own index: OR-ed in one
    WHERE they make PostgreSQL read every resident of the district.
    """
    round_ids, grids, buildings = sorted(round_ids), sorted(grid_codes), sorted(building_ids)
    if not round_ids or not (grids or buildings):
        return {}
    cleared = _cleared()
    alarm = Q(tube__result__in=ALARM)
    rows = (
        Sample.objects.filter(round_id__in=round_ids, resident__status=ResidentStatus.ACTIVE)
        .values("round_id", "resident__area_code", "resident__household__building_id")
        .annotate(
            sampled=Count("resident_id", distinct=True),
            negative=Count(
                "resident_id",
                distinct=True,
                filter=Q(tube__result=Result.NEGATIVE) | (alarm & Q(cleared)),
            ),
            positive=Count("resident_id", distinct=True, filter=alarm & ~Q(cleared)),
        )
        .order_by()
    )
    parts = []
    if grids:
        parts.append(rows.filter(resident__area_code__in=grids))
    if buildings:
        parts.append(rows.filter(resident__household__building_id__in=buildings))
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    out: dict[tuple[int, str, int | None], AreaResults] = {}
    for r in query:
        # A group can come from both parts, with the same counts: kept once.
        key = (r["round_id"], r["resident__area_code"], r["resident__household__building_id"])
        out[key] = AreaResults(r["sampled"], r["negative"], r["positive"])
    return out


def last_positive_samples(*, resident_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """Each person's latest sample that went into a positive or presumptive-positive tube."""
    ids = sorted(set(resident_ids))
    if not ids:
        return {}
    return dict(
        Sample.objects.filter(resident_id__in=ids, tube__result__in=ALARM)
        .values_list("resident_id")
        .annotate(at=Max("taken_at"))
        .order_by()
    )
