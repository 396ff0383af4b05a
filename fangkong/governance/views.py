"""The case desk: the list, a case's page with its stage actions, the phone intake, rates.

Thin: reads in `selectors`, writes in `services`; a broken rule comes back as a message.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.geo.selectors import area_labels

from . import river_selectors, selectors, wage_selectors
from .forms import (
    CallbackForm,
    CaseFilterForm,
    CheckForm,
    CloseForm,
    DispatchForm,
    FeedbackForm,
    IntakeForm,
    ReasonForm,
    TransferForm,
)
from .forms_rivers import AssignForm
from .kinds import case_catalogue
from .models import GovCase, Source, Stage
from .services import clock_control, followup, workflow
from .services.intake import report_case
from .services.photos import prepare_photos
from .views_petitions import panel_forms as petition_panel_forms
from .views_wages import panel_forms

PAGE_SIZE = 50
UNIT_LABELS = {
    "days": _("%(n)s days"),
    "working_days": _("%(n)s working days"),
    "hours": _("%(n)s hours"),
    "minutes": _("%(n)s minutes"),
}


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_cases", object_type="cases", ip=_ip(request)
    )
    form = CaseFilterForm(request.GET or None)
    filters = selectors.CaseFilter(open_only=not request.GET)
    if form.is_valid():
        d = form.cleaned_data
        filters = selectors.CaseFilter(
            q=d["q"] or None,
            stage=d["stage"] or None,
            kind=d["kind"] or None,
            source=d["source"] or None,
            area_code=d["area"] or None,
            open_only=d["open_only"],
            overdue=d["overdue"],
        )
    page = Paginator(selectors.list_cases(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "governance/list.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "now": timezone.now(),
            "kinds": {code: str(k.name) for code, k in case_catalogue().kinds.items()},
            "can_report": can(request.user, "report_cases"),
            "can_handle": can(request.user, "handle_cases"),
        },
    )


def _case_for(request: HttpRequest, pk: int) -> GovCase:
    require_permission(
        actor=request.user,
        action="view_cases",
        object_type="gov_case",
        object_id=pk,
        ip=_ip(request),
    )
    case = selectors.get_case(user=request.user, pk=pk)
    if case is None:
        raise Http404
    return case


# The steps a case can take at each stage, as the page offers them.
STEPS_BY_STAGE: dict[str, tuple[str, ...]] = {
    Stage.REPORTED: ("accept", "void"),
    Stage.ACCEPTED: ("file", "void"),
    Stage.FILED: ("dispatch",),
    Stage.DISPATCHED: ("start_handling",),
    Stage.HANDLING: ("feed_back",),
    Stage.FED_BACK: ("check",),
    Stage.CHECKED: ("close",),
    Stage.CLOSED: ("callback", "reopen"),
}


def _steps(case: GovCase) -> list[str]:
    steps = list(STEPS_BY_STAGE.get(case.stage, ()))
    if case.is_open and case.stage not in (Stage.REPORTED, Stage.CHECKED):
        steps.append("close")
    if case.is_open:
        steps.append("transfer")
        if case.clock:
            steps += ["resume"] if case.paused_at else ["pause", "extend"]
    return steps


def _clock_label(kind, case: GovCase) -> str:
    """The running clock in the reader's language: "5 working days"."""
    clock = kind.clock(case.clock) if kind and case.clock else None
    if clock is None:
        return ""
    return str(UNIT_LABELS[clock.unit] % {"n": clock.amount})


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    kind = case_catalogue().kind(case.kind)
    units = selectors.units_in_scope(user=request.user)
    wage = wage_selectors.wage_panel(user=request.user, case=case)
    may_handle = can(request.user, "handle_cases", case.area_code)
    return render(
        request,
        "governance/case.html",
        {
            "case": case,
            "names": area_labels([case.area_code]),
            "wage": wage,
            "petition": selectors.get_petition(user=request.user, case=case),
            "hazard": river_selectors.hazard_of(user=request.user, case=case),
            "hazard_form": AssignForm(units=units)
            if may_handle and case.stage in (Stage.REPORTED, Stage.ACCEPTED, Stage.FILED)
            else None,
            "petition_forms": petition_panel_forms() if may_handle else None,
            "wage_forms": panel_forms(request.user)
            if wage and may_handle and case.is_open
            else None,
            "kind_name": str(kind.name) if kind else case.kind,
            "clock": kind.clock(case.clock) if kind and case.clock else None,
            "clock_label": _clock_label(kind, case),
            "history": selectors.case_history(user=request.user, case=case),
            "steps": _steps(case) if may_handle else [],
            "now": timezone.now(),
            "forms": {
                "reason": ReasonForm(),
                "dispatch": DispatchForm(units=units),
                "feed_back": FeedbackForm(),
                "check": CheckForm(),
                "close": CloseForm(),
                "callback": CallbackForm(),
                "transfer": TransferForm(units=units),
            },
        },
    )


