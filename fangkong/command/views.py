"""Command pages: the dashboard (polled), incidents with their timeline and task board.

Thin: reads in `selectors`/`dashboard`, writes in `services`. Refusals are audited by the
services and the middleware.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import add_rule_error, client_ip, page_of
from fangkong.geo.selectors import area_names, get_node
from fangkong.geo.services import export_geojson
from fangkong.governance.selectors import desk_summary
from fangkong.services.selectors import request_board
from fangkong.work.models import Task

from . import selectors
from .dashboard import dashboard as read_dashboard
from .forms import CloseForm, CommanderForm, IncidentForm, NoteForm, RoleForm, TaskForm
from .models import Incident, IncidentStatus
from .page_access import incident_for_request, require_view
from .services import incidents as svc
from .services import tasks as task_services
from .services.notifications import QueueResult, notify_retest_members


def poll_seconds() -> int:
    return int(getattr(settings, "FANGKONG_DASHBOARD_POLL_SECONDS", 15))


# ---------------------------------------------------------------------------------------------
# Dashboard


def _dashboard_context(request: HttpRequest) -> dict:
    chosen = request.GET.get("round", "")
    board = read_dashboard(
        user=request.user, map_round_id=int(chosen) if chosen.isdigit() else None
    )
    return {
        "board": board,
        "map_round_param": f"?round={board.primary.round.pk}"
        if chosen.isdigit() and board.primary
        else "",
        "map_rows": board.grid_rows,
        "may_manage": can(request.user, "manage_incidents"),
        "desk": desk_summary(user=request.user),
        "requests": request_board(user=request.user)
        if can(request.user, "view_requests")
        else None,
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    require_view(request, "dashboard")
    context = _dashboard_context(request)
    context.update(scope_node=get_node(request.user.scope_code), poll_seconds=poll_seconds())
    return render(request, "command/dashboard.html", context)


@login_required
@require_GET
def dashboard_live(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures, polled by htmx."""
    require_view(request, "dashboard")
    response = render(request, "command/partials/dashboard_live.html", _dashboard_context(request))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def dashboard_map(request: HttpRequest) -> JsonResponse:
    """The grid shapes of the user's area (no figures: those come with every poll)."""

    require_view(request, "dashboard")
    data = export_geojson(scope_code=request.user.scope_code, level="grid")
    features = [
        {
            **f,
            "properties": {
                k: v for k, v in f["properties"].items() if k in ("code", "name_zh", "name_en")
            },
        }
        for f in data["features"]
        if f.get("geometry")
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


# ---------------------------------------------------------------------------------------------
# Incidents


def _named(incidents: list[Incident]) -> list[Incident]:
    """Each incident with its area's name, for the list's area column."""
    names = area_names(i.area_code for i in incidents)
    for incident in incidents:
        incident.area_name = names.get(incident.area_code, "")
    return incidents


CLOSED_PAGE_SIZE = 50


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    require_view(request, "incidents")
    incidents = selectors.incidents_for_user(request.user)
    # Every open incident is on the first screen; the closed ones, an archive, page by page.
    closed = incidents.exclude(status=IncidentStatus.OPEN).order_by("-opened_at", "-pk")
    return render(
        request,
        "command/incidents.html",
        {
            "open": _named(list(incidents.filter(status=IncidentStatus.OPEN))),
            "closed": Paginator(closed, CLOSED_PAGE_SIZE).get_page(request.GET.get("page")),
            "may_open": can(request.user, "manage_incidents"),
        },
    )


@login_required
def incident_new(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="manage_incidents", object_type="incident", ip=client_ip(request)
    )
    form = IncidentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            incident = svc.open_incident(
                user=request.user,
                title=d["title"],
                kind=d["kind"],
                area_code=d["area_code"],
                commander=d["commander"],
                opened_at=d["opened_at"],
                description=d["description"],
            )
        except PermissionDeniedError:
            raise
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _g("Incident opened."))
            return redirect("command:incident", incident.pk)
    return render(request, "command/incident_new.html", {"form": form})


