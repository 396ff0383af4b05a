"""What the command centre's pages share: the view permission and the incident a page opens."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from fangkong.accounts.services import require_permission
from fangkong.core.http import client_ip

from . import selectors
from .models import Incident


def require_view(request: HttpRequest, object_type: str = "command") -> None:
    require_permission(
        actor=request.user, action="view_incidents", object_type=object_type, ip=client_ip(request)
    )


def incident_for_request(request: HttpRequest, pk: int) -> Incident:
    """The incident a page names, if the user may see it; 404 when there is none."""
    require_view(request, "incident")
    incident = selectors.get_incident(user=request.user, pk=pk)
    if incident is None:
        raise Http404
    return incident
