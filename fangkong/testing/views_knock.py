"""The grid worker's door-knocking pages, sized for a phone: my households to knock on in a
round, and one household's page where the outcome is recorded."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.http import add_rule_error, client_ip
from fangkong.people.selectors import scoped_residents
from fangkong.work.models import Task, TaskState

from . import selectors
from .models import TestingRound
from .models_doorknock import KnockOutcome
from .page_access import grid_scope, round_for_request
from .services.doorknock_outcomes import record_doorknock_outcome


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What did you find?"), choices=KnockOutcome.choices, widget=forms.RadioSelect
    )
    where = forms.CharField(label=_("Sampled where"), max_length=100, required=False)
    revisit_at = forms.DateTimeField(
        label=_("Knock again at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


@login_required
@require_http_methods(["GET"])
def my_households(request: HttpRequest, pk: int) -> HttpResponse:
    """My door-knocking tasks in a round, one per household, open ones first; the households
    still unexplained in my area and whether it is fully covered."""
    round_ = round_for_request(request, pk)
    user = request.user
    tasks = list(selectors.my_doorknock_tasks(user=user, round=round_))
    context = {
        "round": round_,
        "tasks": tasks,
        "open_count": sum(1 for t in tasks if t.state == TaskState.OPEN),
        "outcome_labels": KnockOutcome.choices,
        "households": selectors.household_coverage(
            user=user, round=round_, area_code=grid_scope(user)
        ),
    }
    return render(request, "testing/knock_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def household(request: HttpRequest, task_pk: int) -> HttpResponse:
    """One household: who is not yet tested there, and the outcome of the knock."""
    task = get_object_or_404(Task, pk=task_pk, kind=selectors.DOORKNOCK_KIND)
    require_permission(
        actor=request.user,
        action="view_residents",
        area_code=task.area_code,
        object_type="task",
        object_id=task.pk,
        ip=client_ip(request),
    )
    detail = task.detail or {}
    round_ = get_object_or_404(TestingRound, pk=detail.get("round"))
    outcome = selectors.household_outcomes(
        round=round_, household_ids=[detail.get("household_id")]
    ).get(detail.get("household_id"))
    form = OutcomeForm(request.POST or None, initial=_initial(outcome))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            record_doorknock_outcome(
                task=task,
                user=request.user,
                outcome=d["outcome"],
                where=d["where"],
                revisit_at=d["revisit_at"],
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request,
                _("%(home)s: %(outcome)s")
                % {"home": detail.get("address", ""), "outcome": KnockOutcome(d["outcome"]).label},
            )
            return redirect(reverse("testing:knock_list", args=[round_.pk]))
    people = (
        scoped_residents(request.user)
        .filter(pk__in=detail.get("resident_ids") or [])
        .prefetch_related("tags")
        .order_by("id")
    )
    context = {"task": task, "round": round_, "outcome": outcome, "form": form, "people": people}
    return render(
        request, "testing/knock_household.html", context, status=422 if form.errors else 200
    )


def _initial(outcome) -> dict:
    if outcome is None:
        return {}
    return {"outcome": outcome.outcome, "where": outcome.where, "revisit_at": outcome.revisit_at}
