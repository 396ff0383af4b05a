"""Petition pages: registration at the petition office, and the petition's steps on its case."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation

from . import selectors
from .forms_petitions import AnswerForm, DayForm, ObjectionForm, PetitionForm, ReplyForm, ReviewForm
from .models import GovCase, Petition
from .services import petitions


def panel_forms() -> dict:
    return {
        "acknowledge": DayForm(prefix="acknowledge"),
        "object": ObjectionForm(prefix="object"),
        "reply": ReplyForm(prefix="reply"),
        "review": ReviewForm(prefix="review"),
        "answer": AnswerForm(prefix="answer"),
    }


@login_required
def register(request: HttpRequest) -> HttpResponse:
    require_permission(actor=request.user, action="handle_cases", object_type="petition")
    form = PetitionForm(request.POST or None, initial={"area_code": request.user.scope_code})
    if request.method == "POST" and form.is_valid():
        try:
            case = petitions.register_petition(user=request.user, **form.cleaned_data)
        except RuleViolation as exc:
            if exc.status_code == 403:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("governance:case", pk=case.pk)
    return render(request, "governance/petition_new.html", {"form": form})


def _petition_case(request: HttpRequest, pk: int) -> GovCase:
    case = selectors.get_case(user=request.user, pk=pk)
    if case is None or not Petition.objects.filter(case=case).exists():
        raise Http404
    return case


def _apply(case: GovCase, user, step: str, d: dict) -> None:
    if step == "acknowledge":
        petitions.acknowledge_petition(case=case, user=user, on=d["on"])
    elif step == "object":
        petitions.object_to_petition(case=case, user=user, reason=d["reason"], on=d["on"])
    elif step == "reply":
        petitions.reply_petition(
            case=case, user=user, outcome=d["outcome"], text=d["text"], on=d["on"]
        )
    elif step == "review":
        petitions.apply_for_review(case=case, user=user, level=d["level"], applied_on=d["on"])
    else:
        review = case.petition.reviews.filter(level=d["level"]).first()
        if review is None:
            raise Http404
        petitions.answer_review(review=review, user=user, outcome=d["outcome"], on=d["on"])


@login_required
@require_POST
def petition_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    case = _petition_case(request, pk)
    forms = {
        "acknowledge": DayForm,
        "object": ObjectionForm,
        "reply": ReplyForm,
        "review": ReviewForm,
        "answer": AnswerForm,
    }
    if step not in forms:
        raise Http404
    form = forms[step](request.POST, prefix=step)
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("governance:case", pk=case.pk)
    try:
        _apply(case, request.user, step, form.cleaned_data)
    except RuleViolation as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("governance:case", pk=case.pk)
