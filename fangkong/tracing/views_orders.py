"""Control-order pages: contacts awaiting orders, orders in force, order plans from the
protocol, quarantine sites, and each order's notice (告知书) as PDF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_POST

from fangkong.core.errors import RuleViolation
from fangkong.core.http import page_of
from fangkong.zones.protocols import default_preset_name

from . import selectors
from .forms import IssueOrdersForm, OrderPlanForm, SiteForm, TransferForm
from .models import OrderState
from .notice_pdf import order_notice_pdf
from .protocol import preset_choices, preset_label, tracing_protocol
from .services.followup import self_report_token
from .services.orders import (
    create_site,
    issue_orders,
    plan_orders,
    release_order,
    schedule_transfer,
)


def _plan(form: OrderPlanForm) -> dict:
    data = form.cleaned_data
    try:
        plan = plan_orders(
            protocol=tracing_protocol(data["protocol"]),
            tier=data["tier"],
            last_exposure=data["last_exposure"],
        )
    except RuleViolation as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return {}
    return {"plan": plan}


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    choices = preset_choices()
    plan_form = OrderPlanForm(
        request.GET or None, protocols=choices, initial={"protocol": default_preset_name()}
    )
    context = {
        "orders": page_of(
            request,
            selectors.orders_for(request.user).filter(state=OrderState.ACTIVE),
            param="orders",
        ),
        "awaiting": page_of(
            request, selectors.contacts_awaiting_orders(request.user), param="awaiting"
        ),
        "sites": selectors.sites_for(request.user),
        "protocols": choices,
        "default_protocol": default_preset_name(),
        "plan_form": plan_form,
        "site_form": SiteForm(initial={"area_code": request.user.scope_code}),
    }
    if request.GET and plan_form.is_valid():
        context.update(_plan(plan_form))
    return render(request, "tracing/orders.html", context)


@login_required
@require_POST
def issue(request: HttpRequest) -> HttpResponse:
    form = IssueOrdersForm(request.POST)
    if not form.is_valid():
        messages.error(request, _g("Check the last exposure date."))
        return redirect("tracing:orders")
    data = form.cleaned_data
    decision = selectors.contacts_awaiting_orders(request.user).filter(pk=data["decision"]).first()
    site = (
        selectors.sites_for(request.user).filter(pk=data["site"]).first() if data["site"] else None
    )
    if decision is None:
        messages.error(request, _g("This contact has orders already or is not yours."))
        return redirect("tracing:orders")
    try:
        issued = issue_orders(
            user=request.user,
            decision=decision,
            last_exposure=data["last_exposure"],
            protocol=data["protocol"] or None,
            site=site,
        )
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
        return redirect("tracing:orders")
    messages.info(request, _g("Orders issued."))
    return redirect("tracing:order", pk=issued[0].pk)


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(request.user, pk)
    link = request.build_absolute_uri(
        reverse("tracing:self_report", args=[self_report_token(order)])
    )
    return render(
        request,
        "tracing/order.html",
        {
            "order": order,
            "protocol_label": preset_label(order.protocol, order.protocol_version),
            "self_report": link,
            "transfers": order.transfers.all(),
            "tests": selectors.order_tests(request.user, order),
            "transfer_form": TransferForm(),
        },
    )


@login_required
def order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(request.user, pk)
    response = HttpResponse(order_notice_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="order-{order.year}-{order.number}.pdf"'
    return response


@login_required
@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(request.user, pk)
    try:
        release_order(user=request.user, order=order)
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
    else:
        messages.info(request, _g("Order released."))
    return redirect("tracing:order", pk=pk)


@login_required
@require_POST
def site_new(request: HttpRequest) -> HttpResponse:
    form = SiteForm(request.POST)
    if form.is_valid():
        try:
            create_site(user=request.user, **form.cleaned_data)
        except RuleViolation as exc:
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _g("Check the site's name and rooms."))
    return redirect("tracing:orders")


@login_required
@require_POST
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(request.user, pk)
    form = TransferForm(request.POST)
    if not form.is_valid():
        messages.error(request, _g("Check the vehicle and times."))
        return redirect("tracing:order", pk=pk)
    try:
        schedule_transfer(user=request.user, order=order, **form.cleaned_data)
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
    return redirect("tracing:order", pk=pk)
