"""Bulletins (archive, HTML, PDF), the user's notifications (the bell) and broadcast texts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_GET, require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import add_rule_error, client_ip, page_of
from fangkong.zones.models import ZoneStatus
from fangkong.zones.selectors import get_zone, zones_for_user

from . import selectors
from .broadcasts import incident_texts, zone_texts
from .bulletin_pdf import bulletin_pdf
from .forms import DailyBulletinForm
from .messages import lang_key
from .messages import render as render_message
from .page_access import incident_for_request, require_view
from .services.bulletins import write_daily_bulletin, write_incident_bulletin
from .services.notifications import mark_read


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    require_view(request, "bulletins")
    may_write = can(request.user, "manage_incidents")
    form = DailyBulletinForm(request.POST or None, user=request.user) if may_write else None
    if request.method == "POST":
        require_permission(
            actor=request.user,
            action="manage_incidents",
            object_type="bulletin",
            ip=client_ip(request),
        )
        if form.is_valid():
            try:
                bulletin = write_daily_bulletin(
                    day=form.cleaned_data["day"],
                    scope_code=form.cleaned_data["scope_code"],
                    user=request.user,
                )
            except PermissionDeniedError:
                raise
            except RuleViolation as exc:
                add_rule_error(form, exc)
            else:
                messages.success(request, _g("Bulletin written."))
                return redirect("command:bulletin", bulletin.pk)
    page = page_of(request, selectors.bulletins_for_user(request.user))
    return render(request, "command/bulletins.html", {"page": page, "form": form})


def _bulletin_for(request: HttpRequest, pk: int):
    require_view(request, "bulletin")
    bulletin = selectors.get_bulletin(user=request.user, pk=pk)
    if bulletin is None:
        raise Http404
    return bulletin


@login_required
@require_GET
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin_for(request, pk)
    # The stored HTML was rendered by our own template with autoescaping, from our own text.
    return render(
        request,
        "command/bulletin.html",
        {"bulletin": bulletin, "document": mark_safe(bulletin.html)},  # noqa: S308
    )


@login_required
@require_GET
def bulletin_download(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = _bulletin_for(request, pk)
    response = HttpResponse(bulletin_pdf(bulletin), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="bulletin-{bulletin.district_code}-{bulletin.year}-{bulletin.number}.pdf"'
    )
    return response


@login_required
@require_POST
def incident_bulletin(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_for_request(request, pk)
    bulletin = write_incident_bulletin(incident=incident, user=request.user)
    messages.success(request, _g("Bulletin written."))
    return redirect("command:bulletin", bulletin.pk)


# ---------------------------------------------------------------------------------------------
# The bell


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """Everyone has an inbox: the messages the system wrote to them, in their language."""
    if request.method == "POST":
        mark_read(user=request.user)
        return redirect("command:notifications")
    lang = lang_key(request.LANGUAGE_CODE)
    page = page_of(request, selectors.inbox(request.user))
    rows = [(n, render_message(n.template_key, n.context, lang)) for n in page]
    return render(request, "command/notifications.html", {"page": page, "rows": rows})


@login_required
@require_GET
def notification_badge(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "command/partials/bell.html", {"unread": selectors.unread_count(request.user)}
    )
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Broadcast texts (produced, never sent)


@login_required
@require_GET
def broadcasts(request: HttpRequest) -> HttpResponse:
    require_view(request, "broadcast")
    lang = "en" if request.GET.get("lang") == "en" else "zh"
    subject, texts = None, None
    if request.GET.get("incident", "").isdigit():
        subject = incident_for_request(request, int(request.GET["incident"]))
        texts = incident_texts(subject, lang=lang)
    elif request.GET.get("zone", "").isdigit():
        subject = get_zone(user=request.user, pk=int(request.GET["zone"]))
        if subject is None:
            raise Http404
        texts = zone_texts(subject, lang=lang)
    zones = []
    if can(request.user, "view_zones"):
        zones = zones_for_user(request.user, status=ZoneStatus.ACTIVE)
    return render(
        request,
        "command/broadcasts.html",
        {
            "subject": subject,
            "texts": texts,
            "lang": lang,
            "incidents": selectors.incidents_for_user(request.user, status="open")[:50],
            "zones": zones,
            "query": request.GET.urlencode(),
        },
    )
