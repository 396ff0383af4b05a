"""Sampling codes (采样码) on paper and on screen.

A resident's code is a QR of FKSC.<registry number>.<signature> (people.sampling_codes): no
name, ID or phone, and a forged one is refused at the sampling table. Staff show it on screen;
for elderly people without a phone they print an A4 sheet of cards. The cards carry a masked
name and the address, so printing them is an export of personal data: it needs
export_residents and is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from fangkong.accounts.services import require_permission
from fangkong.core.areas import level_of
from fangkong.core.errors import RuleViolation
from fangkong.core.http import client_ip
from fangkong.core.masking import mask_name
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit
from fangkong.geo.selectors import get_node

from .models import Resident, ResidentStatus, Tag
from .sampling_codes import sampling_code_for
from .selectors import ResidentFilter, get_resident, list_residents

CARDS_PER_PAGE = 8  # 2 × 4 on A4
MAX_CARDS = 480  # 60 sheets; a larger area is printed grid by grid


def qr_svg(payload: str) -> SafeString:
    """`payload` as an inline, freely scalable SVG QR code.

    Always a full QR code, never a Micro QR (segno's choice for short data), which phone
    cameras and most scanners do not read; medium error correction survives a worn card.
    """
    qr = segno.make_qr(payload, error="m")
    # segno writes only path data from our own signed payload: nothing from users reaches it.
    return mark_safe(qr.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr"))  # noqa: S308


def _address(resident: Resident) -> str:
    household = resident.household
    if household is None:
        return ""
    compound = household.building.compound
    return f"{compound.name_zh} {household.label}" if compound else household.label


@login_required
@require_GET
def sampling_code(request: HttpRequest, resident_id: int) -> HttpResponse:
    """One resident's sampling code, to show on screen or photograph."""
    require_permission(
        actor=request.user,
        action="view_residents",
        object_type="resident",
        object_id=resident_id,
        ip=client_ip(request),
    )
    resident = get_resident(user=request.user, pk=resident_id)
    if resident is None:
        raise Http404
    context = {
        "resident": resident,
        "address": _address(resident),
        "qr": qr_svg(sampling_code_for(resident.pk)),
    }
    response = render(request, "people/code.html", context)
    response["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Card:
    name: str
    address: str
    qr: SafeString


def _card_filters(request: HttpRequest) -> tuple[str, str]:
    area = (request.GET.get("area") or request.user.scope_code).strip()
    tag = (request.GET.get("tag") or Tag.ELDERLY_ALONE).strip()
    try:
        level_of(area)
    except ValueError:
        raise RuleViolation(
            field="area", code="format", message=_("Malformed area code.")
        ) from None
    if tag not in Tag.values:
        raise RuleViolation(field="tag", code="choice", message=_("Unknown tag."))
    return area, tag


@login_required
@require_GET
def sampling_code_cards(request: HttpRequest) -> HttpResponse:
    """An A4 sheet of sampling-code cards for the residents of an area with a tag (audited)."""
    area, tag = _card_filters(request)
    require_permission(
        actor=request.user,
        action="export_residents",
        area_code=area,
        object_type="sampling_code_cards",
        ip=client_ip(request),
    )
    residents = list(
        list_residents(
            user=request.user,
            filters=ResidentFilter(area_code=area, tag=tag, status=ResidentStatus.ACTIVE),
        ).select_related("household__building__compound")[: MAX_CARDS + 1]
    )
    if len(residents) > MAX_CARDS:
        raise RuleViolation(
            field="area",
            code="too_many",
            message=_("More than %(max)s cards: print one grid or building at a time.")
            % {"max": MAX_CARDS},
        )
    cards = [
        Card(name=mask_name(r.name), address=_address(r), qr=qr_svg(sampling_code_for(r.pk)))
        for r in residents
    ]
    record_audit(
        user=request.user,
        action=AuditAction.EXPORT,
        object_type="sampling_code_card",
        area_code=area,
        ip=client_ip(request),
        detail={"format": "sampling_code_cards", "tag": tag, "cards": len(cards)},
    )
    context = {
        "area": get_node(area),
        "area_code": area,
        "tag": tag,
        "tag_label": Tag(tag).label,
        "tags": Tag.choices,
        "cards": cards,
        "sheets": [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)],
    }
    response = render(request, "people/code_cards.html", context)
    response["Cache-Control"] = "no-store"
    return response
