"""The command centre's answers to tracing's events: a case opened, an investigation clock run
out, a control order released. Each is an entry on the timeline of the open incident covering
the place; a case where no incident is open opens one, as a positive pool does."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.areas import AreaCode
from fangkong.core.events import subscribe
from fangkong.core.models import OutboxEvent
from fangkong.geo.selectors import get_node

from .models import Incident, IncidentKind, TimelineEntry
from .scope import open_incident_for
from .services.rollcall import call_duty_roll


def _entry(incident: Incident, event: OutboxEvent, kind: str, text: str) -> None:
    TimelineEntry.objects.create(
        incident=incident, at=event.occurred_at, kind=kind, event=event, text=text
    )


def _local(iso: str) -> str:
    """An event's ISO time as the staff's local date and minute."""
    try:
        return timezone.localtime(dt.datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _case_kind(kind: str) -> str:
    return _("Confirmed case") if kind == "confirmed" else _("Asymptomatic infection")


@subscribe("tracing.case_opened")
def on_case_opened(event: OutboxEvent) -> None:
    p = event.payload
    what = {"kind": _case_kind(p.get("case_kind", "")), "person": p.get("person", "")}
    incident = open_incident_for(event.area_code)
    if incident is None:
        community = AreaCode(event.area_code).community
        node = get_node(community)
        incident = Incident.objects.create(
            title=_("%(place)s: %(kind)s %(person)s")
            % {**what, "place": node.name_zh if node is not None else community},
            kind=IncidentKind.CASE,
            area_code=community,
            opened_at=event.occurred_at,
            source_event=event,
        )
        call_duty_roll(incident=incident)
    _entry(incident, event, "case_opened", _("Case opened: %(kind)s %(person)s.") % what)


@subscribe("tracing.case_clock_overdue")
def on_case_clock_overdue(event: OutboxEvent) -> None:
    p = event.payload
    clock = _("the report") if p.get("clock") == "report" else _("the case investigation")
    incident = open_incident_for(event.area_code)
    if incident is not None:
        text = _("Overdue: %(clock)s of case %(person)s (due %(due)s).") % {
            "clock": clock,
            "person": p.get("person", ""),
            "due": _local(p.get("due_at", "")),
        }
        _entry(incident, event, "case_clock_overdue", text)


@subscribe("tracing.order_released")
def on_order_released(event: OutboxEvent) -> None:
    p = event.payload
    incident = open_incident_for(event.area_code)
    if incident is not None:
        text = _("Control order %(notice)s released: %(person)s, %(tests)d negative tests.") % {
            "notice": p.get("notice", ""),
            "person": p.get("person", ""),
            "tests": p.get("tests", 0),
        }
        _entry(incident, event, "order_released", text)
