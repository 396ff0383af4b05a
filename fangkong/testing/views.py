"""Pages for testing rounds: the list and the new-round form, the command centre's round page
(live coverage by grid, map, tubes, overdue tubes, bulletin figures, planner, exports,
door-knocking), the grid worker's page, and the pooling advisor. Thin: the reads are in
`selectors`, the writes in `services`, the arithmetic in `planning`.
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from fangkong.accounts.permissions import can
from fangkong.accounts.services import deny, require_permission
from fangkong.core.areas import is_within, level_of
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit
from fangkong.geo.models import Community, Grid, Subdistrict
from fangkong.geo.selectors import ancestors, get_node
from fangkong.work.models import Task, TaskState

from . import selectors
from .models import DEFAULT_POOL_SIZES, PoolGroup, TestingRound, TubeState
from .planning import MAX_POOL, PoolingInputError, advise_pooling, plan_round
from .services.doorknock import complete_doorknock_task, generate_doorknock_tasks
from .services.rounds import close_round, common_area, create_round

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def poll_seconds() -> int:
    """How often the round page refreshes its numbers (10–15 s keeps a district's command
    centre current without hammering the database)."""
    return int(getattr(settings, "FANGKONG_COVERAGE_POLL_SECONDS", 12))


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _area_param(request: HttpRequest) -> str | None:
    code = (request.GET.get("area") or request.POST.get("area") or "").strip()
    if not code:
        return None
    try:
        level_of(code)
    except ValueError:
        raise RuleViolation(field="area", code="format", message=_("Unknown area code.")) from None
    return code


def _round_for(request: HttpRequest, pk: int, action: str = "view_residents") -> TestingRound:
    """The round, if the user's role allows `action` and the round meets their scope; refusals
    are written to the audit log."""
    require_permission(
        actor=request.user,
        action=action,
        object_type="testing_round",
        object_id=pk,
        ip=_ip(request),
    )
    round_ = TestingRound.objects.filter(pk=pk).first()
    if round_ is None:
        raise Http404
    if not selectors.round_prefixes(user=request.user, round=round_):
        deny(
            actor=request.user,
            action=action,
            area_code=round_.area_code,
            object_type="testing_round",
            object_id=pk,
            ip=_ip(request),
        )
    return round_


def _view_node(prefixes: list[str]) -> str:
    return common_area(prefixes) if prefixes else ""


# ---------------------------------------------------------------------------------------------
# Forms


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    areas = forms.MultipleChoiceField(
        label=_("Areas"), help_text=_("Hold Ctrl (or ⌘) to pick several.")
    )
    pool_group = forms.ChoiceField(
        label=_("Group"), choices=PoolGroup.choices, initial=PoolGroup.GENERAL
    )
    pool_size = forms.IntegerField(
        label=_("Pool size (override)"),
        required=False,
        min_value=1,
        max_value=MAX_POOL,
        help_text=_("Leave empty to use the group's pool size."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = area_choices(user.scope_code)


def area_choices(scope: str) -> list[tuple[str, str]]:
    """The user's node and every sub-district, community and grid under it, in tree order."""
    english = (get_language() or "").startswith("en")
    top = len(scope.split("-"))
    node = get_node(scope)
    rows = [(scope, f"{node} ({scope})" if node else scope)]
    for model in (Subdistrict, Community, Grid):
        for code, name_zh, name_en in (
            model.objects.filter(code__startswith=scope + "-")
            .values_list("code", "name_zh", "name_en")
            .order_by("code")
        ):
            indent = "\u00a0\u00a0\u00a0" * (len(code.split("-")) - top)
            rows.append((code, f"{indent}{(name_en if english else '') or name_zh} ({code})"))
    return sorted(rows)


class PoolingForm(forms.Form):
    prevalence = forms.FloatField(
        label=_("Expected prevalence (0–1)"),
        min_value=0,
        max_value=1,
        initial=0.01,
        help_text=_("Share of people expected positive, e.g. 0.001 for one in a thousand."),
    )
    max_pool = forms.IntegerField(
        label=_("Largest pool"), min_value=1, max_value=MAX_POOL, initial=MAX_POOL
    )
    population = forms.IntegerField(label=_("People to test"), required=False, min_value=0)
    environment_points = forms.IntegerField(
        label=_("Environmental swab points"), required=False, min_value=0
    )


# ---------------------------------------------------------------------------------------------
# Rounds


@login_required
@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_residents", object_type="testing_round", ip=_ip(request)
    )
    can_manage = selectors.may_manage_rounds(request.user)
    form = RoundForm(user=request.user) if can_manage else None
    return _render_rounds(request, form)


