"""Official notices (通告) of designation, downgrade and lift: numbered per district and year
(高新防控〔2022〕N号; a drill's in its own series, 高新防控演练〔2022〕N号), and archived as issued — the content, the print-ready
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
from fangkong.core.official import (
    DRILL_MARK_EN,
    DRILL_MARK_ZH,
    document_number,
    document_number_en,
    issuer_prefix,
)
from fangkong.geo.models import Building, Compound, District, Grid

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
        g.code: (
            f"{g.community.name_zh}{g.name_zh}",
            f"{g.community.name_en or g.community.name_zh} {g.name_en or g.name_zh}",
        )
        for g in Grid.objects.filter(code__in=grid_codes).select_related("community")
    }
    compound_codes = [m.code for m in members if m.node_type == MemberType.COMPOUND]
    compounds_en = dict(
        Compound.objects.filter(code__in=compound_codes).values_list("code", "name_en")
    )
    buildings_of: dict[str, list[tuple[str, str]]] = {c: [] for c in compound_codes}
    for code, name, name_en in (
        Building.objects.filter(compound__code__in=compound_codes)
        .order_by("code")
        .values_list("compound__code", "name_zh", "name_en")
    ):
        buildings_of[code].append((name, name_en or name))
    building_codes = [m.code for m in members if m.node_type == MemberType.BUILDING]
    buildings_en = dict(
        Building.objects.filter(code__in=building_codes).values_list("code", "name_en")
    )
    # The English name of the zone is its place's, when the zone is named after one place.
    names_en = {m.name: compounds_en.get(m.code) or buildings_en.get(m.code) for m in members}
    kind_zh = old.get("name", {}).get("zh", "")
    # "瓦屋李新居临时静态管理" → "瓦屋李新居": a title says the kind once.
    base = zone.name.removesuffix(kind_zh) if kind_zh and zone.name != kind_zh else zone.name
    base_en = names_en.get(zone.name) or names_en.get(base) or base
    return {
        "id": zone.pk,
        "name": zone.name,
        "name_en": names_en.get(zone.name) or base_en,
        "base": base,
        "base_en": base_en,
        "kind": zone.kind,
        "kind_zh": old.get("name", {}).get("zh", zone.get_kind_display()),
        "kind_en": old.get("name", {}).get("en", zone.kind),
        "to_kind": shown.kind if shown is not zone else "",
        "to_kind_zh": rule.get("name", {}).get("zh", "") if shown is not zone else "",
        "to_kind_en": rule.get("name", {}).get("en", "") if shown is not zone else "",
        "grids": [grids.get(c, (c, c))[0] for c in grid_codes],
        "grids_en": [grids.get(c, (c, c))[1] for c in grid_codes],
        "compounds": [
            {
                "name": m.name,
                "name_en": compounds_en.get(m.code) or m.name,
                "buildings": [zh for zh, _en in buildings_of.get(m.code, [])],
                "buildings_en": [en for _zh, en in buildings_of.get(m.code, [])],
            }
            for m in members
            if m.node_type == MemberType.COMPOUND
        ],
        "buildings": [m.name for m in members if m.node_type == MemberType.BUILDING],
        "buildings_en": [
            buildings_en.get(m.code) or m.name
            for m in members
            if m.node_type == MemberType.BUILDING
        ],
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


def _next_number(district_code: str, year: int, drill: bool) -> int:
    last = Notice.objects.filter(district_code=district_code, year=year, drill=drill).aggregate(
        m=Max("number")
    )
    return (last["m"] or 0) + 1


def _check(*, user, zones: list[RiskZone], kind: str) -> None:
    """The user may issue it, and each zone is in the state the notice announces."""
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


def issue_notice(
    *,
    user,
    zones: Sequence[RiskZone],
    kind: str,
    now: dt.datetime | None = None,
    drill: bool = False,
) -> Notice:
    """Number, render and archive the notice of a designation, downgrade or lift.

    It is dated `now` (a replay passes its own clock). A drill's notice carries the mark 演练
    and takes the next number of the drill series, never an official one.
    """
    zones = list(zones)
    _check(user=user, zones=zones, kind=kind)
    now = now or timezone.now()
    district_code = AreaCode(zones[0].area_code).district
    district = District.objects.filter(code=district_code).first()
    effective = _effective_at(zones, kind)
    year = timezone.localtime(effective).year
    zone_content = [_zone_content(z, kind) for z in zones]
    title_zh, title_en = notice_titles(kind, zone_content)
    issuer_zh = f"{district.name_zh if district else district_code}疫情防控指挥部"
    issuer_en = f"{(district.name_en or district.name_zh) if district else district_code} {ISSUER_EN_SUFFIX}"
    prefix = issuer_prefix(district.name_zh if district else district_code)
    for attempt in range(3):
        number = _next_number(district_code, year, drill)
        content = {
            "kind": kind,
            "zones": zone_content,
            "drill": drill,
            "mark_zh": DRILL_MARK_ZH if drill else "",
            "mark_en": DRILL_MARK_EN if drill else "",
            "issuer_zh": issuer_zh,
            "issuer_en": issuer_en,
            "number_zh": document_number(prefix=prefix, year=year, number=number, drill=drill),
            "number_en": document_number_en(
                prefix_en=issuer_en, series="Notice", year=year, number=number, drill=drill
            ),
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
                    drill=drill,
                )
                notice.zones.set(zones)
            return notice
        except IntegrityError:
            if attempt == 2:  # pragma: no cover - three issuers racing for one number
                raise
    raise AssertionError("unreachable")  # pragma: no cover
