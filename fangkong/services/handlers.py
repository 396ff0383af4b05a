"""Reactions to other domains' events: a designated zone's vulnerable residents get their work.

Subscribed by event kind, so the zones app does not know this app exists; the members are
resolved and the residents found through the zones app's public functions.
"""

from __future__ import annotations

from django.utils import timezone

from fangkong.core.events import subscribe
from fangkong.core.models import OutboxEvent
from fangkong.zones.selectors import residents_q
from fangkong.zones.services.designation import resolve_members

from .selectors import vulnerable_in
from .services.care import cancel_care_tasks, plan_care_tasks
from .services.care_templates import end_templates, keep_templates


@subscribe("zones.zone_designated")
def on_zone_designated(event: OutboxEvent) -> None:
    p = event.payload
    members = resolve_members(p.get("members", []))
    people = list(vulnerable_in(residents_q(members)))
    start = timezone.localtime(event.occurred_at).date()
    plan_care_tasks(zone_id=p["zone_id"], residents=people, start=start)
    keep_templates(zone_id=p["zone_id"], residents=people, start=start)


@subscribe("zones.zone_lifted")
def on_zone_lifted(event: OutboxEvent) -> None:
    cancel_care_tasks(zone_id=event.payload["zone_id"], after=event.occurred_at)
    end_templates(zone_id=event.payload["zone_id"])
