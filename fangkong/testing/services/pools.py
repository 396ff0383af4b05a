"""What a lab result means for the people behind a tube: a negative pool closes its members,
a positive or presumptive-positive pool orders single-tube retests at home and publishes
`PoolPositive`, and the retests close the loop (`PersonPositive`, `PoolCleared`).

The lab records results (`fangkong.lab`) and calls `record_tube_result` for each accepted one,
on a tube it locked through `transport.lock_tubes`; the events are published by the caller,
once its batch is written.
"""

from __future__ import annotations

import datetime as dt

from fangkong.core.areas import is_within
from fangkong.people.models import HealthStatus, Resident

from ..events import PersonPositive, PoolCleared, PoolPositive
from ..models import (
    Result,
    RetestOrder,
    RetestState,
    RoundKind,
    Sample,
    Station,
    StationKind,
    TestingRound,
    Tube,
    TubeState,
)
from .rounds import add_station, common_area, create_round
from .transport import check_transition

ALARM = {Result.POSITIVE, Result.PRESUMPTIVE_POSITIVE}


def record_tube_result(*, tube: Tube, result: str, at: dt.datetime, events: list) -> int:
    """Mark a received tube resulted and respond to what the result means; returns the
    retest orders created. `tube` is locked by the caller's transaction; the events to
    publish are appended to `events` as (event, time)."""
    check_transition(tube, TubeState.RESULTED)
    tube.state, tube.result, tube.resulted_at = TubeState.RESULTED, result, at
    tube.save(update_fields=["state", "result", "resulted_at", "updated_at"])
    return _apply(tube, result, at, events)


def _apply(tube: Tube, result: str, at: dt.datetime, events: list) -> int:
    """What a result means for the people behind the tube; returns retest orders created."""
    if tube.round.kind == RoundKind.RETEST:
        _close_retests(tube, result, at, events)
        return 0
    if result == Result.NEGATIVE:
        return 0  # members are done for the round: coverage counts their samples
    return respond_to_pool(tube=tube, result=result, at=at, events=events)


def _retest_round(source: TestingRound, scope_codes: list[str], at: dt.datetime) -> TestingRound:
    """The round the retests go into, starting when the result arrived (not when the code ran:
    results recorded later, or replayed, keep their own clock)."""
    existing = TestingRound.objects.filter(parent=source, kind=RoundKind.RETEST).first()
    if existing is not None:
        # A later positive pool elsewhere: its grids join the retest round's scope, or its
        # retests would not show in that round's coverage.
        missing = [c for c in scope_codes if not any(is_within(c, s) for s in existing.scope_codes)]
        if missing:
            existing.scope_codes = sorted({*existing.scope_codes, *missing})
            existing.area_code = common_area(existing.scope_codes)
            existing.save(update_fields=["scope_codes", "area_code", "updated_at"])
        return existing
    return create_round(
        name=f"{source.name} · 复采复检",
        scope_codes=scope_codes,
        user=None,
        kind=RoundKind.RETEST,
        pool_group="key_group",
        pool_size=1,
        parent=source,
        starts_at=at,
    )


def respond_to_pool(*, tube: Tube, result: str, at: dt.datetime, events: list) -> int:
    """List the members, order single-tube retests at home, tell them to stay home, alarm."""
    members = list(
        Sample.objects.filter(tube=tube).select_related(
            "resident__household__building", "station__site__place"
        )
    )
    if not members:
        return 0
    grids = sorted({m.area_code for m in members})
    retest_round = _retest_round(tube.round, grids, at)
    source_station = members[0].station
    team = Station.objects.filter(
        round=retest_round, kind=StationKind.DOOR_TO_DOOR, site__place=source_station.site.place
    ).first()
    if team is None:
        team = add_station(
            round=retest_round,
            place=source_station.site.place,
            name="上门复采队",
            kind=StationKind.DOOR_TO_DOOR,
        )
        team.devices.add(*source_station.devices.all())
        team.samplers.add(*source_station.samplers.all())
    orders = RetestOrder.objects.bulk_create(
        [
            RetestOrder(
                source_tube=tube,
                retest_round=retest_round,
                resident_id=m.resident_id,
                station=team,
                area_code=m.area_code,
            )
            for m in members
        ],
        ignore_conflicts=True,
    )
    if result in ALARM:
        Resident.objects.filter(pk__in=[m.resident_id for m in members]).update(
            health_status=HealthStatus.AWAITING_RETEST
        )
        households = sorted({m.resident.household.code for m in members if m.resident.household_id})
        events.append(
            (
                PoolPositive(
                    area_code=common_area(grids) if len(grids) > 1 else grids[0],
                    tube_id=tube.pk,
                    barcode=tube.barcode,
                    result=result,
                    round_id=tube.round_id,
                    station=str(source_station),
                    members=len(members),
                    retest_orders=len(orders),
                    household_codes=households,
                ),
                at,
            )
        )
    return len(orders)


def _close_retests(tube: Tube, result: str, at: dt.datetime, events: list) -> None:
    samples = list(Sample.objects.filter(tube=tube).values_list("resident_id", "pk"))
    for resident_id, sample_id in samples:
        orders = list(
            RetestOrder.objects.filter(
                retest_round=tube.round,
                resident_id=resident_id,
                state__in=[RetestState.PENDING, RetestState.SAMPLED],
            ).select_related("source_tube")
        )
        for order in orders:
            if result == Result.INVALID:
                order.state = RetestState.PENDING  # sample again
            else:
                order.state = (
                    RetestState.NEGATIVE if result == Result.NEGATIVE else RetestState.POSITIVE
                )
            order.sample_id = sample_id
            order.save(update_fields=["state", "sample", "updated_at"])
            if order.state == RetestState.POSITIVE:
                Resident.objects.filter(pk=resident_id).update(
                    health_status=HealthStatus.CASE_TO_INVESTIGATE
                )
                events.append(
                    (
                        PersonPositive(
                            area_code=order.area_code,
                            resident_id=resident_id,
                            tube_id=order.source_tube_id,
                            barcode=order.source_tube.barcode,
                        ),
                        at,
                    )
                )
            elif order.state == RetestState.NEGATIVE:
                Resident.objects.filter(
                    pk=resident_id, health_status=HealthStatus.AWAITING_RETEST
                ).update(health_status=HealthStatus.NORMAL)
                siblings = RetestOrder.objects.filter(source_tube_id=order.source_tube_id)
                if not siblings.exclude(state=RetestState.NEGATIVE).exists():
                    events.append(
                        (
                            PoolCleared(
                                area_code=order.area_code,
                                tube_id=order.source_tube_id,
                                barcode=order.source_tube.barcode,
                            ),
                            at,
                        )
                    )
