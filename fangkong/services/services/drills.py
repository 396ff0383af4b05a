"""Wiping what a drill (演练) wrote in services: its requests, their trips, the zones' care plans.

The command centre's `wipe_drill` calls this inside its own transaction, before the zones go.
"""

from __future__ import annotations

from ..models import CareTemplate, MedicalTrip, ServiceRequest


def wipe_drill_care(*, request_ids: list[int], zone_ids: list[int]) -> dict[str, int]:
    """Delete the drill's requests (a trip before its request) and the zones' care templates."""
    MedicalTrip.objects.filter(request_id__in=request_ids).delete()
    requests = ServiceRequest.objects.filter(pk__in=request_ids).delete()[0]
    CareTemplate.objects.filter(zone_id__in=zone_ids).delete()
    return {"requests": requests}
