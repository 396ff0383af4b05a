"""Wage-arrears pages: totals by project and company, the case's wage panel, the meeting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.http import page_of

from . import selectors, wage_selectors
from .forms_wages import (
    AdvanceForm,
    BlacklistForm,
    ClaimForm,
    CompanyForm,
    DecisionForm,
    MeetingForm,
    OrderForm,
    OrderPaidForm,
    ProjectForm,
)
from .models import GovCase, PaymentOrder
from .services import meetings, wages


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_cases", object_type="wages", ip=_ip(request)
    )
    return render(
        request,
        "governance/wages.html",
        {
            "by_project": wage_selectors.arrears_by_project(user=request.user),
            "by_company": wage_selectors.arrears_by_company(user=request.user),
            "projects": page_of(
                request, wage_selectors.projects_in_scope(user=request.user), param="projects"
            ),
            "blacklist": page_of(
                request, wage_selectors.blacklist(user=request.user), param="blacklist"
            ),
            "meetings": page_of(
                request, wage_selectors.meetings(user=request.user), param="meetings"
            ),
        },
    )


def panel_forms(user) -> dict:
    """The forms of a wage case's panel, limited to the projects and companies in scope."""
    projects = wage_selectors.projects_in_scope(user=user)
    companies = wage_selectors.companies_in_scope(user=user)
    return {
        "claim": ClaimForm(projects=projects, companies=companies),
        "order": OrderForm(companies=companies),
        "paid": OrderPaidForm(),
        "advance": AdvanceForm(),
        "blacklist": BlacklistForm(companies=companies),
    }


def _wage_case(request: HttpRequest, pk: int) -> GovCase:
    case = selectors.get_case(user=request.user, pk=pk)
    if case is None or case.kind != "wage_arrears":
        raise Http404
    return case


def _run(request: HttpRequest, form, action) -> None:
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return
    try:
        action(form.cleaned_data)
    except RuleViolation as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))


@login_required
@require_POST
def wage_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    case = _wage_case(request, pk)
    user = request.user
    projects = wage_selectors.projects_in_scope(user=user)
    companies = wage_selectors.companies_in_scope(user=user)
    if step == "claim":
        form = ClaimForm(request.POST, projects=projects, companies=companies)
        _run(
            request,
            form,
            lambda d: wages.record_claims(
                case=case,
                user=user,
                project=d["project"],
                claims=[wages.ClaimIn(d["employer"], d["worker"], d["owed"])],
            ),
        )
    elif step == "order":
        form = OrderForm(request.POST, companies=companies)
        _run(
            request,
            form,
            lambda d: wages.order_payment(
                case=case, user=user, company=d["company"], amount=d["amount"], pay_by=d["pay_by"]
            ),
        )
    elif step == "paid":
        form = OrderPaidForm(request.POST)

        def paid(d):
            order = PaymentOrder.objects.filter(case=case, pk=d["order"]).first()
            if order is None:
                raise Http404
            wages.record_order_paid(order=order, user=user, paid_on=d["paid_on"])

        _run(request, form, paid)
    elif step == "advance":
        form = AdvanceForm(request.POST)
        _run(
            request,
            form,
            lambda d: wages.record_advance(
                case=case, user=user, payer=d["payer"], amount=d["amount"], paid_on=d["paid_on"]
            ),
        )
    elif step == "blacklist":
        form = BlacklistForm(request.POST, companies=companies)
        _run(
            request,
            form,
            lambda d: wages.blacklist_company(company=d["company"], user=user, case=case),
        )
    else:
        raise Http404
    return redirect("governance:case", pk=case.pk)


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="handle_cases", object_type="meeting", ip=_ip(request)
    )
    units = selectors.units_in_scope(user=request.user)
    form = MeetingForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = meetings.hold_meeting(
                user=request.user,
                title=d["title"],
                area_code=request.user.scope_code,
                held_on=d["held_on"],
                present=list(d["present"]),
                absent=list(d["absent"]),
            )
        except RuleViolation as exc:
            if exc.status_code == 403:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("governance:meeting", pk=meeting.pk)
    return render(request, "governance/meeting_new.html", {"form": form})


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_cases", object_type="meeting", ip=_ip(request)
    )
    meeting = wage_selectors.get_meeting(user=request.user, pk=pk)
    if meeting is None:
        raise Http404
    cases = wage_selectors.open_wage_cases(user=request.user)
    form = DecisionForm(request.POST or None, cases=cases)
    if request.method == "POST":
        _run(
            request,
            form,
            lambda d: meetings.decide(
                meeting=meeting, user=request.user, case=d["case"], kind=d["kind"], text=d["text"]
            ),
        )
        return redirect("governance:meeting", pk=meeting.pk)
    return render(
        request,
        "governance/meeting.html",
        {"meeting": meeting, "form": form, "cases": cases},
    )


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    """Register the companies of a site and its project (builder, contractors, account)."""
    require_permission(
        actor=request.user, action="handle_cases", object_type="project", ip=_ip(request)
    )
    initial = {"area_code": request.user.scope_code}
    companies = wage_selectors.companies_in_scope(user=request.user)
    is_company = request.method == "POST" and "credit_code" in request.POST
    company_form = CompanyForm(request.POST if is_company else None, initial=initial)
    project_form = ProjectForm(
        request.POST if request.method == "POST" and not is_company else None,
        initial=initial,
        companies=companies,
    )
    form = company_form if is_company else project_form
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            require_permission(
                actor=request.user,
                action="handle_cases",
                area_code=d["area_code"],
                object_type="project",
                ip=_ip(request),
            )
            if is_company:
                wages.create_company(**d)
            else:
                wages.create_project(**{**d, "subcontractors": list(d["subcontractors"])})
        except RuleViolation as exc:
            if exc.status_code == 403:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Done."))
            return redirect("governance:project_new" if is_company else "governance:wages")
    return render(
        request,
        "governance/project_new.html",
        {"company_form": company_form, "project_form": project_form},
    )
