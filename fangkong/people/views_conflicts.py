"""The review of import conflicts: a roster row whose ID number is stored under another name."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.services import require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import client_ip

from .import_conflicts import resolve_import_conflict
from .selectors import list_import_conflicts


@login_required
@require_GET
def import_conflicts(request: HttpRequest) -> HttpResponse:
    require_permission(
        actor=request.user,
        action="import_residents",
        object_type="residents",
        ip=client_ip(request),
    )
    page = Paginator(list_import_conflicts(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "people/import_conflicts.html", {"page": page})


@login_required
@require_POST
def decide_import_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    decision = request.POST.get("decision")
    if decision not in ("apply", "keep"):
        messages.error(
            request, _("Choose whether to take the file's details or keep the stored ones.")
        )
        return redirect("people:import_conflicts")
    try:
        resolve_import_conflict(
            conflict_id=pk, user=request.user, apply=decision == "apply", ip=client_ip(request)
        )
    except PermissionDeniedError:
        raise
    except RuleViolation as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("The file's details were taken.")
            if decision == "apply"
            else _("The stored details were kept."),
        )
    return redirect("people:import_conflicts")
