"""Drills (演练): a replayed night run as an exercise, its roll call, and wiping it afterwards.

A drill is an incident with `drill=True`: its bulletins and notices carry the mark 演练 and are
numbered in series of their own, so running a replay again never takes an official number.
What the drill wrote in the domains (rounds and their tubes, samples, boxes and results; zones
and their notices; control orders; device tokens; tasks) is listed on the incident as it goes
(`remember_drill_records`), and `wipe_drill` removes exactly that, in one transaction.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken
from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.lab.models import LabResult, TransportBox
from fangkong.services.models import CareTemplate, MedicalTrip, ServiceRequest
from fangkong.testing.models import (
    RetestOrder,
    RoundMember,
    Sample,
    SamplingSite,
    Station,
    TestingRound,
    Tube,
)
from fangkong.tracing.models import ControlOrder
from fangkong.work.models import Task
from fangkong.zones.models import Notice, Pass, RiskZone, ZoneChange, ZoneMember, ZoneRound

from ..models import Bulletin, Incident, IncidentTask, Notification, RollCall, RollCallLevel
from .incidents import set_commander

RECORD_KINDS = ("rounds", "zones", "orders", "tokens", "tasks", "requests")


def begin_drill(*, incident: Incident, user, at: dt.datetime) -> Incident:
    """Mark the incident a drill, led by `user` as its commander (指挥长) from `at`."""
    require_permission(
        actor=user,
        action="manage_incidents",
        area_code=incident.area_code,
        object_type="incident",
        object_id=incident.pk,
    )
    with transaction.atomic():
        incident.drill = True
        incident.save(update_fields=["drill", "updated_at"])
        if incident.commander_id != user.pk:
            set_commander(incident=incident, user=user, commander=user, at=at)
    return incident


def record_roll_call(
    *, incident: Incident, user, level: str, unit: str, area_code: str, at: dt.datetime
) -> RollCall:
    """A unit reported in place (到位) at `at`; reporting the same unit again changes nothing."""
    require_permission(
        actor=user,
        action="manage_incidents",
        area_code=incident.area_code,
        object_type="incident",
        object_id=incident.pk,
    )
    if level not in RollCallLevel.values:
        raise RuleViolation(field="level", code="choice", message=_("Unknown level."))
    unit = (unit or "").strip()
    if not unit:
        raise RuleViolation(field="unit", code="required", message=_("Name the unit."))
    call, _created = RollCall.objects.get_or_create(
        incident=incident,
        user=None,
        unit=unit[:200],
        defaults={"level": level, "area_code": area_code, "at": at, "recorded_by": user},
    )
    return call


def remember_drill_records(*, incident: Incident, **ids: list[int]) -> None:
    """Add the ids of rows the drill wrote (rounds, zones, orders, tokens, tasks, requests)."""
    unknown = set(ids) - set(RECORD_KINDS)
    if unknown:
        raise ValueError(f"unknown drill record kinds: {sorted(unknown)}")
    records = dict(incident.drill_records or {})
    for kind, values in ids.items():
        records[kind] = sorted(set(records.get(kind, [])) | {int(v) for v in values})
    incident.drill_records = records
    incident.save(update_fields=["drill_records", "updated_at"])


def wipe_drill(*, incident: Incident, user) -> dict[str, int]:
    """Delete the drill and everything it wrote; a real incident is refused. Counts per kind."""
    require_permission(
        actor=user,
        action="manage_incidents",
        area_code=incident.area_code,
        object_type="incident",
        object_id=incident.pk,
    )
    if not incident.drill:
        raise RuleViolation(
            field="incident", code="not_a_drill", message=_("Only a drill can be wiped.")
        )
    records = incident.drill_records or {}
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=incident.pk).first()
        counts = _wipe_domains(records)
        counts["bulletins"] = Bulletin.objects.filter(incident=incident).delete()[0]
        Notification.objects.filter(incident=incident).delete()
        linked = list(
            IncidentTask.objects.filter(incident=incident).values_list("task_id", flat=True)
        )
        Task.objects.filter(pk__in=linked).delete()
        incident.delete()
    return counts


def _wipe_domains(records: dict) -> dict[str, int]:
    """The drill's rows in the domains, children before parents (their keys protect them)."""
    zones = list(RiskZone.objects.filter(pk__in=records.get("zones", [])))
    zone_rounds = list(ZoneRound.objects.filter(zone__in=zones).values_list("round_id", flat=True))
    rounds = sorted(set(records.get("rounds", [])) | set(zone_rounds))
    tubes = Tube.objects.filter(round_id__in=rounds)
    tasks = Task.objects.filter(
        Q(pk__in=records.get("tasks", []))
        | Q(detail__zone_id__in=[z.pk for z in zones])
        | Q(detail__round_id__in=rounds)
        | Q(detail__round__in=rounds)  # door-knocking tasks name their round "round"
    )
    counts = {"tasks": tasks.delete()[0]}
    # The care the drill gave: its requests (a trip's first), the zone's care plans and the
    # passes the zone issued (for the trip's window); passages keep their log, unlinked.
    requests = records.get("requests", [])
    MedicalTrip.objects.filter(request_id__in=requests).delete()
    counts["requests"] = ServiceRequest.objects.filter(pk__in=requests).delete()[0]
    CareTemplate.objects.filter(zone_id__in=[z.pk for z in zones]).delete()
    counts["passes"] = Pass.objects.filter(zone__in=zones).delete()[0]
    notices = Notice.objects.filter(zones__in=zones).distinct()
    counts["notices"] = Notice.objects.filter(pk__in=list(notices.values_list("pk", flat=True)))
    counts["notices"] = counts["notices"].delete()[0]
    ZoneRound.objects.filter(zone__in=zones).delete()
    ZoneChange.objects.filter(zone__in=zones).delete()
    ZoneMember.objects.filter(zone__in=zones).delete()
    counts["zones"] = RiskZone.objects.filter(pk__in=[z.pk for z in zones]).delete()[0]
    LabResult.objects.filter(tube__in=tubes).delete()
    counts["samples"] = Sample.objects.filter(round_id__in=rounds).delete()[0]
    RoundMember.objects.filter(round_id__in=rounds).delete()
    RetestOrder.objects.filter(Q(retest_round_id__in=rounds) | Q(source_tube__in=tubes)).delete()
    counts["tubes"] = tubes.delete()[0]
    TransportBox.objects.filter(round_id__in=rounds).delete()
    Station.objects.filter(round_id__in=rounds).delete()
    SamplingSite.objects.filter(round_id__in=rounds).delete()
    counts["rounds"] = TestingRound.objects.filter(pk__in=rounds).delete()[0]
    counts["orders"] = _wipe_orders(records.get("orders", []))
    counts["tokens"] = DeviceToken.objects.filter(pk__in=records.get("tokens", [])).delete()[0]
    return counts


def _wipe_orders(ids: list[int]) -> int:
    """Control orders follow one another (`previous`): the latest go first."""
    orders = ControlOrder.objects.filter(pk__in=ids)
    n = 0
    while orders.exists():
        leaves = orders.exclude(pk__in=orders.filter(previous__isnull=False).values("previous"))
        n += ControlOrder.objects.filter(pk__in=list(leaves.values_list("pk", flat=True))).delete()[
            0
        ]
    return n
