"""Lifting and downgrade: the daily checklist of each zone's protocol, the proposal, and the
commander's confirmation (recorded with who and why, and published).

The facts come from the data: days since the last infection found inside (residents of the
zone whose health status is "case to investigate", by their positive sample or the change of
status), and the last scheduled round's coverage and results for the zone's people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.events import publish

from .. import selectors
from ..events import ZoneDowngraded, ZoneLifted
from ..facts import COUNTS, ZoneFacts, final_round, gather
from ..models import ProtocolPreset, RiskZone, ZoneChange, ZoneEvaluation, ZoneRound, ZoneStatus
from ..protocols import zone_rule
from ..rules import (
    STRICTNESS,
    Check,
    Facts,
    day_number,
    kind_label,
    lifting_checks,
    proposal,
)
from .designation import default_name, resolve_members, write_zone, zone_label
from .schedules import (
    add_final_round,
    cancel_future_rounds,
    cancel_future_tasks,
    daily_tasks,
    grid_workers,
    save_new_tasks,
)


@dataclass
class Evaluation:
    zone: RiskZone
    at: dt.datetime
    reference_date: dt.date
    clean_day: int
    last_infection_at: dt.datetime | None
    final_round: selectors.RoundResult | None
    checks: list[Check]
    proposal: str | None
    downgrade_to: str | None
    escalate_to: str | None = None  # the protocol turns the zone stricter after an infection

    @property
    def escalate_to_label(self) -> str:
        return kind_label(self.escalate_to) if self.escalate_to else ""

    @property
    def manual_checks(self) -> list[Check]:
        return [c for c in self.checks if c.ok is None]

    def checklist(self) -> list[dict]:
        return [asdict(c) for c in self.checks]


def _evaluate(zone: RiskZone, facts: ZoneFacts, now: dt.datetime) -> Evaluation:
    """The checklist of the zone's protocol over its facts, and what it proposes (no query)."""
    today = timezone.localtime(now).date()
    rule = zone_rule(zone.protocol.data, zone.kind) or {}
    infection = facts.last_infection_at
    reference = timezone.localtime(zone.designated_at).date()
    if infection is not None:
        reference = max(reference, timezone.localtime(infection).date())
    clean_day = day_number(reference, today)
    final = final_round(facts.rounds, now)
    checks = (
        lifting_checks(
            rule,
            Facts(
                clean_day=clean_day,
                final_round_day=(
                    day_number(reference, timezone.localtime(final.starts_at).date())
                    if final
                    else None
                ),
                final_round_complete=bool(final and final.complete),
                final_round_negative=bool(final and final.all_negative),
                via_downgrade=zone.downgraded_from_id is not None,
                blocking_zones=facts.blocking_zones,
            ),
        )
        if rule
        else []
    )
    proposed = proposal(rule, checks) if zone.is_active and rule else None
    return Evaluation(
        zone=zone,
        at=now,
        reference_date=reference,
        clean_day=clean_day,
        last_infection_at=infection,
        final_round=final,
        checks=checks,
        proposal=proposed,
        downgrade_to=rule.get("downgrade_to") if proposed == "downgrade" else None,
        escalate_to=(
            rule.get("on_infection_becomes")
            if infection is not None and infection > zone.designated_at and zone.is_active
            else None
        ),
    )


_STORED = ["at", "reference_date", "last_infection_at", "clean_day", "proposal"]
_STORED += ["downgrade_to", "checklist", "updated_at"]


def _store(evaluations: list[Evaluation]) -> None:
    """Each zone's evaluation of the day, replacing one made earlier that day: one statement."""
    ZoneEvaluation.objects.bulk_create(
        [
            ZoneEvaluation(
                zone=e.zone,
                date=timezone.localtime(e.at).date(),
                at=e.at,
                reference_date=e.reference_date,
                last_infection_at=e.last_infection_at,
                clean_day=e.clean_day,
                proposal=e.proposal or "",
                downgrade_to=e.downgrade_to or "",
                checklist=e.checklist(),
            )
            for e in evaluations
        ],
        update_conflicts=True,
        unique_fields=["zone", "date"],
        update_fields=_STORED,
    )


