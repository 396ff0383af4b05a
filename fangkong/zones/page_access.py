"""What every zone page does first: check the permission and fetch the zone in the user's view."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from fangkong.accounts.services import require_permission
from fangkong.core.http import client_ip

from . import selectors
from .models import RiskZone


def zone_for_request(request: HttpRequest, pk: int, action: str = "view_zones") -> RiskZone:
    """The zone a page names, after the permission check; 404 for a zone that is not there."""
    require_permission(
        actor=request.user,
        action=action,
        object_type="risk_zone",
        object_id=pk,
        ip=client_ip(request),
    )
    zone = selectors.get_zone(user=request.user, pk=pk)
    if zone is None:
        raise Http404
    return zone
