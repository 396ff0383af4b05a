"""Pages for testing rounds: the list and the new-round form, the command centre's round page
(live coverage by grid, map, tubes, overdue tubes, bulletin figures, planner), closing a round,
and the pooling advisor. Exports are in `views_exports`, door-knocking and the grid worker's
page in `views_doorknock`. Thin: the reads are in `selectors`, the writes in `services`, the
arithmetic in `planning`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import add_rule_error, client_ip, page_of
from fangkong.geo.selectors import ancestors, area_names, get_node
from fangkong.work.models import TaskState

from . import selectors
from .forms import PoolingForm, RosterForm, RoundForm
from .models import DEFAULT_POOL_SIZES, PoolGroup, RoundKind, TestingRound, TubeState
from .page_access import area_param, grid_scope, round_for_request, view_node
from .planning import PoolingInputError, advise_pooling, plan_round
from .services.rosters import attach_roster, import_roster
from .services.rounds import close_round, create_round


def poll_seconds() -> int:
    """How often the round page refreshes its numbers (10–15 s keeps a district's command
    centre current without hammering the database)."""
    return int(getattr(settings, "FANGKONG_COVERAGE_POLL_SECONDS", 12))


# ---------------------------------------------------------------------------------------------
# Rounds


@login_required
@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user,
        action="view_residents",
        object_type="testing_round",
        ip=client_ip(request),
    )
    can_manage = selectors.may_manage_rounds(request.user)
    form = RoundForm(user=request.user) if can_manage else None
    return _render_rounds(request, form)


def _render_rounds(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    # Daily rounds pile up over a campaign: a page of them, its phases and names only.
    page = page_of(request, selectors.rounds_for_user(request.user))
    rounds = page.object_list
    phases = selectors.round_phases(rounds=rounds, now=timezone.now())
    names = area_names(code for r in rounds for code in r.scope_codes)
    for r in rounds:  # the round's areas by name, their codes as hints
        r.scope_labels = [(code, names.get(code, "")) for code in r.scope_codes]
    context = {
        "rounds": [(r, phases[r.pk]) for r in rounds],
        "page": page,
        "form": form,
        "pool_defaults": [(PoolGroup(g).label, n) for g, n in DEFAULT_POOL_SIZES.items()],
        "is_grid_worker": grid_scope(request.user) is not None,
    }
    return render(request, "testing/rounds.html", context, status=status)


@login_required
@require_POST
def round_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.may_manage_rounds(user):
        deny(
            actor=user,
            action="manage_rounds",
            area_code=user.scope_code,
            object_type="testing_round",
            ip=client_ip(request),
        )
    form = RoundForm(request.POST, user=user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            round_ = create_round(
                name=d["name"],
                scope_codes=d["areas"],
                user=user,
                pool_group=d["pool_group"],
                pool_size=d["pool_size"],
                kind=d["kind"] or RoundKind.MASS,
                starts_at=d["starts_at"],
                due_at=d["due_at"],
            )
        except PermissionDeniedError:
            raise
        except RuleViolation as exc:
            add_rule_error(form, exc, fields={"scope_codes": "areas"})
        else:
            messages.success(request, _("Round created."))
            return redirect("testing:round", pk=round_.pk)
    return _render_rounds(request, form, status=422)


def _live_context(request: HttpRequest, round_: TestingRound, area: str | None) -> dict:
    user = request.user
    coverage = selectors.round_coverage(user=user, round=round_, area_code=area)
    stats = selectors.round_statistics(round_ids=[round_.pk])[round_.pk]
    task_states = dict(
        selectors.doorknock_tasks(user=user, round=round_, area_code=area)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    node = view_node(coverage.area_codes)
    return {
        "round": round_,
        "area": area or "",
        "node": node,
        "coverage": coverage,
        "stats": stats,
        "phrase": selectors.bulletin_phrase(stats, get_language() or settings.LANGUAGE_CODE),
        "plan": plan_round(population=coverage.residents, pool_size=round_.pool_size),
        "tasks_open": task_states.get(TaskState.OPEN, 0),
        "tasks_done": task_states.get(TaskState.DONE, 0),
        "households": selectors.household_coverage(user=user, round=round_, area_code=area),
        "map_rows": [
            {
                "code": g.code,
                "name": g.name,
                "percent": g.percent,
                "tested": g.tested,
                "residents": g.residents,
            }
            for g in coverage.grids
        ],
        "live_url": reverse("testing:round_live", args=[round_.pk])
        + (f"?{urlencode({'area': area})}" if area else ""),
        "poll_seconds": poll_seconds(),
        "updated_at": timezone.now(),
        "state_labels": dict(TubeState.choices),
    }


@login_required
@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = round_for_request(request, pk)
    return _render_round(request, round_)


def _render_round(
    request: HttpRequest, round_: TestingRound, *, roster_form=None, problems=(), status=200
) -> HttpResponse:
    area = area_param(request)
    context = _live_context(request, round_, area)
    user = request.user
    node = context["node"]
    can_manage = bool(node) and selectors.may_manage_rounds(user, node)
    if can_manage and roster_form is None and round_.kind != RoundKind.RETEST:
        roster_form = RosterForm(places=selectors.roster_places(user=user, round=round_))
    context.update(
        breadcrumbs=ancestors(node) if node else [],
        node_obj=get_node(node) if node else None,
        can_export=bool(node) and can(user, "export_residents", node),
        can_manage=can_manage,
        area_names=_area_names(round_.scope_codes),
        query=urlencode({"area": area}) if area else "",
        phase=selectors.round_phase(round=round_, now=timezone.now()),
        rosters=selectors.round_rosters(user=user, round=round_),
        roster_form=roster_form,
        roster_problems=problems,
    )
    return render(request, "testing/round_detail.html", context, status=status)


@login_required
@require_POST
def round_roster(request: HttpRequest, pk: int) -> HttpResponse:
    """Import an institution's roster (Excel or CSV) and add it to the round's scope."""
    round_ = round_for_request(request, pk, action="manage_rounds")
    places = selectors.roster_places(user=request.user, round=round_)
    form = RosterForm(request.POST, request.FILES, places=places)
    if not form.is_valid():
        return _render_round(request, round_, roster_form=form, status=422)
    place = places.get(pk=form.cleaned_data["place"])
    upload = form.cleaned_data["file"]
    try:
        result = import_roster(place=place, source=upload, filename=upload.name, user=request.user)
        if result.roster is not None:
            attach_roster(round=round_, roster=result.roster, user=request.user)
    except RuleViolation as exc:
        add_rule_error(form, exc)
        return _render_round(request, round_, roster_form=form, status=422)
    if result.problems:
        return _render_round(
            request, round_, roster_form=form, problems=result.problems, status=422
        )
    messages.success(
        request,
        _("Roster of %(place)s imported: %(n)s people (%(new)s not in the registry before).")
        % {"place": place, "n": result.members, "new": result.registered},
    )
    return redirect(reverse("testing:round", args=[round_.pk]))


def _area_names(codes: list[str]) -> list[tuple[str, str]]:
    out = []
    for code in codes:
        node = get_node(code)
        out.append((code, str(node) if node else code))
    return out


@login_required
@require_GET
def round_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The numbers of the round page, polled by htmx."""
    round_ = round_for_request(request, pk)
    context = _live_context(request, round_, area_param(request))
    response = render(request, "testing/partials/round_live.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def round_map(request: HttpRequest, pk: int) -> JsonResponse:
    """GeoJSON of the grids in view, with their coverage, for the ECharts map."""
    round_ = round_for_request(request, pk)
    coverage = selectors.round_coverage(
        user=request.user, round=round_, area_code=area_param(request)
    )
    return JsonResponse(selectors.coverage_features(coverage=coverage))


@login_required
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    """End the round's sampling (the commander's or planner's button on the round page)."""
    round_ = round_for_request(request, pk)
    close_round(round=round_, user=request.user)
    messages.success(
        request,
        _("Sampling for %(round)s has ended: no new samples are taken.") % {"round": round_.name},
    )
    return redirect(reverse("testing:round", args=[round_.pk]))


# ---------------------------------------------------------------------------------------------
# Pooling advisor


@login_required
@require_GET
def pooling(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_areas", object_type="pooling", ip=client_ip(request)
    )
    form = PoolingForm(request.GET or None)
    advice = plan = None
    if form.is_valid():
        d = form.cleaned_data
        try:
            advice = advise_pooling(
                prevalence=d["prevalence"], max_pool=d["max_pool"], population=d["population"]
            )
        except PoolingInputError as exc:
            form.add_error(exc.field, exc.message)
        else:
            if d["population"]:
                plan = plan_round(
                    population=d["population"],
                    pool_size=advice.pool_size,
                    environment_points=d["environment_points"] or 0,
                    prevalence=d["prevalence"],
                )
    rows = [
        {
            **row,
            "width": round(min(row["tests_per_person"], 1) * 100, 1),
            "best": row["pool_size"] == advice.pool_size,
        }
        for row in (advice.by_pool_size if advice else [])
    ]
    context = {
        "form": form,
        "advice": advice,
        "plan": plan,
        "rows": rows,
        "groups": [(PoolGroup(g).label, n) for g, n in DEFAULT_POOL_SIZES.items()],
    }
    status = 422 if request.GET and not form.is_valid() else 200
    return render(request, "testing/pooling.html", context, status=status)