def evaluate_zone(
    zone: RiskZone,
    *,
    now: dt.datetime | None = None,
    save: bool = True,
    facts: ZoneFacts | None = None,
) -> Evaluation:
    """The zone's checklist today and what it proposes; stored as the day's evaluation.

    The same reads and rules as the daily pass over every zone (`evaluate_all`); `facts` are
    the zone's facts when the caller has gathered them already."""
    now = now or timezone.now()
    if facts is None:
        facts = gather([zone], now=now)[zone.pk]
    evaluation = _evaluate(zone, facts, now)
    if save:
        _store([evaluation])
    return evaluation


def evaluate_all(*, now: dt.datetime | None = None) -> list[Evaluation]:
    """The daily pass over every active zone: refresh its people counts, add today's daily
    tasks, extend its schedule if an infection inside asks for it, and store its evaluation.

    Set-based: the facts of all zones come in a fixed number of queries and the writes are a
    few bulk statements in one transaction, whatever the number of zones. Running it twice a
    day is harmless: the day's evaluations are replaced, no task or round is made twice.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    zones = list(
        RiskZone.objects.filter(status=ZoneStatus.ACTIVE)
        .defer("geometry")
        .order_by("designated_at", "id")
    )
    # A handful of protocol versions: each read (and its rules parsed) once, not once a zone.
    protocols = ProtocolPreset.objects.in_bulk({z.protocol_id for z in zones})
    for zone in zones:
        zone.protocol = protocols[zone.protocol_id]
    known = gather(zones, now=now)
    evaluations = {z.pk: _evaluate(z, known[z.pk], now) for z in zones}
    workers = grid_workers(sorted({g for f in known.values() for g in f.grids}))
    tasks, recounted = [], []
    for zone in zones:
        f = known[zone.pk]
        day = day_number(timezone.localtime(zone.designated_at).date(), today)
        if day >= 1:
            tasks += daily_tasks(
                zone, [day], grids=f.grids, people=f.people_by_grid, workers=workers
            )
        if any(getattr(zone, k) != v for k, v in f.people.items()):
            for key, value in f.people.items():
                setattr(zone, key, value)
            recounted.append(zone)
    with transaction.atomic():
        save_new_tasks(tasks)
        # People move in and out during a long closure: the stored counts follow.
        RiskZone.objects.bulk_update(recounted, list(COUNTS))
        extended = [
            zone
            for zone in zones
            if extend_schedule(zone, evaluations[zone.pk], last_day=known[zone.pk].last_day)
        ]
        if extended:
            again = gather(extended, now=now)
            evaluations.update((z.pk, _evaluate(z, again[z.pk], now)) for z in extended)
        _store(list(evaluations.values()))
    return [evaluations[z.pk] for z in zones]


def extend_schedule(
    zone: RiskZone, evaluation: Evaluation, *, last_day: int | None = None
) -> ZoneRound | None:
    """When an infection inside restarted the count, the protocol's final round must fall late
    enough: add a round on the day the new clean period completes, if no round is that late.

    `last_day` is the schedule's last day when the caller knows it."""
    rule = zone_rule(zone.protocol.data, zone.kind) or {}
    lift = rule.get("lift") or {}
    days, before = lift.get("days_without_infection"), lift.get("final_round_days_before_lift")
    if days is None or before is None or not rule.get("test_days") or not zone.is_active:
        return None
    if zone.downgraded_from_id and lift.get("after_downgrade_days_without_infection"):
        return None
    earliest = evaluation.reference_date + dt.timedelta(days=days - before - 1)
    start = timezone.localtime(zone.designated_at).date()
    if last_day is None:
        last_day = zone.schedule.aggregate(m=Max("day"))["m"] or 0
    if start + dt.timedelta(days=last_day - 1) >= earliest:
        return None
    target = evaluation.reference_date + dt.timedelta(days=days - 1)
    return add_final_round(zone, rule, day_number(start, target))


def _end_checks(zone: RiskZone, user, reason: str, action: str) -> str:
    if not zone.is_active:
        raise RuleViolation(field="zone", code="ended", message=_("This zone has already ended."))
    require_permission(
        actor=user,
        action="manage_zones",
        area_code=zone.area_code,
        object_type="risk_zone",
        object_id=zone.pk,
    )
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(
            field="reason", code="required", message=_("Say why: the reason is recorded.")
        )
    return reason


