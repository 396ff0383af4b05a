"""Register a round's tubes from its page, then print their labels (the label sheet link)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.errors import RuleViolation

from .forms import TubesForm
from .page_access import round_for_request
from .services.rounds import create_tubes


@login_required
@require_POST
def round_tubes(request: HttpRequest, pk: int) -> HttpResponse:
    """Register N tubes for the round; the service keeps the round's pool rule."""
    round_ = round_for_request(request, pk, action="manage_rounds")
    form = TubesForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                # Named by its field, since the message stands apart from the form.
                messages.error(
                    request,
                    _("%(field)s: %(error)s") % {"field": form.fields[name].label, "error": error},
                )
        return redirect(reverse("testing:round", args=[round_.pk]))
    try:
        tubes = create_tubes(
            round=round_,
            count=form.cleaned_data["count"],
            capacity=form.cleaned_data["capacity"],
            user=request.user,
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(count)s tubes registered (%(first)s to %(last)s): print their labels.")
            % {"count": len(tubes), "first": tubes[0].barcode, "last": tubes[-1].barcode},
        )
    return redirect(reverse("testing:round", args=[round_.pk]))
