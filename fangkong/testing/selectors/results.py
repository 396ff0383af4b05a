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

from fangkong.core.masking import mask_name
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


def results_by_area(*, round_ids: Iterable[int]) -> dict[tuple[int, str, int | None], AreaResults]:
    """(round, grid code, building id) → active residents sampled in the round, negative and
    positive, where they live. Each person counts once per round; one grouped query.
    """
    round_ids = sorted(round_ids)
    if not round_ids:
        return {}
    cleared = _cleared()
    alarm = Q(tube__result__in=ALARM)
    rows = (
        Sample.objects.filter(round_id__in=round_ids, resident__status=ResidentStatus.ACTIVE)
        .values_list("round_id", "resident__area_code", "resident__household__building_id")
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
    return {(r, grid, b): AreaResults(n, neg, pos) for r, grid, b, n, neg, pos in rows}


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


def person_round_results(*, resident_id: int, round_ids: Iterable[int]) -> dict[int, str]:
    """One person's result in each of these rounds, by round: "negative" (or a positive pool
    they re-tested negative from), "positive" (an alarm not cleared for them), "pending" (no
    result yet, or an invalid tube). A round they were not sampled in is absent."""
    ids = sorted(set(round_ids))
    if not ids:
        return {}
    rows = (
        Sample.objects.filter(resident_id=resident_id, round_id__in=ids)
        .annotate(cleared=_cleared())
        .values_list("round_id", "tube__result", "cleared")
    )
    rank = {"pending": 0, "negative": 1, "positive": 2}
    out: dict[int, str] = {}
    for round_id, result, cleared in rows:
        if result == Result.NEGATIVE or (result in ALARM and cleared):
            outcome = "negative"
        elif result in ALARM:
            outcome = "positive"
        else:
            outcome = "pending"
        # A later negative sample does not hide a positive one, and a resulted one counts over
        # one the lab has not answered.
        if rank[outcome] >= rank[out.get(round_id, "pending")] or round_id not in out:
            out[round_id] = outcome
    return out


def single_tube_person(*, tube_id: int) -> tuple[int, dt.datetime] | None:
    """The one person sampled into a tube and when, or None for a pool of several (or none)."""
    rows = list(Sample.objects.filter(tube_id=tube_id).values_list("resident_id", "taken_at")[:2])
    return rows[0] if len(rows) == 1 else None


@dataclass(frozen=True)
class PoolMember:
    """One person of a pool, masked: the CDC reviews a result, not the people's identities."""

    name_masked: str
    document_masked: str
    area_code: str
    household: str  # the address as staff say it
    retest: str  # the state of their single-tube retest ordered from this tube, or ""


def pool_members(*, tube_id: int) -> list[PoolMember]:
    """The people sampled into a tube, masked, with any retest ordered from it. Two queries."""
    retests = dict(
        RetestOrder.objects.filter(source_tube_id=tube_id).values_list("resident_id", "state")
    )
    labels = dict(RetestState.choices)
    samples = (
        Sample.objects.filter(tube_id=tube_id)
        .select_related("resident__household__building")
        .order_by("area_code", "resident__household__code", "id")
    )
    return [
        PoolMember(
            name_masked=mask_name(s.resident.name),
            document_masked=s.resident.document_masked,
            area_code=s.area_code,
            household=s.resident.household.label if s.resident.household_id else "",
            retest=str(labels[retests[s.resident_id]]) if s.resident_id in retests else "",
        )
        for s in samples
    ]
