"""Supplies pages: stock and its movements, packages for a zone, the delivery run's phone page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.http import add_rule_error, client_ip, page_of
from fangkong.geo.selectors import get_node
from fangkong.zones.selectors import get_zone, zones_for_user

from . import supply_selectors
from .forms import AllocateForm, GroupLineForm, HandoverForm, IssueForm, ReceiveForm
from .models import SupplyItem
from .services.deliveries import add_to_group_order, allocate_package, hand_over
from .services.stock import issue_stock, receive_stock


def _require(request: HttpRequest, action: str) -> None:
    require_permission(
        actor=request.user, action=action, object_type="supplies", ip=client_ip(request)
    )


@login_required
def supplies(request: HttpRequest) -> HttpResponse:
    """Stock by point and item, stock in, and the packages of the user's zones."""
    _require(request, "view_requests")
    may_handle = can(request.user, "handle_requests")
    points = supply_selectors.stock_points(user=request.user)
    zones = (
        zones_for_user(request.user, status="active", summary=True)
        if can(request.user, "view_zones")
        else []
    )
    receive = ReceiveForm(
        request.POST if "receive" in request.POST else None,
        points=points,
        items=SupplyItem.objects.all(),
    )
    issue = IssueForm(
        request.POST if "issue" in request.POST else None,
        points=points,
        items=SupplyItem.objects.all(),
    )
    allocate = AllocateForm(request.POST if "allocate" in request.POST else None, zones=zones)
    posted = next((f for f in (receive, issue, allocate) if f.is_bound), None)
    if posted is not None and may_handle:
        try:
            if posted is receive and receive.is_valid():
                receive_stock(user=request.user, **receive.cleaned_data)
                messages.success(request, _("Stock received."))
                return redirect("services:supplies")
            if posted is issue and issue.is_valid():
                issue_stock(user=request.user, **issue.cleaned_data)
                messages.success(request, _("Stock issued."))
                return redirect("services:supplies")
            if "allocate" in request.POST and allocate.is_valid():
                d = allocate.cleaned_data
                zone = get_zone(user=request.user, pk=d["zone"])
                if zone is None:
                    raise Http404
                package = allocate_package(
                    user=request.user, zone=zone, name=d["name"], days=d["days"]
                )
                messages.success(request, _("Package allocated to every household of the zone."))
                return redirect("services:package", package.pk)
        except RuleViolation as exc:
            add_rule_error(posted, exc)
    return render(
        request,
        "services/supplies.html",
        {
            "balances": supply_selectors.stock_balances(user=request.user),
            "packages": page_of(
                request,
                supply_selectors.packages(user=request.user).order_by("-created_at", "-id"),
                param="packages",
            ),
            "orders": page_of(
                request,
                supply_selectors.group_orders(user=request.user).order_by("-cut_off_at", "-id"),
                param="orders",
            ),
            "receive": receive,
            "issue": issue,
            "allocate": allocate,
            "may_handle": may_handle,
        },
    )


@login_required
def package_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view_requests")
    package = supply_selectors.get_package(user=request.user, pk=pk)
    if package is None:
        raise Http404
    return render(
        request,
        "services/package.html",
        {"package": package, "runs": supply_selectors.runs_of(user=request.user, package=package)},
    )


@login_required
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The courier's phone page: scan a household's code (or take a photo or signature)."""
    _require(request, "view_requests")
    run = supply_selectors.get_run(user=request.user, pk=pk)
    if run is None:
        raise Http404
    form = HandoverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = hand_over(user=request.user, run=run, **form.cleaned_data)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request,
                _("%(code)s: %(state)s")
                % {"code": done.household.code, "state": done.get_state_display()},
            )
            return redirect("services:run", run.pk)
    return render(
        request,
        "services/run.html",
        {
            "run": run,
            "form": form,
            "allocations": supply_selectors.run_allocations(user=request.user, run=run),
        },
    )


@login_required
def group_order_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A building's group order: its lines, and adding one for a household until the cut-off
    (the grid worker enters it for a resident without a smartphone)."""
    _require(request, "view_requests")
    order = supply_selectors.get_group_order(user=request.user, pk=pk)
    if order is None:
        raise Http404
    households = supply_selectors.building_households(user=request.user, order=order)
    form = GroupLineForm(request.POST or None, households=households)
    if request.method == "POST" and form.is_valid():
        try:
            add_to_group_order(user=request.user, order=order, **form.cleaned_data)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Line added to the group order."))
            return redirect("services:group_order", order.pk)
    collecting = order.sent_at is None and timezone.now() < order.cut_off_at
    return render(
        request,
        "services/group_order.html",
        {
            "order": order,
            "building": get_node(order.building_code),
            "lines": supply_selectors.group_order_lines(user=request.user, order=order),
            "form": form,
            "collecting": collecting,
            "may_add": collecting and can(request.user, "raise_requests"),
        },
    )
