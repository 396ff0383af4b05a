"""Drills (演练): a replayed night run as an exercise, its roll call, and wiping it afterwards.

A drill is an incident with `drill=True`: its bulletins and notices carry the mark 演练 and are
numbered in series of their own, so running a replay again never takes an official number.
What the drill wrote in the domains (rounds and their tubes, samples, boxes and results; zones
and their notices; control orders; device tokens; tasks) is listed on the incident as it goes
(`remember_drill_records`), and `wipe_drill` removes exactly that, in one transaction, each
domain through its own `wipe_drill_…` service in the order their protected keys need.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import delete_drill_tokens, require_permission
from fangkong.core.errors import RuleViolation
from fangkong.lab.services.drills import wipe_drill_boxes, wipe_drill_results
from fangkong.services.services.drills import wipe_drill_care
from fangkong.testing.services.drills import wipe_drill_rounds, wipe_drill_tubes
from fangkong.tracing.services.drills import wipe_drill_orders
from fangkong.work.services import delete_tasks, wipe_drill_tasks
from fangkong.zones.services.drills import drill_zone_rounds, wipe_drill_zones

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
        delete_tasks(task_ids=linked)
        incident.delete()
    return counts


def _wipe_domains(records: dict) -> dict[str, int]:
    """The drill's rows in the domains, each through its own service, children before parents."""
    zone_ids = list(records.get("zones", []))
    round_ids = sorted(set(records.get("rounds", [])) | set(drill_zone_rounds(zone_ids=zone_ids)))
    counts = {
        "tasks": wipe_drill_tasks(
            task_ids=records.get("tasks", []), zone_ids=zone_ids, round_ids=round_ids
        )
    }
    # The care the drill gave goes before the zones its plans and trips' passes refer to.
    counts |= wipe_drill_care(request_ids=records.get("requests", []), zone_ids=zone_ids)
    counts |= wipe_drill_zones(zone_ids=zone_ids)
    wipe_drill_results(round_ids=round_ids)
    counts |= wipe_drill_tubes(round_ids=round_ids)
    wipe_drill_boxes(round_ids=round_ids)
    counts["rounds"] = wipe_drill_rounds(round_ids=round_ids)
    counts["orders"] = wipe_drill_orders(order_ids=records.get("orders", []))
    counts["tokens"] = delete_drill_tokens(token_ids=records.get("tokens", []))
    return counts