Step = tuple[type[forms.Form] | None, Callable[..., GovCase]]


def _step_table(units) -> dict[str, Step]:
    return {
        "accept": (None, lambda c, u, d: workflow.accept_case(case=c, user=u)),
        "void": (
            ReasonForm,
            lambda c, u, d: workflow.void_case(case=c, user=u, reason=d["reason"]),
        ),
        "file": (None, lambda c, u, d: workflow.file_case(case=c, user=u)),
        "dispatch": (
            DispatchForm,
            lambda c, u, d: workflow.dispatch_case(case=c, user=u, handler_unit=d["unit"]),
        ),
        "start_handling": (None, lambda c, u, d: workflow.start_handling(case=c, user=u)),
        "feed_back": (
            FeedbackForm,
            lambda c, u, d: workflow.feed_back_case(
                case=c, user=u, resolved=d["resolved"], note=d["note"]
            ),
        ),
        "check": (
            CheckForm,
            lambda c, u, d: workflow.check_case(
                case=c, user=u, passed=d["passed"], reason=d["reason"]
            ),
        ),
        "close": (
            CloseForm,
            lambda c, u, d: workflow.close_case(
                case=c, user=u, closure_type=d["closure_type"], reason=d["reason"]
            ),
        ),
        "reopen": (
            ReasonForm,
            lambda c, u, d: workflow.reopen_case(case=c, user=u, reason=d["reason"]),
        ),
        "pause": (
            ReasonForm,
            lambda c, u, d: clock_control.pause_case(case=c, user=u, reason=d["reason"]),
        ),
        "resume": (None, lambda c, u, d: clock_control.resume_case(case=c, user=u)),
        "extend": (
            ReasonForm,
            lambda c, u, d: clock_control.extend_case(case=c, user=u, reason=d["reason"]),
        ),
        "transfer": (
            TransferForm,
            lambda c, u, d: followup.transfer_case(
                case=c, user=u, to_unit=d["unit"], reason=d["reason"]
            ),
        ),
        "callback": (
            CallbackForm,
            lambda c, u, d: followup.record_callback(
                case=c, user=u, satisfaction=d["satisfaction"], note=d["note"]
            ),
        ),
    }


@login_required
@require_POST
def case_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    case = _case_for(request, pk)
    units = selectors.units_in_scope(user=request.user)
    table = _step_table(units)
    if step not in table:
        raise Http404
    form_class, run = table[step]
    data: dict = {}
    if form_class is not None:
        kwargs = {"units": units} if form_class in (DispatchForm, TransferForm) else {}
        form = form_class(request.POST, **kwargs)
        if not form.is_valid():
            messages.error(
                request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()}
            )
            return redirect("governance:case", pk=case.pk)
        data = form.cleaned_data
    try:
        run(case, request.user, data)
    except RuleViolation as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("governance:case", pk=case.pk)


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The grid worker's phone page: report a matter, or record one settled on the spot."""
    require_permission(
        actor=request.user, action="report_cases", object_type="gov_case", ip=_ip(request)
    )
    scope = AreaCode(request.user.scope_code)
    initial = {"area_code": scope.grid if scope.depth >= 4 else ""}
    form = IntakeForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            d["photos"] = prepare_photos(d["photos"], field="photos")
            case = report_case(user=request.user, source=Source.GRID_PATROL, **d)
        except RuleViolation as exc:
            if exc.status_code == 403:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Reported as case %(number)s.") % {"number": case.number})
            return redirect("governance:intake")
    return render(request, "governance/intake.html", {"form": form})


@login_required
def grid(request: HttpRequest) -> HttpResponse:
    """The grid board: each grid's open matters, overdue ones first and marked."""
    require_permission(
        actor=request.user, action="view_cases", object_type="cases", ip=_ip(request)
    )
    return render(
        request,
        "governance/grid.html",
        {"board": selectors.grid_board(user=request.user), "now": timezone.now()},
    )


@login_required
def rates(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user, action="view_cases", object_type="cases", ip=_ip(request)
    )
    return render(
        request,
        "governance/rates.html",
        {
            "by_unit": selectors.rates_by_unit(user=request.user),
            "by_grid": selectors.rates_by_grid(user=request.user),
        },
    )
