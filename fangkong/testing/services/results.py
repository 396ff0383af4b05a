"""Lab results and the positive-pool response.

A result is applied whole or not at all: unknown tubes, tubes not received by the reporting
lab and malformed values are refused with a reason. A second, different result for a tube
(the typed-barcode duplicate) is held for review and never overwrites the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import deny, require_permission
from fangkong.core.areas import is_within
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.events import publish
from fangkong.people.models import HealthStatus, Resident

from ..events import PersonPositive, PoolCleared, PoolPositive
from ..models import (
    BoxState,
    Lab,
    LabResult,
    Result,
    ResultStatus,
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

ALARM = {Result.POSITIVE, Result.PRESUMPTIVE_POSITIVE}


@dataclass
class ResultIn:
    tube_barcode: str
    result: str
    ct_orf1ab: object = None
    ct_n: object = None
    reported_at: dt.datetime | None = None


@dataclass
class ResultOutcome:
    index: int
    tube_barcode: str
    status: str = "accepted"  # accepted | unchanged | held_for_review | rejected
    retest_orders: int = 0
    field: str | None = None
    code: str | None = None
    message: str | None = None


@dataclass
class ResultsBatch:
    accepted: int = 0
    held: int = 0
    rejected: int = 0
    items: list[ResultOutcome] = field(default_factory=list)


def lab_for(actor, lab_id: int | None = None) -> Lab:
    """The lab an actor reports for: a device bound to one lab, or a member of it."""
    manager = getattr(actor, "labs", None)
    labs = manager.all() if manager is not None else Lab.objects.none()
    if lab_id is not None:
        labs = labs.filter(pk=lab_id)
    lab = labs.first()
    if lab is None:
        raise PermissionDeniedError(
            field="lab", code="no_lab", message=_("You are not bound to a laboratory.")
        )
    return lab


def _ct(value, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        ct = Decimal(str(value)).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise RuleViolation(
            field=name, code="format", message=_("A Ct value is a number.")
        ) from None
    if ct.is_nan() or not Decimal(0) < ct <= Decimal(50):
        raise RuleViolation(
            field=name, code="range", message=_("A Ct value lies between 0 and 50.")
        )
    return ct


def record_results(
    *,
    lab: Lab,
    items: Sequence[ResultIn],
    actor,
    source: str = "api",
    now: dt.datetime | None = None,
) -> ResultsBatch:
    """Apply lab results; each item is accepted, unchanged, held for review or rejected."""
    require_permission(actor=actor, action="record_results", object_type="lab", object_id=lab.pk)
    bound = getattr(actor, "labs", None)
    if bound is None or not bound.filter(pk=lab.pk).exists():
        deny(actor=actor, action="record_results", object_type="lab", object_id=lab.pk)
    if not items:
        raise RuleViolation(
            field="results", code="required", message=_("Send at least one result.")
        )
    now = now or timezone.now()
    batch = ResultsBatch()
    events = []
    with transaction.atomic():
        tubes = {
            t.barcode: t
            for t in Tube.objects.select_related("box", "round").filter(
                barcode__in={i.tube_barcode for i in items}
            )
        }
        accepted_now = {}
        for index, item in enumerate(items):
            out = ResultOutcome(index=index, tube_barcode=item.tube_barcode)
            batch.items.append(out)
            try:
                if item.result not in Result.values:
                    raise RuleViolation(
                        field="result",
                        code="choice",
                        message=_("Result is negative, positive, presumptive_positive or invalid."),
                    )
                ct_orf1ab, ct_n = _ct(item.ct_orf1ab, "ct_orf1ab"), _ct(item.ct_n, "ct_n")
                reported_at = item.reported_at or now
                if reported_at > now + dt.timedelta(minutes=15):
                    raise RuleViolation(
                        field="reported_at",
                        code="future",
                        message=_("reported_at is in the future."),
                    )
                tube = tubes.get(item.tube_barcode)
                if tube is None:
                    raise RuleViolation(
                        field="tube_barcode", code="unknown", message=_("No tube has this barcode.")
                    )
                if (
                    tube.box is None
                    or tube.box.lab_id != lab.pk
                    or tube.box.state != BoxState.RECEIVED
                ):
                    raise RuleViolation(
                        field="tube_barcode",
                        code="not_received",
                        message=_("This tube is not in a box your lab received."),
                    )
                first = accepted_now.get(tube.pk) or (
                    LabResult.objects.filter(tube=tube, status=ResultStatus.ACCEPTED).first()
                    if tube.state == TubeState.RESULTED
                    else None
                )
                row = LabResult(
                    tube=tube,
                    lab=lab,
                    result=item.result,
                    ct_orf1ab=ct_orf1ab,
                    ct_n=ct_n,
                    reported_at=reported_at,
                    source=source,
                    reported_by=actor.get_username(),
                )
                if first is not None:
                    if (first.result, first.ct_orf1ab, first.ct_n) == (
                        row.result,
                        row.ct_orf1ab,
                        row.ct_n,
                    ):
                        out.status = "unchanged"
                        continue
                    row.status = ResultStatus.HELD
                    row.save()
                    out.status, out.code = "held_for_review", "conflict"
                    out.message = force_str(
                        _("This tube already has a different result: held for review.")
                    )
                    batch.held += 1
                    continue
                if tube.state != TubeState.RECEIVED:
                    raise RuleViolation(
                        field="tube_barcode",
                        code="not_received",
                        message=_("This tube has not been received."),
                    )
                row.save()
                accepted_now[tube.pk] = row
                tube.state, tube.result, tube.resulted_at = (
                    TubeState.RESULTED,
                    item.result,
                    reported_at,
                )
                tube.save(update_fields=["state", "result", "resulted_at", "updated_at"])
                out.retest_orders = _apply(tube, item.result, reported_at, events)
                batch.accepted += 1
            except RuleViolation as exc:
                out.status, out.field, out.code, out.message = (
                    "rejected",
                    exc.field,
                    exc.code,
                    force_str(exc.message),
                )
                batch.rejected += 1
        for event, at in events:
            publish(event, occurred_at=at)
    return batch


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
            name="上门复采 door-to-door",
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
