"""Turn domain events into incidents and timeline entries."""

from __future__ import annotations

from django.utils.translation import gettext as _

from fangkong.core.events import subscribe
from fangkong.core.models import OutboxEvent
from fangkong.geo.selectors import get_node

from .models import Incident, IncidentStatus, TimelineEntry


def _place_name(area_code: str) -> str:
    node = get_node("-".join(area_code.split("-")[:3])) if area_code else None
    return node.name_zh if node is not None else area_code


def _open_incident_for(area_code: str) -> Incident | None:
    """The open incident covering this area (same community), if any."""
    community = "-".join(area_code.split("-")[:3])
    return (
        Incident.objects.filter(status=IncidentStatus.OPEN, area_code__startswith=community)
        .order_by("opened_at")
        .first()
    )


@subscribe("testing.pool_positive")
def on_pool_positive(event: OutboxEvent) -> None:
    p = event.payload
    incident = _open_incident_for(event.area_code)
    label = _("presumptive positive") if p["result"] == "presumptive_positive" else _("positive")
    if incident is None:
        incident = Incident.objects.create(
            title=_("%(place)s: tube %(barcode)s %(label)s")
            % {"place": _place_name(event.area_code), "barcode": p["barcode"], "label": label},
            kind="pool_positive",
            area_code="-".join(event.area_code.split("-")[:3]),
            opened_at=event.occurred_at,
            source_event=event,
        )
    TimelineEntry.objects.create(
        incident=incident,
        at=event.occurred_at,
        kind="pool_positive",
        event=event,
        text=_(
            "Tube %(barcode)s (%(station)s) %(label)s: %(members)d people listed, %(orders)d single-tube retest orders, %(households)d households told to stay home."
        )
        % {
            "barcode": p["barcode"],
            "station": p["station"],
            "label": label,
            "members": p["members"],
            "orders": p["retest_orders"],
            "households": len(p["household_codes"]),
        },
    )


@subscribe("testing.pool_cleared")
def on_pool_cleared(event: OutboxEvent) -> None:
    incident = _open_incident_for(event.area_code)
    if incident is not None:
        TimelineEntry.objects.create(
            incident=incident,
            at=event.occurred_at,
            kind="pool_cleared",
            event=event,
            text=_("All members of tube %(barcode)s re-tested negative.")
            % {"barcode": event.payload["barcode"]},
        )


@subscribe("testing.person_positive")
def on_person_positive(event: OutboxEvent) -> None:
    incident = _open_incident_for(event.area_code)
    if incident is not None:
        TimelineEntry.objects.create(
            incident=incident,
            at=event.occurred_at,
            kind="person_positive",
            event=event,
            text=_("A single-tube retest from tube %(barcode)s is positive: case to investigate.")
            % {"barcode": event.payload["barcode"]},
        )


def _zone_kind_label(kind: str) -> str:
    from fangkong.zones.models import ZoneKind

    return str(ZoneKind(kind).label) if kind in ZoneKind.values else kind


@subscribe("zones.zone_designated")
def on_zone_designated(event: OutboxEvent) -> None:
    incident = _open_incident_for(event.area_code)
    if incident is not None:
        p = event.payload
        TimelineEntry.objects.create(
            incident=incident,
            at=event.occurred_at,
            kind="zone_designated",
            event=event,
            text=_(
                "%(name)s designated a %(kind)s: %(residents)d residents inside, %(elderly)d elderly living alone, %(medical)d needing medical trips; %(rounds)d testing rounds scheduled."
            )
            % {
                "name": p["name"],
                "kind": _zone_kind_label(p["zone_kind"]),
                "residents": p["residents"],
                "elderly": p["elderly_alone"],
                "medical": p["medical_trips"],
                "rounds": p["rounds"],
            },
        )


@subscribe("zones.zone_downgraded")
def on_zone_downgraded(event: OutboxEvent) -> None:
    incident = _open_incident_for(event.area_code)
    if incident is not None:
        p = event.payload
        TimelineEntry.objects.create(
            incident=incident,
            at=event.occurred_at,
            kind="zone_downgraded",
            event=event,
            text=_("%(name)s downgraded from %(from)s to %(to)s: %(reason)s")
            % {
                "name": p["name"],
                "from": _zone_kind_label(p["from_kind"]),
                "to": _zone_kind_label(p["to_kind"]),
                "reason": p["reason"],
            },
        )


@subscribe("zones.zone_lifted")
def on_zone_lifted(event: OutboxEvent) -> None:
    incident = _open_incident_for(event.area_code)
    if incident is not None:
        p = event.payload
        TimelineEntry.objects.create(
            incident=incident,
            at=event.occurred_at,
            kind="zone_lifted",
            event=event,
            text=_("%(name)s (%(kind)s) lifted: %(reason)s")
            % {"name": p["name"], "kind": _zone_kind_label(p["zone_kind"]), "reason": p["reason"]},
        )
