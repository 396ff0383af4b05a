"""Zone pages: the list, designation (from lists or the map), a zone's page, the map data.

Thin: reads in `selectors`, writes in `services`, rules in `rules`.
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import add_rule_error, client_ip, page_of
from fangkong.work.models import Task, TaskState

from . import selectors
from .facts import gather
from .forms import CheckpointForm, DesignationForm, EndZoneForm, PassForm, lang
from .models import RiskZone, ZoneStatus
from .page_access import zone_for_request
from .protocols import zone_rule
from .rules import STRICTNESS
from .services.designation import designate_zone
from .services.lifting import downgrade_zone, evaluate_zone, lift_zone
from .services.schedules import task_key_prefix
from .views_notices import issue_after, notice_kind_due

ENDED_PAGE_SIZE = 50


def zone_context(zone: RiskZone) -> dict:
    """What every zone page shows of the zone's rule, in the reader's language."""
    rule = zone_rule(zone.protocol.data, zone.kind) or {}
    key = lang()
    return {
        "rule": rule,
        "kind_label": (rule.get("name") or {}).get(key, zone.get_kind_display()),
        "measures": (rule.get("measures") or {}).get(key, []),
        "members_by_type": selectors.member_refs(zone.members.all()),
    }


@login_required
def zone_list(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_zones", object_type="risk_zones", ip=client_ip(request)
    )
    zones = selectors.zones_for_user(request.user)
    return render(
        request,
        "zones/list.html",
        {
            "active": [z for z in zones if z.status == ZoneStatus.ACTIVE],
            # The active zones are all on the first screen; the ended ones page by page.
            "ended": Paginator(
                [z for z in zones if z.status != ZoneStatus.ACTIVE], ENDED_PAGE_SIZE
            ).get_page(request.GET.get("page")),
            "can_manage": can(request.user, "manage_zones"),
        },
    )


@login_required
def designate(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="manage_zones", object_type="risk_zone", ip=client_ip(request)
    )
    form = DesignationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            zone = designate_zone(
                user=request.user,
                kind=d["kind"],
                members=form.members(),
                name=d["name"],
                protocol=d["protocol"],
                reason=d["reason"],
            )
        except PermissionDeniedError:
            raise  # the middleware answers 403 and the refusal is audited
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            if d["issue_notice"]:
                issue_after(request, zone, "designation")
            messages.success(
                request,
                _g("%(name)s designated: %(residents)d residents inside.")
                % {"name": zone.name, "residents": zone.residents},
            )
            return redirect("zones:zone", zone.pk)
    return render(request, "zones/designate.html", {"form": form})


def lower_kinds(zone: RiskZone) -> list[tuple[str, str]]:
    """The zone kinds of the zone's protocol it may be downgraded to, the preset's first."""
    data = zone.protocol.data
    rule = zone_rule(data, zone.kind) or {}
    key = lang()
    kinds = [
        (z["kind"], z["name"][key])
        for z in data["zones"]
        if STRICTNESS[z["regime"]] < zone.strictness
    ]
    kinds.sort(key=lambda k: k[0] != rule.get("downgrade_to"))
    return kinds


def _end_form(zone: RiskZone, evaluation, data=None) -> EndZoneForm | None:
    if evaluation is None or evaluation.proposal is None:
        return None
    return EndZoneForm(
        data,
        initial={"action": evaluation.proposal},
        lower_kinds=lower_kinds(zone),
        needs_manual=bool(evaluation.manual_checks),
    )


def _json_frame(frame: dict | None) -> dict | None:
    """The map frame as JSON text, for the data attributes the map script parses."""
    return {key: json.dumps(value) for key, value in frame.items()} if frame else None


def _checkpoint_context(request: HttpRequest, zone: RiskZone) -> dict:

    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    checkpoints = (
        zone.checkpoints.prefetch_related("guards")
        .annotate(passages_today=Count("passages", filter=Q(passages__at__gte=today)))
        .order_by("name", "id")
    )
    start = timezone.localtime().replace(second=0, microsecond=0)
    return {
        "checkpoints": page_of(request, checkpoints, param="checkpoints"),
        "passes": page_of(request, zone.passes.all(), param="passes"),
        "can_issue": can(request.user, "issue_passes"),
        "checkpoint_form": CheckpointForm(zone=zone) if can(request.user, "manage_zones") else None,
        "pass_form": PassForm(
            initial={
                "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
                "valid_until": (start + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
            }
        ),
    }


@login_required
def zone_detail(request: HttpRequest, pk: int, end_form: EndZoneForm | None = None) -> HttpResponse:
    zone = zone_for_request(request, pk)
    facts = gather([zone], results="all", checklist=zone.is_active)[zone.pk]
    results = facts.rounds
    stored = zone.evaluations.first()
    evaluation = evaluate_zone(zone, save=False, facts=facts) if zone.is_active else None
    if end_form is None and can(request.user, "manage_zones"):
        end_form = _end_form(zone, evaluation)
    context = {
        "zone": zone,
        **zone_context(zone),
        "can_manage": can(request.user, "manage_zones"),
        "changes": zone.changes.select_related("by"),
        "map_frame": _json_frame(selectors.map_frame(zone.geometry)),
        "results": results,
        "evaluation": evaluation,
        "stored_evaluation": stored,
        "end_form": end_form,
        **_checkpoint_context(request, zone),
        "notices": zone.notices.all(),
        "notice_kind": notice_kind_due(zone),
        "open_tasks": Task.objects.filter(
            key__startswith=task_key_prefix(zone), state=TaskState.OPEN
        ).count(),
    }
    return render(request, "zones/zone.html", context)


@login_required
@require_GET
def zone_shape(request: HttpRequest, pk: int) -> JsonResponse:
    """The zone's union shape and its members' shapes, as GeoJSON for the zone page's map."""
    zone = zone_for_request(request, pk)
    features = []
    if zone.geometry:
        features.append(
            {
                "type": "Feature",
                "id": f"zone-{zone.pk}",
                "geometry": zone.geometry,
                "properties": {
                    "code": f"zone-{zone.pk}",
                    "name": zone.name,
                    "regime": zone.regime,
                    "zone_id": zone.pk,
                    "level": "zone",
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


@login_required
@require_GET
def map_data(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the user's area for the maps: ?levels=grid,compound,building,checkpoint."""
    require_permission(
        actor=request.user, action="view_zones", object_type="zone_map", ip=client_ip(request)
    )
    allowed = {"grid", "compound", "building", "checkpoint"}
    levels = [lv for lv in request.GET.get("levels", "grid,compound").split(",") if lv in allowed]
    data = selectors.map_features(user=request.user, levels=levels or ["grid"])
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def district_map(request: HttpRequest) -> HttpResponse:
    """Grids and compounds coloured by zone kind, checkpoints as pins; a click opens the zone."""
    require_permission(
        actor=request.user, action="view_zones", object_type="zone_map", ip=client_ip(request)
    )
    zones = selectors.zones_for_user(request.user, status=ZoneStatus.ACTIVE)
    return render(request, "zones/map.html", {"zones": zones})


@login_required
@require_POST
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """Evaluate the zone now (the daily evaluation, on demand) and store the checklist."""
    zone = zone_for_request(request, pk)
    evaluation = evaluate_zone(zone)
    messages.info(
        request,
        _g("Evaluated: day %(day)d without infection.") % {"day": evaluation.clean_day},
    )
    return redirect("zones:zone", zone.pk)


@login_required
@require_POST
def end_zone(request: HttpRequest, pk: int) -> HttpResponse:
    """The commander confirms a proposed lift or downgrade, with the reason."""
    zone = zone_for_request(request, pk, action="manage_zones")
    evaluation = evaluate_zone(zone, save=False) if zone.is_active else None
    form = _end_form(zone, evaluation, request.POST)
    if form is None:
        raise RuleViolation(
            field="zone",
            code="criteria_not_met",
            message=_("The protocol's conditions for ending this zone do not all hold."),
        )
    if not form.is_valid():
        return zone_detail(request, pk, end_form=form)
    d = form.cleaned_data
    if d["action"] == "downgrade":
        successor = downgrade_zone(
            zone=zone, user=request.user, reason=d["reason"], to_kind=d["to_kind"] or None
        )
        messages.success(
            request,
            _g("%(name)s downgraded: %(new)s begins now.")
            % {"name": zone.name, "new": successor.name},
        )
        if d["issue_notice"]:
            issue_after(request, zone, "downgrade")
        return redirect("zones:zone", successor.pk)
    lift_zone(zone=zone, user=request.user, reason=d["reason"])
    if d["issue_notice"]:
        issue_after(request, zone, "lift")
    messages.success(request, _g("%(name)s lifted.") % {"name": zone.name})
    return redirect("zones:zone", zone.pk)
