"""Door-knocking: tasks generated from a round's untested residents and the grid worker's page
(who in my grid is not yet tested, building by building). Outcomes are recorded on the
household pages (`views_knock`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.services import deny
from fangkong.core.areas import is_within, level_of
from fangkong.core.errors import RuleViolation
from fangkong.core.http import client_ip
from fangkong.geo.selectors import get_node
from fangkong.work.models import TaskState

from . import selectors
from .page_access import area_param, grid_scope, round_for_request
from .services.doorknock import generate_doorknock_tasks


@login_required
@require_POST
def doorknock_generate(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = round_for_request(request, pk)
    area = area_param(request)
    result = generate_doorknock_tasks(round=round_, user=request.user, area_code=area)
    messages.success(
        request,
        _(
            "Door-knocking: %(created)d new tasks, %(updated)d refreshed, %(closed)d closed; "
            "%(people)d people not yet tested."
        )
        % {
            "created": result.created,
            "updated": result.updated,
            "closed": result.closed,
            "people": result.people,
        },
    )
    url = reverse("testing:round", args=[round_.pk])
    return redirect(url + (f"?{urlencode({'area': area})}" if area else ""))


@login_required
@require_GET
def grid_work(request: HttpRequest, pk: int) -> HttpResponse:
    """A grid worker's page: who in my grid is not yet tested, building by building, and my
    door-knocking tasks."""
    round_ = round_for_request(request, pk)
    user = request.user
    grid = (request.GET.get("grid") or "").strip() or grid_scope(user)
    context: dict = {"round": round_, "grid": grid}
    if not grid:
        coverage = selectors.round_coverage(user=user, round=round_)
        context["grids"] = coverage.grids
        return render(request, "testing/grid_work.html", context)
    try:
        is_grid = level_of(grid) == "grid"
    except ValueError:
        is_grid = False
    if not is_grid:
        raise RuleViolation(field="grid", code="format", message=_("Pick a grid."))
    if not is_within(grid, user.scope_code):
        deny(
            actor=user,
            action="view_residents",
            area_code=grid,
            object_type="grid",
            object_id=grid,
            ip=client_ip(request),
        )
    coverage = selectors.round_coverage(user=user, round=round_, area_code=grid)
    tasks = list(selectors.doorknock_tasks(user=user, round=round_, area_code=grid))
    context.update(
        grid_obj=get_node(grid),
        coverage=coverage,
        groups=selectors.untested_by_building(user=user, round=round_, area_code=grid)
        if coverage.area_codes
        else [],
        tasks=sorted(tasks, key=lambda t: (t.state != TaskState.OPEN, t.key)),
        households=selectors.household_coverage(user=user, round=round_, area_code=grid),
    )
    return render(request, "testing/grid_work.html", context)
