"""Timeline entries from the services app: overdue requests and closed medical trips."""

from __future__ import annotations

from django.utils.translation import gettext as _

from fangkong.core.events import subscribe
from fangkong.core.models import OutboxEvent
from fangkong.services.selectors import kind_label

from .handlers import _open_incident_for, _place_name, _record
from .models import TimelineEntry


@subscribe("services.requests_overdue")
def on_requests_overdue(event: OutboxEvent) -> None:
    """One entry on each open incident covering a community with newly overdue requests."""
    for community, figures in sorted(event.payload.get("communities", {}).items()):
        incident = _open_incident_for(community)
        if incident is not None:
            TimelineEntry.objects.create(
                incident=incident,
                at=event.occurred_at,
                kind="requests_overdue",
                event=event,
                text=_overdue_text(community, figures),
            )


def _overdue_text(community: str, p: dict) -> str:
    kinds = "、".join(f"{kind_label(k)} {n}" for k, n in sorted(p.get("by_kind", {}).items()))
    text = _(
        "%(count)d resident requests overdue in %(place)s (%(kinds)s); escalated to level %(level)d."
    ) % {
        "count": p.get("count", 0),
        "place": _place_name(community),
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
