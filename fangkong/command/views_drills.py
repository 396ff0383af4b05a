"""A drill's own page action: wiping it and everything it wrote."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fangkong.core.errors import PermissionDeniedError, RuleViolation

from .page_access import incident_for_request
from .services.drills import wipe_drill


@login_required
@require_POST
def incident_wipe(request: HttpRequest, pk: int) -> HttpResponse:
    """Wipe a drill; a real incident is refused with the reason."""
    incident = incident_for_request(request, pk)
    title = incident.title
    try:
        wipe_drill(incident=incident, user=request.user)
    except PermissionDeniedError:
        raise
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
        return redirect("command:incident", pk)
    messages.success(request, gettext("Drill wiped: %(title)s.") % {"title": title})
    return redirect("command:incidents")