def _render_rounds(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    context = {
        "rounds": selectors.rounds_for_user(request.user),
        "form": form,
        "pool_defaults": [(PoolGroup(g).label, n) for g, n in DEFAULT_POOL_SIZES.items()],
        "is_grid_worker": _grid_scope(request.user) is not None,
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
            ip=_ip(request),
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
            )
        except PermissionDeniedError:
            raise
        except RuleViolation as exc:
            field = {"scope_codes": "areas"}.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Round created."))
            return redirect("testing:round", pk=round_.pk)
    return _render_rounds(request, form, status=422)


def _live_context(request: HttpRequest, round_: TestingRound, area: str | None) -> dict:
    user = request.user
    coverage = selectors.round_coverage(user=user, round=round_, area_code=area)
    stats = selectors.round_statistics(round_)
    task_states = dict(
        selectors.doorknock_tasks(user=user, round=round_, area_code=area)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    node = _view_node(coverage.area_codes)
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
    round_ = _round_for(request, pk)
    area = _area_param(request)
    context = _live_context(request, round_, area)
    user = request.user
    node = context["node"]
    context.update(
        breadcrumbs=ancestors(node) if node else [],
        node_obj=get_node(node) if node else None,
        can_export=bool(node) and can(user, "export_residents", node),
        can_manage=bool(node) and selectors.may_manage_rounds(user, node),
        area_names=_area_names(round_.scope_codes),
        query=urlencode({"area": area}) if area else "",
    )
    return render(request, "testing/round_detail.html", context)


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
    round_ = _round_for(request, pk)
    context = _live_context(request, round_, _area_param(request))
    response = render(request, "testing/partials/round_live.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def round_map(request: HttpRequest, pk: int) -> JsonResponse:
    """GeoJSON of the grids in view, with their coverage, for the ECharts map."""
    round_ = _round_for(request, pk)
    coverage = selectors.round_coverage(
        user=request.user, round=round_, area_code=_area_param(request)
    )
    return JsonResponse(selectors.coverage_features(coverage=coverage))


# ---------------------------------------------------------------------------------------------
# Excel exports (masked, audited)


def _export_node(request: HttpRequest, round_: TestingRound, area: str | None) -> str:
    prefixes = selectors.round_prefixes(user=request.user, round=round_, area_code=area)
    node = _view_node(prefixes)
    require_permission(
        actor=request.user,
        action="export_residents",
        area_code=node or round_.area_code,
        object_type="testing_round",
        object_id=round_.pk,
        ip=_ip(request),
    )
    return node


def _workbook_response(wb: Workbook, filename: str) -> HttpResponse:
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for(request, pk)
    area = _area_param(request)
    node = _export_node(request, round_, area)
    coverage = selectors.round_coverage(user=request.user, round=round_, area_code=area)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_g("Coverage by grid")[:31])
    ws.append([round_.name])
    ws.append(
        [
            _g("Grid code"),
            _g("Grid"),
            _g("Residents in scope"),
            _g("Tested"),
            _g("Not yet tested"),
            _g("Coverage %"),
            _g("Visitors tested"),
        ]
    )
    for g in coverage.grids:
        ws.append([g.code, g.name, g.residents, g.tested, g.untested, g.percent, g.visitors_tested])
    ws.append(
        [
            "",
            _g("Total"),
            coverage.residents,
            coverage.tested,
            coverage.untested,
            coverage.percent,
            coverage.visitors_tested,
        ]
    )
    record_audit(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="testing_round",
        object_id=round_.pk,
        area_code=node,
        ip=_ip(request),
        detail={"export": "coverage_by_grid", "rows": len(coverage.grids)},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _workbook_response(wb, f"coverage-round{round_.pk}-{stamp}.xlsx")


@login_required
@require_GET
def export_untested(request: HttpRequest, pk: int) -> HttpResponse:
    """The not-yet-tested list: names, addresses, masked numbers only."""
    round_ = _round_for(request, pk)
    area = _area_param(request)
    node = _export_node(request, round_, area)
    qs = selectors.untested_residents(user=request.user, round=round_, area_code=area)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_g("Not yet tested")[:31])
    ws.append(
        [
            _g("Grid code"),
            _g("Building"),
            _g("Entrance"),
            _g("Room"),
            _g("Name"),
            _g("Phone"),
            _g("Document"),
            _g("Residency"),
        ]
    )
    rows = 0
    for r in qs.iterator(chunk_size=2000):
        h = r.household
        ws.append(
            [
                r.area_code,
                h.building.name_zh if h else "",
                h.entrance if h else "",
                h.room if h else "",
                r.name,
                r.phone_masked,
                r.document_masked,
                str(r.get_residency_display()),
            ]
        )
        rows += 1
    record_audit(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="testing_round",
        object_id=round_.pk,
        area_code=node,
        ip=_ip(request),
        detail={"export": "untested_residents", "rows": rows},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _workbook_response(wb, f"not-yet-tested-round{round_.pk}-{stamp}.xlsx")


# ---------------------------------------------------------------------------------------------
# Door-knocking


@login_required
@require_POST
def doorknock_generate(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round_for(request, pk)
    area = _area_param(request)
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
@require_POST
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    """End the round's sampling (the commander's or planner's button on the round page)."""
    round_ = _round_for(request, pk)
    close_round(round=round_, user=request.user)
    messages.success(
        request,
        _("Sampling for %(round)s has ended: no new samples are taken.") % {"round": round_.name},
    )
    return redirect(reverse("testing:round", args=[round_.pk]))


def _grid_scope(user) -> str | None:
    """The user's grid, when their scope is one grid."""
    try:
        return user.scope_code if level_of(user.scope_code) == "grid" else None
    except ValueError:
        return None


@login_required
@require_GET
def grid_work(request: HttpRequest, pk: int) -> HttpResponse:
    """A grid worker's page: who in my grid is not yet tested, building by building, and my
    door-knocking tasks."""
    round_ = _round_for(request, pk)
    user = request.user
    grid = (request.GET.get("grid") or "").strip() or _grid_scope(user)
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
            ip=_ip(request),
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
    )
    return render(request, "testing/grid_work.html", context)


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("assignee"), pk=pk)
    complete_doorknock_task(task=task, user=request.user)
    if request.headers.get("HX-Request"):
        return render(request, "testing/partials/task_row.html", {"task": task})
    round_pk = (task.detail or {}).get("round")
    if round_pk:
        return redirect(
            reverse("testing:grid_work", args=[round_pk])
            + "?"
            + urlencode({"grid": task.area_code})
        )
    return redirect("testing:rounds")


# ---------------------------------------------------------------------------------------------
# Pooling advisor


@login_required
@require_GET
def pooling(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_areas", object_type="pooling", ip=_ip(request)
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
