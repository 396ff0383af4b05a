"""Tubes of rounds as the round page, the dashboard and the bulletin count them: by state,
late at the lab, resulted, and the state of positive pools (cleared by negative retests or
not). One grouped query over any number of rounds, so a page that shows thirty rounds asks
once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from ..models import (
    Result,
    RetestOrder,
    RetestState,
    Tube,
    TubeKind,
    TubeState,
)
from .scope import tube_q

ALARM = [Result.POSITIVE, Result.PRESUMPTIVE_POSITIVE]

# Setting name → default (hours). PROTOCOL_FACTS: results of a single tube within 6 h, of a
# pooled tube within 24 h (local practice, so configurable), counted from the first sample.
OVERDUE_DEFAULTS = {
    "FANGKONG_TUBE_RECEIPT_HOURS": 4,
    "FANGKONG_RESULT_HOURS_SINGLE": 6,
    "FANGKONG_RESULT_HOURS_POOLED": 24,
}


def overdue_hours(name: str) -> float:
    return getattr(settings, name, OVERDUE_DEFAULTS[name])


def overdue_q(now: dt.datetime) -> Q:
    """Tubes late at `now`: not received within the receipt limit after sealing, or received
    and still without a result past the single or pooled limit."""
    receipt = now - dt.timedelta(hours=overdue_hours("FANGKONG_TUBE_RECEIPT_HOURS"))
    single = now - dt.timedelta(hours=overdue_hours("FANGKONG_RESULT_HOURS_SINGLE"))
    pooled = now - dt.timedelta(hours=overdue_hours("FANGKONG_RESULT_HOURS_POOLED"))

    def started_before(moment: dt.datetime) -> Q:
        # The clock runs from the first sample (the person's wait), else from sealing.
        return Q(first_sample_at__lt=moment) | Q(first_sample_at__isnull=True, sealed_at__lt=moment)

    return (
        Q(state__in=[TubeState.SEALED, TubeState.BOXED], sealed_at__lt=receipt)
        | (Q(state=TubeState.RECEIVED, capacity=1) & started_before(single))
        | (Q(state=TubeState.RECEIVED, capacity__gt=1) & started_before(pooled))
    )


def pool_q() -> Q:
    """A positive pool: an alarming result on a tube whose members were ordered to retest."""
    return Q(result__in=ALARM) & Q(Exists(RetestOrder.objects.filter(source_tube=OuterRef("pk"))))


def cleared_q() -> Q:
    """A positive pool cleared: every member's single-tube retest came back negative (the
    rule `PoolCleared` is published by)."""
    open_orders = RetestOrder.objects.filter(source_tube=OuterRef("pk")).exclude(
        state=RetestState.NEGATIVE
    )
    return pool_q() & ~Q(Exists(open_orders))


@dataclass
class TubeFigures:
    """One round's tubes, in the part of it in view."""

    by_state: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in TubeState})
    total: int = 0
    overdue: int = 0
    collected: int = 0  # people tubes holding a sample, environmental tubes once swabbed
    resulted: int = 0
    negative: int = 0
    alarm: int = 0  # positive or presumptive positive
    invalid: int = 0
    positive_pools: int = 0
    cleared_pools: int = 0
    last_opened_at: dt.datetime | None = None  # the newest tube's first sample: activity

    @property
    def uncleared_pools(self) -> int:
        return self.positive_pools - self.cleared_pools

    def results(self) -> dict[str, int]:
        """The bulletin's tube counts."""
        keys = ("collected", "resulted", "negative", "alarm", "invalid")
        return {k: getattr(self, k) for k in keys}


def round_tubes(*, round_ids: list[int], prefixes: list[str] | None = None) -> QuerySet[Tube]:
    """The rounds' tubes used in `prefixes` (None: wherever they were used)."""
    tubes = Tube.objects.filter(round_id__in=round_ids)
    return tubes if prefixes is None else tubes.filter(tube_q(prefixes))


def tube_figures(
    *, round_ids: list[int], prefixes: list[str] | None = None, now: dt.datetime
) -> dict[int, TubeFigures]:
    """Each round's tubes by state, late at `now`, resulted by result, and its positive pools
    and how many are cleared: one grouped query."""
    out = {pk: TubeFigures() for pk in round_ids}
    if not round_ids:
        return out
    collected = Q(kind=TubeKind.PEOPLE, sample_count__gt=0) | (
        Q(kind=TubeKind.ENVIRONMENT) & ~Q(state=TubeState.OPEN)
    )
    # Grouped by result too, so the results cost no filter of their own; the pools' subqueries
    # run only for the alarming tubes (the condition on the result comes first).
    rows = (
        round_tubes(round_ids=round_ids, prefixes=prefixes)
        .values_list("round_id", "state", "result")
        .annotate(
            n=Count("id"),
            late=Count("id", filter=overdue_q(now)),
            collected=Count("id", filter=collected),
            pools=Count("id", filter=pool_q()),
            cleared=Count("id", filter=cleared_q()),
            last=Max("first_sample_at"),
        )
        .order_by()
    )
    for round_id, state, result, n, late, got, pools, cleared, last in rows:
        f = out[round_id]
        if last is not None and (f.last_opened_at is None or last > f.last_opened_at):
            f.last_opened_at = last
        f.by_state[state] += n
        f.total += n
        f.overdue += late
        f.collected += got
        if state == TubeState.RESULTED:
            f.resulted += got
            f.negative += got if result == Result.NEGATIVE else 0
            f.alarm += got if result in ALARM else 0
            f.invalid += got if result == Result.INVALID else 0
            f.positive_pools += pools
            f.cleared_pools += cleared
    return out


@dataclass
class OverdueTube:
    barcode: str
    round_name: str
    state: str
    state_label: str
    capacity: int
    kind: str
    reason: str  # "not_received" | "no_result"
    since: dt.datetime
    limit_hours: float
    hours_waiting: float
    station: str
    box: str


def overdue_tubes(
    *, round_ids: list[int], prefixes: list[str] | None = None, now: dt.datetime, limit: int
) -> list[OverdueTube]:
    """The rounds' tubes late at `now`, longest waiting first, at most `limit`: one query."""
    tubes = round_tubes(round_ids=round_ids, prefixes=prefixes).filter(overdue_q(now))
    out = []
    for t in tubes.select_related("station", "box", "round").order_by("sealed_at", "id")[:limit]:
        if t.state == TubeState.RECEIVED:
            reason, since = "no_result", t.first_sample_at or t.sealed_at
            hours = overdue_hours(
                "FANGKONG_RESULT_HOURS_SINGLE"
                if t.capacity == 1
                else "FANGKONG_RESULT_HOURS_POOLED"
            )
        else:
            reason, since = "not_received", t.sealed_at
            hours = overdue_hours("FANGKONG_TUBE_RECEIPT_HOURS")
        out.append(
            OverdueTube(
                barcode=t.barcode,
                round_name=t.round.name,
                state=t.state,
                state_label=str(TubeState(t.state).label),
                capacity=t.capacity,
                kind=t.kind,
                reason=reason,
                since=since,
                limit_hours=hours,
                hours_waiting=round((now - since).total_seconds() / 3600, 1),
                station=t.station.name if t.station_id else "",
                box=t.box.code if t.box_id else "",
            )
        )
    return out