def _record_end(zone, *, status, user, reason, now, action, evaluation) -> None:
    RiskZone.objects.filter(pk=zone.pk).update(
        status=status, ended_at=now, ended_by=user, end_reason=reason
    )
    zone.status, zone.ended_at, zone.ended_by, zone.end_reason = status, now, user, reason
    ZoneChange.objects.create(
        zone=zone,
        action=action,
        at=now,
        by=user,
        by_name=user.get_username(),
        reason=reason,
        checklist=evaluation.checklist(),
    )
    cancel_future_tasks(zone, now=now)
    cancel_future_rounds(zone, user=user, now=now)


def lift_zone(*, zone: RiskZone, user, reason: str, now: dt.datetime | None = None) -> RiskZone:
    """Lift the zone when its checklist proposes it (a standstill: when its targeted round is
    complete and all negative). Recorded with who and why; publishes ZoneLifted."""
    reason = _end_checks(zone, user, reason, "lift")
    now = now or timezone.now()
    with transaction.atomic():
        RiskZone.objects.select_for_update().filter(pk=zone.pk).first()
        evaluation = evaluate_zone(zone, now=now)
        if evaluation.proposal != "lift":
            raise RuleViolation(
                field="zone",
                code="criteria_not_met",
                message=_("The protocol's conditions for lifting this zone do not all hold."),
            )
        _record_end(
            zone,
            status=ZoneStatus.LIFTED,
            user=user,
            reason=reason,
            now=now,
            action=ZoneChange.Action.LIFT,
            evaluation=evaluation,
        )
        publish(
            ZoneLifted(
                area_code=zone.area_code,
                zone_id=zone.pk,
                name=zone.name,
                zone_kind=zone.kind,
                reason=reason,
                by=user.get_username(),
            ),
            occurred_at=now,
        )
    return zone


def downgrade_zone(
    *,
    zone: RiskZone,
    user,
    reason: str,
    to_kind: str | None = None,
    now: dt.datetime | None = None,
) -> RiskZone:
    """Downgrade the zone when its checklist proposes it: the zone ends as downgraded and a new
    zone of the lower kind (same members, same protocol version) begins now, with its own
    schedule. Returns the new zone; publishes ZoneDowngraded."""
    reason = _end_checks(zone, user, reason, "downgrade")
    now = now or timezone.now()
    data = zone.protocol.data
    rule = zone_rule(data, zone.kind) or {}
    target = to_kind or rule.get("downgrade_to")
    target_rule = zone_rule(data, target) if target and target != "standstill" else None
    if target_rule is None or STRICTNESS[target_rule["regime"]] >= zone.strictness:
        raise RuleViolation(
            field="to_kind",
            code="not_lower",
            message=_("Downgrade to a less strict zone kind of the same protocol."),
        )
    with transaction.atomic():
        RiskZone.objects.select_for_update().filter(pk=zone.pk).first()
        evaluation = evaluate_zone(zone, now=now)
        if evaluation.proposal is None:
            raise RuleViolation(
                field="zone",
                code="criteria_not_met",
                message=_("The protocol's conditions for downgrading this zone do not all hold."),
            )
        _record_end(
            zone,
            status=ZoneStatus.DOWNGRADED,
            user=user,
            reason=reason,
            now=now,
            action=ZoneChange.Action.DOWNGRADE,
            evaluation=evaluation,
        )
        members = resolve_members(list(zone.members.values_list("code", flat=True)))
        successor = write_zone(
            user=user,
            kind=target,
            rule=target_rule,
            protocol=zone.protocol,
            members=members,
            name=default_name(zone_label(target_rule), members),
            designated_at=now,
            reason=reason,
            downgraded_from=zone,
        )
        publish(
            ZoneDowngraded(
                area_code=zone.area_code,
                zone_id=zone.pk,
                name=zone.name,
                from_kind=zone.kind,
                to_kind=target,
                new_zone_id=successor.pk,
                reason=reason,
                by=user.get_username(),
            ),
            occurred_at=now,
        )
    return successor
