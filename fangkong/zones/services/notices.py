"""Official notices (通告) of designation, downgrade and lift: numbered per district and year
(高新区疫情防控指挥部通告〔2022〕第N号), and archived as issued — the content, the print-ready
HTML in Chinese and English, and the Chinese PDF. The wording and layout are `notice_text`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Building, District, Grid

from ..models import MemberType, Notice, NoticeKind, RiskZone
from ..notice_text import (
    ISSUER_EN_SUFFIX,
    en_date,
    en_time,
    notice_titles,
    render_notice_html,
    render_notice_pdf,
    zh_date,
    zh_time,
)
from ..protocols import zone_rule


def _zone_content(zone: RiskZone, kind: str) -> dict:
    """What the notice says about one zone, read once at issue and archived with it."""
    data = zone.protocol.data
    shown = zone
    if kind == NoticeKind.DOWNGRADE:
        shown = getattr(zone, "downgraded_to", None) or zone
    rule = zone_rule(data, shown.kind) or {}
    old = zone_rule(data, zone.kind) or {}
    members = list(zone.members.all())
    grid_codes = [m.code for m in members if m.node_type == MemberType.GRID]
    grids = {
        g.code: f"{g.community.name_zh}{g.name_zh}"
        for g in Grid.objects.filter(code__in=grid_codes).select_related("community")
    }
    compound_codes = [m.code for m in members if m.node_type == MemberType.COMPOUND]
    buildings_of: dict[str, list[str]] = {c: [] for c in compound_codes}
    for code, name in (
        Building.objects.filter(compound__code__in=compound_codes)
        .order_by("code")
        .values_list("compound__code", "name_zh")
    ):
        buildings_of[code].append(name)
    return {
        "id": zone.pk,
        "name": zone.name,
        "kind": zone.kind,
        "kind_zh": old.get("name", {}).get("zh", zone.get_kind_display()),
        "kind_en": old.get("name", {}).get("en", zone.kind),
        "to_kind": shown.kind if shown is not zone else "",
        "to_kind_zh": rule.get("name", {}).get("zh", "") if shown is not zone else "",
        "to_kind_en": rule.get("name", {}).get("en", "") if shown is not zone else "",
        "grids": [grids.get(c, c) for c in grid_codes],
        "compounds": [
            {"name": m.name, "buildings": buildings_of.get(m.code, [])}
            for m in members
            if m.node_type == MemberType.COMPOUND
        ],
        "buildings": [m.name for m in members if m.node_type == MemberType.BUILDING],
        "measures_zh": rule.get("measures", {}).get("zh", []),
        "measures_en": rule.get("measures", {}).get("en", []),
        "protocol_zh": data["title"]["zh"],
        "protocol_en": data["title"]["en"],
        "residents": zone.residents,
    }


def _effective_at(zones: Sequence[RiskZone], kind: str) -> dt.datetime:
    if kind == NoticeKind.DESIGNATION:
        return min(z.designated_at for z in zones)
    return min(z.ended_at or timezone.now() for z in zones)


def _next_number(district_code: str, year: int) -> int:
    last = Notice.objects.filter(district_code=district_code, year=year).aggregate(m=Max("number"))
    return (last["m"] or 0) + 1


def issue_notice(
    *, user, zones: Sequence[RiskZone], kind: str, now: dt.datetime | None = None
) -> Notice:
    """Number, render and archive the notice of a designation, downgrade or lift."""
    zones = list(zones)
    if not zones:
        raise RuleViolation(field="zones", code="required", message=_("Name at least one zone."))
    if kind not in NoticeKind.values:
        raise RuleViolation(field="kind", code="choice", message=_("Unknown notice kind."))
    for zone in zones:
        require_permission(
            actor=user,
            action="manage_zones",
            area_code=zone.area_code,
            object_type="risk_zone",
            object_id=zone.pk,
        )
        if kind == NoticeKind.LIFT and zone.status != "lifted":
            raise RuleViolation(
                field="kind", code="not_lifted", message=_("The zone has not been lifted.")
            )
        if kind == NoticeKind.DOWNGRADE and zone.status != "downgraded":
            raise RuleViolation(
                field="kind", code="not_downgraded", message=_("The zone has not been downgraded.")
            )
    now = now or timezone.now()
    district_code = AreaCode(zones[0].area_code).district
    district = District.objects.filter(code=district_code).first()
    effective = _effective_at(zones, kind)
    year = timezone.localtime(effective).year
    zone_content = [_zone_content(z, kind) for z in zones]
    title_zh, title_en = notice_titles(kind, zone_content)
    issuer_zh = f"{district.name_zh if district else district_code}疫情防控指挥部"
    issuer_en = f"{(district.name_en or district.name_zh) if district else district_code} {ISSUER_EN_SUFFIX}"
    for attempt in range(3):
        number = _next_number(district_code, year)
        content = {
            "kind": kind,
            "zones": zone_content,
            "issuer_zh": issuer_zh,
            "issuer_en": issuer_en,
            "number_zh": f"{issuer_zh}通告〔{year}〕第{number}号",
            "number_en": f"{issuer_en} Notice [{year}] No. {number}",
            "title_zh": title_zh,
            "title_en": title_en,
            "effective_at": effective.isoformat(),
            "effective_zh": zh_time(effective),
            "effective_en": en_time(effective),
            "issued_zh": zh_date(now),
            "issued_en": en_date(now),
        }
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    district_code=district_code,
                    year=year,
                    number=number,
                    kind=kind,
                    title_zh=title_zh,
                    title_en=title_en[:300],
                    content=content,
                    html_zh=render_notice_html(content, "zh"),
                    html_en=render_notice_html(content, "en"),
                    pdf_zh=render_notice_pdf(content, "zh"),
                    effective_at=effective,
                    issued_at=now,
                    issued_by=user if hasattr(user, "password") else None,
                    issued_by_name=user.get_username(),
                )
                notice.zones.set(zones)
            return notice
        except IntegrityError:
            if attempt == 2:  # pragma: no cover - three issuers racing for one number
                raise
    raise AssertionError("unreachable")  # pragma: no cover