def _incident_context(request: HttpRequest, incident: Incident, **forms) -> dict:
    user = request.user
    may_lead = svc.may_lead(user, incident)
    may_command = can(user, "manage_incidents", incident.area_code) or (
        incident.commander_id == user.pk
    )
    tasks = page_of(request, selectors.board_tasks(user=user, incident=incident), param="tasks")
    context = {
        "now": timezone.now(),
        "incident": incident,
        "node": get_node(incident.area_code),
        "timeline": selectors.timeline(incident),
        "roles": incident.roles.select_related("user").order_by("role", "id"),
        "roll_calls": incident.roll_calls.select_related("user").order_by(
            F("at").asc(nulls_last=True), "called_at", "id"
        ),
        "board": selectors.task_board(user=user, incident=incident, rows=tasks.object_list),
        "tasks": tasks,
        "board_area": selectors.board_area(user, incident),
        "bulletins": incident.bulletins.order_by("-year", "-number"),
        "may_lead": may_lead and incident.is_open,
        "may_command": may_command,
        "may_bulletin": can(user, "manage_incidents", incident.area_code),
        "note_form": forms.get("note_form") or NoteForm(),
        "role_form": forms.get("role_form") or RoleForm(incident=incident),
        "commander_form": forms.get("commander_form") or CommanderForm(incident=incident),
        "close_form": forms.get("close_form") or CloseForm(),
        "task_form": forms.get("task_form") or TaskForm(incident=incident),
    }
    return context


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_request(request, pk)
    return render(request, "command/incident.html", _incident_context(request, incident))


def _post_form(request, incident, form, name: str, action) -> HttpResponse:
    """Run `action(cleaned_data)` for a valid form; on a broken rule, show the page again."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except PermissionDeniedError:
            raise
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            return redirect("command:incident", incident.pk)
    context = _incident_context(request, incident, **{name: form})
    return render(request, "command/incident.html", context, status=422)


@login_required
@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_request(request, pk)
    return _post_form(
        request,
        incident,
        NoteForm(request.POST),
        "note_form",
        lambda d: svc.add_note(incident=incident, user=request.user, text=d["text"]),
    )


@login_required
@require_POST
def incident_role(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_request(request, pk)

    def assign(d):
        svc.assign_role(incident=incident, user=request.user, member=d["member"], role=d["role"])

    return _post_form(
        request, incident, RoleForm(request.POST, incident=incident), "role_form", assign
    )


@login_required
@require_POST
def incident_commander(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_request(request, pk)

    def change(d):
        svc.set_commander(incident=incident, user=request.user, commander=d["commander"])

    return _post_form(
        request, incident, CommanderForm(request.POST, incident=incident), "commander_form", change
    )


@login_required
@require_POST
def incident_close(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_request(request, pk)

    def close(d):
        svc.close_incident(
            incident=incident, user=request.user, summary=d["summary"], summary_en=d["summary_en"]
        )

    return _post_form(request, incident, CloseForm(request.POST), "close_form", close)


@login_required
@require_POST
def incident_task(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_request(request, pk)

    def create(d):
        task_services.create_task(
            incident=incident,
            user=request.user,
            title=d["title"],
            kind=d["kind"],
            area_code=d["area_code"] or None,
            assignee=d["assignee"],
            due_at=d["due_at"],
        )

    return _post_form(
        request, incident, TaskForm(request.POST, incident=incident), "task_form", create
    )


@login_required
@require_POST
def incident_notify_retests(request: HttpRequest, pk: int) -> HttpResponse:
    """SMS to the people waiting for a single-tube retest in the incident's area."""

    incident = incident_for_request(request, pk)
    result: QueueResult = notify_retest_members(incident=incident, user=request.user)
    messages.success(
        request,
        _g(
            "%(queued)d messages queued, %(already)d already sent before, %(no_phone)d without a phone."
        )
        % {"queued": result.queued, "already": result.already, "no_phone": result.no_phone},
    )
    return redirect("command:incident", incident.pk)


@login_required
@require_POST
def task_state(request: HttpRequest, pk: int) -> HttpResponse:
    require_view(request, "task")
    task = get_object_or_404(Task.objects.select_related("assignee"), pk=pk)
    task_services.set_task_state(task=task, user=request.user, state=request.POST.get("state", ""))
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    incident = task_services.incident_of(task)
    if incident is not None:
        return redirect("command:incident", incident.pk)
    return redirect("command:dashboard")
