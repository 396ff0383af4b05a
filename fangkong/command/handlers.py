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
