"""Psychological support on a request's page: the counsellor, notes, the audited reading."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fangkong.accounts.models import User
from fangkong.core.errors import RuleViolation
from fangkong.core.http import client_ip, rule_message

from .services.counselling import add_counselling_note, assign_counsellor, read_counselling_notes
from .views import request_for


def _refused(request: HttpRequest, exc: RuleViolation) -> None:
    if exc.status_code == 403:
        raise exc
    messages.error(request, rule_message(exc))


@login_required
@require_POST
def counsellor_assign(request: HttpRequest, pk: int) -> HttpResponse:
    found = request_for(request, pk)
    counsellor = User.objects.filter(username=request.POST.get("counsellor", "").strip()).first()
    try:
        if counsellor is None:
            raise RuleViolation(field="counsellor", code="unknown", message=_("No such user."))
        assign_counsellor(user=request.user, request=found, counsellor=counsellor)
    except RuleViolation as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Counsellor assigned."))
    return redirect("services:request", found.pk)


@login_required
@require_POST
def counselling_note(request: HttpRequest, pk: int) -> HttpResponse:
    found = request_for(request, pk)
    try:
        add_counselling_note(user=request.user, request=found, text=request.POST.get("text", ""))
    except RuleViolation as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Note saved (confidential)."))
    return redirect("services:request", found.pk)


@login_required
@require_POST
def counselling_notes(request: HttpRequest, pk: int) -> HttpResponse:
    """The confidential notes, shown once per audited reading (a POST, never a link)."""
    found = request_for(request, pk)
    notes = read_counselling_notes(
        user=request.user,
        request=found,
        reason=request.POST.get("reason", ""),
        ip=client_ip(request),
    )
    return render(request, "services/counselling_notes.html", {"req": found, "notes": notes})
