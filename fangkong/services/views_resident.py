"""The resident's own page (no login): raise a request and follow it, from the signed link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from fangkong.core.errors import RuleViolation

from .forms import OwnRequestForm
from .services.resident_page import (
    own_requests,
    raise_own_request,
    resident_for_token,
    under_control,
)


@never_cache
def resident_page(request: HttpRequest, token: str) -> HttpResponse:
    """What the resident asked for and how far it has come; a form to ask for more."""
    try:
        resident = resident_for_token(token)
    except RuleViolation as exc:
        return render(
            request, "services/resident_page.html", {"invalid": str(exc.message)}, status=404
        )
    form = OwnRequestForm(request.POST or None)
    status, done = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            made = raise_own_request(
                resident=resident,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
            )
        except RuleViolation as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        else:
            done = _("Sent: request %(number)s.") % {"number": made.number}
            form = OwnRequestForm()
    elif request.method == "POST":
        status = 422
    context = {
        "form": form,
        "done": done,
        "requests": own_requests(resident),
        "may_raise": under_control(resident),
    }
    return render(request, "services/resident_page.html", context, status=status)
