"""Notice pages: the archive, a notice as print-ready HTML (zh or en) and PDF, and issuing
the notice of a zone's designation, downgrade or lift."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _g
from django.views.decorators.http import require_POST

from fangkong.accounts.services import require_permission
from fangkong.core.errors import out_of_scope
from fangkong.core.http import client_ip, page_of

from . import selectors
from .models import Notice, NoticeKind, RiskZone, ZoneStatus
from .notice_text import render_notice_pdf
from .page_access import zone_for_request
from .services.notices import issue_notice

KIND_FOR_STATUS = {
    ZoneStatus.ACTIVE: NoticeKind.DESIGNATION,
    ZoneStatus.DOWNGRADED: NoticeKind.DOWNGRADE,
    ZoneStatus.LIFTED: NoticeKind.LIFT,
}


def notice_kind_due(zone: RiskZone) -> str | None:
    """The notice the zone's current status calls for, unless it was already issued."""
    kind = KIND_FOR_STATUS[zone.status]
    return None if zone.notices.filter(kind=kind).exists() else kind


def issue_after(request: HttpRequest, zone: RiskZone, kind: str) -> Notice:
    notice = issue_notice(user=request.user, zones=[zone], kind=kind)
    messages.info(request, _g("Notice issued: %(number)s") % {"number": notice.number_label})
    return notice


def _notices_for(request: HttpRequest):
    require_permission(
        actor=request.user, action="view_zones", object_type="notices", ip=client_ip(request)
    )
    zones = selectors.zones_for_user(request.user)
    return Notice.objects.filter(zones__in=zones).distinct().prefetch_related("zones")


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "zones/notices.html",
        {
            "notices": page_of(request, _notices_for(request)),
            "english": (get_language() or "").startswith("en"),
        },
    )


def _notice_for(request: HttpRequest, pk: int) -> Notice:
    notice = _notices_for(request).filter(pk=pk).first()
    if notice is None and Notice.objects.filter(pk=pk).exists():
        raise out_of_scope(object_type="notice", object_id=pk, area_code="")
    if notice is None:
        raise Http404
    return notice


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_for(request, pk)
    english = request.GET.get("lang") == "en"
    return render(
        request,
        "zones/notice.html",
        {
            "notice": notice,
            "html": notice.html_en if english else notice.html_zh,
            "title": notice.title_en if english else notice.title_zh,
            "doc_lang": "en" if english else "zh",
        },
    )


@login_required
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The archived Chinese PDF (the English one is laid out from the archived content)."""
    notice = _notice_for(request, pk)
    english = request.GET.get("lang") == "en"
    pdf = render_notice_pdf(notice.content, "en") if english else bytes(notice.pdf_zh)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"notice-{notice.year}-{notice.number}{'-en' if english else ''}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, name)
    return response


@login_required
@require_POST
def notice_new(request: HttpRequest, pk: int) -> HttpResponse:
    zone = zone_for_request(request, pk, action="manage_zones")
    kind = request.POST.get("kind") or KIND_FOR_STATUS[zone.status]
    notice = issue_after(request, zone, kind)
    return redirect("zones:notice", notice.pk)
