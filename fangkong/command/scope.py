"""Area scope for the command centre's rows: one node and everything under it."""

from __future__ import annotations

from django.db.models import Q

from fangkong.core.areas import AreaCode, is_within, within_q

from .models import Incident, IncidentStatus


def parents_and_self(code: str) -> list[str]:
    """`410172-001-001` → [`410172`, `410172-001`, `410172-001-001`]."""
    return AreaCode(code).lineage


def meets_q(scope: str, field: str = "area_code") -> Q:
    """Rows whose area lies below `scope`, or above it on the path to it (an incident of the
    whole district concerns a community's staff too)."""
    return Q(**{f"{field}__in": parents_and_self(scope)}) | within_q(scope, field)


def meets(code: str, scope: str) -> bool:
    return is_within(code, scope) or is_within(scope, code)


def narrower(a: str, b: str) -> str | None:
    """The deeper of two nested nodes, or None when they do not nest."""
    if is_within(a, b):
        return a
    if is_within(b, a):
        return b
    return None


def open_incident_for(area_code: str) -> Incident | None:
    """The open incident covering this area: the oldest open in its community or below it.
    Every event handler files its timeline entries through this one rule."""
    community = AreaCode(area_code).community
    return (
        Incident.objects.filter(within_q(community), status=IncidentStatus.OPEN)
        .order_by("opened_at", "id")
        .first()
    )


def open_incidents_for(area_codes: list[str]) -> dict[str, Incident]:
    """`open_incident_for` for many areas in one query (a sweep's news names a hundred
    communities; open incidents are few)."""
    incidents = list(
        Incident.objects.filter(status=IncidentStatus.OPEN).order_by("opened_at", "id")
    )
    found: dict[str, Incident] = {}
    for code in area_codes:
        community = AreaCode(code).community
        first = next((i for i in incidents if is_within(i.area_code, community)), None)
        if first is not None:
            found[code] = first
    return found
