"""Volunteer pages: the public sign-up, review, shifts with suggestions, check-in and out;
and the staff duty rota (值班) of a unit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.http import add_rule_error, client_ip, page_of, rule_message
from fangkong.geo.selectors import area_labels

from . import volunteer_selectors
from .forms import DutyForm, ShiftForm, SignUpForm
from .services.volunteers import (
    assign_volunteer,
    check_in,
    check_out,
    create_shift,
    put_on_duty,
    review_volunteer,
    sign_up_volunteer,
)


def signup(request: HttpRequest) -> HttpResponse:
    """The public sign-up page (no login): the community reviews each application."""
    form = SignUpForm(request.POST or None)
    done = False
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            sign_up_volunteer(
                name=d["name"],
                phone=d["phone"],
                grid_code=d["grid_code"].strip(),
                skills=d["skills"],
                party_member=d["party_member"],
                available_days=[int(x) for x in d["available_days"]],
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            done = True
            form = SignUpForm()
    return render(request, "services/signup.html", {"form": form, "done": done})


def _require(request: HttpRequest) -> None:
    require_permission(
        actor=request.user,
        action="manage_volunteers",
        object_type="volunteers",
        ip=client_ip(request),
    )


@login_required
def volunteers(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = ShiftForm(request.POST or None, initial={"area_code": request.user.scope_code})
    if request.method == "POST" and form.is_valid():
        try:
            shift = create_shift(user=request.user, **form.cleaned_data)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            return redirect("services:shift", shift.pk)
    applicants = page_of(
        request, volunteer_selectors.applicants(user=request.user), param="applicants"
    )
    shifts = volunteer_selectors.upcoming_shifts(user=request.user)
    return render(
        request,
        "services/volunteers.html",
        {
            "applicants": applicants,
            "shifts": shifts,
            "names": area_labels(
                [*(v.area_code for v in applicants), *(s.area_code for s in shifts)]
            ),
            "ledger": volunteer_selectors.hours_ledger(user=request.user),
            "form": form,
        },
    )


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    volunteer = volunteer_selectors.get_volunteer(user=request.user, pk=pk)
    if volunteer is None:
        raise Http404
    try:
        review_volunteer(
            user=request.user, volunteer=volunteer, approve=request.POST.get("approve") == "1"
        )
    except RuleViolation as exc:
        messages.error(request, rule_message(exc))
    return redirect("services:volunteers")


@login_required
def shift_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The shift lead's phone page: suggestions to assign, then check-in and check-out."""
    _require(request)
    shift = volunteer_selectors.get_shift(user=request.user, pk=pk)
    if shift is None:
        raise Http404
    if request.method == "POST":
        try:
            _shift_action(request, shift)
        except RuleViolation as exc:
            if exc.status_code == 403:
                raise
            messages.error(request, rule_message(exc))
        else:
            messages.success(request, _("Saved."))
        return redirect("services:shift", shift.pk)
    suggestions = volunteer_selectors.suggest_volunteers(user=request.user, shift=shift)
    return render(
        request,
        "services/shift.html",
        {
            "shift": shift,
            "assignments": shift.assignments.select_related("volunteer"),
            "suggestions": suggestions,
            "names": area_labels([shift.area_code, *(v.area_code for v in suggestions)]),
        },
    )


def _shift_action(request: HttpRequest, shift) -> None:
    post = request.POST
    if "assign" in post:
        volunteer = volunteer_selectors.get_volunteer(user=request.user, pk=int(post["assign"]))
        if volunteer is None:
            raise Http404
        assign_volunteer(user=request.user, shift=shift, volunteer=volunteer)
        return
    assignment = shift.assignments.filter(pk=int(post.get("assignment") or 0)).first()
    if assignment is None:
        raise Http404
    if "check_in" in post:
        check_in(user=request.user, assignment=assignment)
    else:
        check_out(user=request.user, assignment=assignment)


@login_required
def duty_rota(request: HttpRequest) -> HttpResponse:
    """A unit's duty rota (`?unit=`, the user's own area by default) and adding a duty; two
    duties at once for one person are refused with the rule, under the field."""
    _require(request)
    code = request.GET.get("unit") or request.user.scope_code
    unit = volunteer_selectors.duty_unit(user=request.user, code=code)
    if unit is None:
        raise Http404
    staff = volunteer_selectors.duty_staff(user=request.user, area_code=code)
    form = DutyForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        try:
            put_on_duty(user=request.user, area_code=code, **form.cleaned_data)
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Duty added to the rota."))
            return redirect(reverse("services:rota") + f"?unit={code}")
    return render(
        request,
        "services/rota.html",
        {
            "unit": unit,
            "form": form,
            "duties": volunteer_selectors.duty_rota(user=request.user, area_code=code),
        },
    )
