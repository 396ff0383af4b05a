"""Official notices (通告) of designation, downgrade and lift: numbered per district and year
(高新区疫情防控指挥部通告〔2022〕第N号), and archived as issued — the content, the print-ready
HTML in Chinese and English, and the Chinese PDF.

A notice is a document, not interface text: its Chinese wording is the command centre's own and
must read the same whatever the interface catalogue says, so both languages are written here,
once, as blocks that the HTML and the PDF both lay out.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Building, District, Grid

from ..models import MemberType, Notice, NoticeKind, RiskZone
from ..protocols import zone_rule

ZH_NUMERALS = "一二三四五六七八九十"
ISSUER_EN_SUFFIX = "Epidemic Prevention and Control Command Centre"
MONTHS = "January February March April May June July August September October November December"


def _zh_numeral(n: int) -> str:
    if n <= 10:
        return ZH_NUMERALS[n - 1]
    if n < 20:
        return "十" + ZH_NUMERALS[n - 11]
    tens, ones = divmod(n, 10)
    return ZH_NUMERALS[tens - 1] + "十" + (ZH_NUMERALS[ones - 1] if ones else "")


def _zh_time(at: dt.datetime) -> str:
    t = timezone.localtime(at)
    text = f"{t.year}年{t.month}月{t.day}日{t.hour}时"
    return text + (f"{t.minute}分" if t.minute else "")


def _zh_date(at: dt.datetime) -> str:
    t = timezone.localtime(at)
    return f"{t.year}年{t.month}月{t.day}日"


def _en_date(at: dt.datetime) -> str:
    t = timezone.localtime(at)
    return f"{t.day} {MONTHS.split()[t.month - 1]} {t.year}"


def _en_time(at: dt.datetime) -> str:
    t = timezone.localtime(at)
    return f"{t:%H:%M} on {_en_date(at)}"


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


def _kinds(zones: list[dict], lang: str) -> str:
    names = list(dict.fromkeys(z[f"kind_{lang}"] for z in zones))
    if lang == "zh":
        return "、".join(names)
    return ", ".join(f"{n.lower()}s" for n in names)


def _titles(kind: str, zones: list[dict]) -> tuple[str, str]:
    if kind == NoticeKind.DESIGNATION:
        return (
            f"关于划定{_kinds(zones, 'zh')}的通告",
            f"Notice on the designation of {_kinds(zones, 'en')}",
        )
    if kind == NoticeKind.DOWNGRADE:
        return "关于调整风险区域的通告", "Notice on the downgrading of risk areas"
    return (
        f"关于解除{_kinds(zones, 'zh')}管控措施的通告",
        f"Notice on lifting the measures of {_kinds(zones, 'en')}",
    )


def _where_zh(z: dict) -> str:
    parts = [
        f"{c['name']}（{'、'.join(c['buildings'])}）" if c["buildings"] else c["name"]
        for c in z["compounds"]
    ]
    return "、".join(parts + z["buildings"] + z["grids"])


def _where_en(z: dict) -> str:
    parts = [
        f"{c['name']} ({', '.join(c['buildings'])})" if c["buildings"] else c["name"]
        for c in z["compounds"]
    ]
    return ", ".join(parts + z["buildings"] + z["grids"])


def notice_blocks(content: dict, lang: str) -> list[tuple[str, str]]:
    """The notice as (style, text) blocks: title, number, para, heading, item, sign."""
    kind, zones = content["kind"], content["zones"]
    zh = lang == "zh"
    blocks = [
        ("issuer", content["issuer_zh"] if zh else content["issuer_en"]),
        ("number", content["number_zh"] if zh else content["number_en"]),
        ("title", content["title_zh"] if zh else content["title_en"]),
    ]
    when = content["effective_zh"] if zh else content["effective_en"]
    if kind == NoticeKind.DESIGNATION:
        blocks.append(
            (
                "para",
                f"根据《{zones[0]['protocol_zh']}》和疫情防控工作需要，经综合研判，"
                f"自{when}起，将以下区域划定为相应风险区域，实行分级分类分区管控："
                if zh
                else f"Under the {zones[0]['protocol_en']} and as the epidemic requires, "
                f"the following areas are designated as risk zones from {when}, each under "
                "its tier of control:",
            )
        )
        for i, z in enumerate(zones, 1):
            label = (
                f"{_zh_numeral(i)}、{z['kind_zh']}：{z['name']}"
                if zh
                else f"{i}. {z['kind_en']}: {z['name']}"
            )
            blocks.append(("heading", label))
            blocks.append(("para", f"范围：{_where_zh(z)}。" if zh else f"Area: {_where_en(z)}."))
            blocks.append(("para", "管控措施：" if zh else "Measures:"))
            measures = z["measures_zh"] if zh else z["measures_en"]
            blocks += [
                ("item", f"（{_zh_numeral(j)}）{m}。" if zh else f"({j}) {m}.")
                for j, m in enumerate(measures, 1)
            ]
        blocks.append(
            (
                "para",
                "请区域内广大居民和单位理解、支持、配合，服从管控安排，"
                "共同做好疫情防控工作。生活物资保障、就医等需求请联系所在社区。"
                if zh
                else "We ask everyone living and working in these areas for their understanding "
                "and cooperation. For supplies, medical care and other needs, contact your "
                "community.",
            )
        )
    elif kind == NoticeKind.DOWNGRADE:
        blocks.append(
            (
                "para",
                f"经综合研判，以下区域已符合调整条件，自{when}起调整风险等级："
                if zh
                else f"Having met the protocol's conditions, the following areas are "
                f"downgraded from {when}:",
            )
        )
        for i, z in enumerate(zones, 1):
            if zh:
                blocks.append(
                    (
                        "heading",
                        f"{_zh_numeral(i)}、{z['name']}由{z['kind_zh']}调整为{z['to_kind_zh']}",
                    )
                )
                blocks.append(("para", f"范围：{_where_zh(z)}。执行{z['to_kind_zh']}管控措施："))
            else:
                blocks.append(
                    ("heading", f"{i}. {z['name']}: from {z['kind_en']} to {z['to_kind_en']}")
                )
                blocks.append(
                    ("para", f"Area: {_where_en(z)}. The measures of a {z['to_kind_en']} apply:")
                )
            measures = z["measures_zh"] if zh else z["measures_en"]
            blocks += [
                ("item", f"（{_zh_numeral(j)}）{m}。" if zh else f"({j}) {m}.")
                for j, m in enumerate(measures, 1)
            ]
    else:
        blocks.append(
            (
                "para",
                f"经综合研判，以下区域已符合解除条件，自{when}起解除管控措施，"
                "恢复正常生产生活秩序："
                if zh
                else f"Having met the protocol's conditions, the following areas are lifted "
                f"from {when}, and normal life and work resume:",
            )
        )
        for i, z in enumerate(zones, 1):
            blocks.append(
                (
                    "heading",
                    f"{_zh_numeral(i)}、{z['kind_zh']}：{z['name']}（{_where_zh(z)}）"
                    if zh
                    else f"{i}. {z['kind_en']}: {z['name']} ({_where_en(z)})",
                )
            )
        blocks.append(
            (
                "para",
                "解除管控后，请广大居民继续做好个人防护，坚持戴口罩、勤洗手、常通风、"
                "保持社交距离，非必要不聚集。"
                if zh
                else "After the lift, please keep protecting yourselves: wear a mask, wash "
                "your hands, air your rooms, keep your distance and avoid gatherings.",
            )
        )
    blocks.append(("para", "特此通告。" if zh else "This notice is hereby given."))
    blocks.append(("sign", content["issuer_zh"] if zh else content["issuer_en"]))
    blocks.append(("sign", content["issued_zh"] if zh else content["issued_en"]))
    return blocks


def render_notice_html(content: dict, lang: str) -> str:
    return render_to_string(
        "zones/notice_doc.html",
        {"blocks": notice_blocks(content, lang), "lang": "zh-Hans" if lang == "zh" else "en"},
    )


def render_notice_pdf(content: dict, lang: str = "zh") -> bytes:
    """An A4 PDF; Chinese in reportlab's built-in CID font STSong-Light (no font files)."""
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    if lang == "zh":
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        font, bold, wrap = "STSong-Light", "STSong-Light", "CJK"
    else:
        font, bold, wrap = "Helvetica", "Helvetica-Bold", None
    base = {"fontName": font, "fontSize": 12, "leading": 20, "wordWrap": wrap}
    styles = {
        "issuer": ParagraphStyle(
            "issuer",
            **{**base, "fontName": bold, "fontSize": 20, "leading": 30},
            alignment=TA_CENTER,
            textColor="#b3261e",
        ),
        "number": ParagraphStyle("number", **base, alignment=TA_CENTER, spaceAfter=10),
        "title": ParagraphStyle(
            "title",
            **{**base, "fontName": bold, "fontSize": 16, "leading": 26},
            alignment=TA_CENTER,
            spaceAfter=12,
        ),
        "heading": ParagraphStyle("heading", **{**base, "fontName": bold}, spaceBefore=6),
        "para": ParagraphStyle("para", **base, firstLineIndent=24 if lang == "zh" else 0),
        "item": ParagraphStyle("item", **base, leftIndent=24),
        "sign": ParagraphStyle("sign", **base, alignment=TA_RIGHT),
    }
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
        title=content["title_zh"] if lang == "zh" else content["title_en"],
        author=content["issuer_zh"] if lang == "zh" else content["issuer_en"],
    )
    story = []
    for style, text in notice_blocks(content, lang):
        if style == "sign" and (not story or not isinstance(story[-1], Spacer)):
            story.append(Spacer(1, 12))
        story.append(Paragraph(escape(text), styles[style]))
    doc.build(story)
    return out.getvalue()


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
    district_code = zones[0].area_code.split("-")[0]
    district = District.objects.filter(code=district_code).first()
    effective = _effective_at(zones, kind)
    year = timezone.localtime(effective).year
    zone_content = [_zone_content(z, kind) for z in zones]
    title_zh, title_en = _titles(kind, zone_content)
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
            "effective_zh": _zh_time(effective),
            "effective_en": _en_time(effective),
            "issued_zh": _zh_date(now),
            "issued_en": _en_date(now),
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
