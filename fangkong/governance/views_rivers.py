"""River-chief pages: the phone patrol page, compliance per chief, hazard assignment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.http import page_of

from . import river_selectors, selectors
from .forms_rivers import AssignForm, PatrolForm
from .services import rivers
from .services.photos import prepare_photos


@login_required
def patrol(request: HttpRequest) -> HttpResponse:
    """The chief's phone: log a patrol (the page records the track) and any hazard found."""
    require_permission(actor=request.user, action="report_cases", object_type="patrol")
    posts = river_selectors.my_posts(user=request.user)
    form = PatrolForm(request.POST or None, request.FILES or None, posts=posts)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            photos = prepare_photos(d["photos"], field="photos")
            log = rivers.log_patrol(
                user=request.user,
                chief=d["chief"],
                started_at=d["started_at"],
                ended_at=d["ended_at"],
                track=d["track"],
                photos=photos,
                problems=d["problems"],
            )
            if d["category"]:
                rivers.report_hazard(
                    user=request.user,
                    segment=d["chief"].segment,
                    category=d["category"],
                    title=(d["problems"] or str(d["chief"].segment))[:200],
                    patrol=log,
                )
        except RuleViolation as exc:
            if exc.status_code == 403:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Patrol logged."))
            return redirect("governance:patrol")
    return render(
        request,
        "governance/patrol.html",
        {
            "form": form,
            "posts": posts,
            "patrols": river_selectors.recent_patrols(user=request.user),
        },
    )


@login_required
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo, to whoever may see its case or patrol; never a public file."""
    found = river_selectors.get_photo(user=request.user, pk=pk)
    if found is None:
        raise Http404
    response = FileResponse(found.file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def rivers_overview(request: HttpRequest) -> HttpResponse:
    require_permission(actor=request.user, action="view_cases", object_type="rivers")
    return render(
        request,
        "governance/rivers.html",
        {
            "compliance": river_selectors.chief_compliance(user=request.user),
            "hazards": page_of(request, river_selectors.open_hazards(user=request.user)),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case(user=request.user, pk=pk)
    if case is None or river_selectors.hazard_of(user=request.user, case=case) is None:
        raise Http404
    form = AssignForm(request.POST, units=selectors.units_in_scope(user=request.user))
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("governance:case", pk=case.pk)
    try:
        rivers.assign_hazard(
            case=case,
            user=request.user,
            unit=form.cleaned_data["unit"],
            deadline=form.cleaned_data["deadline"],
        )
    except RuleViolation as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done."))
    return redirect("governance:case", pk=case.pk)
