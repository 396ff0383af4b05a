"""Roll call (到岗) pages: a phone-sized list of one's own calls, and confirming one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from fangkong.core.errors import RuleViolation

from . import selectors
from .models import RollCall
from .services.rollcall import confirm_roll_call


@login_required
def roll_calls(request: HttpRequest) -> HttpResponse:
    """The calls addressed to me in open incidents; the link of the roll-call message."""
    calls = selectors.my_roll_calls(request.user)
    return render(request, "command/roll_calls.html", {"calls": calls})


@login_required
@require_POST
def roll_call_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm I am at my post; only the person called can, and nobody learns of other calls."""
    call = RollCall.objects.select_related("incident").filter(pk=pk, user=request.user).first()
    if call is None:
        raise Http404
    try:
        confirm_roll_call(call=call, user=request.user)
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("Confirmed: you are in place."))
    if request.POST.get("back") == "incident":
        return redirect("command:incident", call.incident_id)
    return redirect("command:roll_calls")
