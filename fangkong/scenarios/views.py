"""The commander's replay button: run a scenario, then open the incident it made."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.http import client_ip

from . import default_scale, get_runner


def _scale(request: HttpRequest, name: str) -> float:
    raw = (request.POST.get("scale") or "").strip()
    if not raw:
        return default_scale(name)
    try:
        return float(raw)
    except ValueError:
        raise RuleViolation(
            field="scale", code="format", message=_("The scale is a number.")
        ) from None


@login_required
@require_POST
def run_scenario(request: HttpRequest, name: str) -> HttpResponse:
    """Replay the scenario as the signed-in commander; open its incident."""
    runner = get_runner(name)
    if runner is None:
        raise Http404
    require_permission(
        actor=request.user,
        action="manage_incidents",
        object_type="scenario",
        object_id=name,
        ip=client_ip(request),
    )
    replay = runner(user=request.user, scale=_scale(request, name))
    messages.success(
        request,
        _("Replayed: %(title)s, in %(seconds).1f s.")
        % {"title": replay.incident.title, "seconds": replay.seconds},
    )
    try:
        return redirect(reverse("command:incident", args=[replay.incident.pk]))
    except NoReverseMatch:
        return redirect("/")
