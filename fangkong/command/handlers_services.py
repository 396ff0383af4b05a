"""Timeline entries from the services app: overdue requests and closed medical trips."""

from __future__ import annotations

from django.utils.translation import gettext as _

from fangkong.core.events import subscribe
from fangkong.core.models import OutboxEvent
from fangkong.geo.selectors import area_names
from fangkong.services.selectors import kind_label

from .handlers import _record
from .models import TimelineEntry
from .scope import open_incidents_for


@subscribe("services.requests_overdue")
def on_requests_overdue(event: OutboxEvent) -> None:
    """One entry on each open incident covering a community with newly overdue requests
    (the incidents and the communities' names read once, whatever the number of communities)."""
    communities = event.payload.get("communities", {})
    incidents = open_incidents_for(sorted(communities))
    names = area_names(incidents)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            at=event.occurred_at,
            kind="requests_overdue",
            event=event,
            text=_overdue_text(names.get(community, community), communities[community]),
        )
        for community, incident in incidents.items()
    )


def _overdue_text(place: str, p: dict) -> str:
    kinds = "、".join(f"{kind_label(k)} {n}" for k, n in sorted(p.get("by_kind", {}).items()))
    text = _(
        "%(count)d resident requests overdue in %(place)s (%(kinds)s); escalated to level %(level)d."
    ) % {
        "count": p.get("count", 0),
        "place": place,
        "kinds": kinds,
        "level": p.get("top_level", 1),
    }
    return text


@subscribe("services.medical_trip_closed")
def on_medical_trip_closed(event: OutboxEvent) -> None:
    p = event.payload
    if p.get("emergency"):
        text = _("Medical trip for %(person)s handed over to 120 and closed (%(hospital)s).")
    else:
        text = _("Medical trip for %(person)s to %(hospital)s made and closed: back home.")
    _record(
        event,
        "medical_trip",
        text % {"person": p.get("person", ""), "hospital": p.get("hospital", "")},
    )
