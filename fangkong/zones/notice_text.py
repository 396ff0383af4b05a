"""A notice's wording, in Chinese and in English, and its layout as print-ready HTML and PDF.

A notice is a document, not interface text: its Chinese wording is the command centre's own and
must read the same whatever the interface catalogue says, so both languages are written here,
once, as blocks that the HTML and the PDF both lay out.
"""

from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import timezone

from fangkong.core.official import compress_buildings, compress_buildings_en
from fangkong.core.pdf_fonts import cjk_fonts

from .models import NoticeKind

ZH_NUMERALS = "一二三四五六七八九十"
ISSUER_EN_SUFFIX = "Epidemic Prevention and Control Command Centre"
MONTHS = "January February March April May June July August September October November December"


def zh_numeral(n: int) -> str:
    if n <= 10:
        return ZH_NUMERALS[n - 1]
    if n < 20:
        return "十" + ZH_NUMERALS[n - 11]
    tens, ones = divmod(n, 10)
    return ZH_NUMERALS[tens - 1] + "十" + (ZH_NUMERALS[ones - 1] if ones else "")


def zh_time(at: dt.datetime) -> str:
    t = timezone.localtime(at)
    text = f"{t.year}年{t.month}月{t.day}日{t.hour}时"
    return text + (f"{t.minute}分" if t.minute else "")


def zh_date(at: dt.datetime) -> str:
    t = timezone.localtime(at)
    return f"{t.year}年{t.month}月{t.day}日"


def en_date(at: dt.datetime) -> str:
    t = timezone.localtime(at)
    return f"{t.day} {MONTHS.split()[t.month - 1]} {t.year}"


def en_time(at: dt.datetime) -> str:
    t = timezone.localtime(at)
    return f"{t:%H:%M} on {en_date(at)}"


def _kinds(zones: list[dict], lang: str) -> str:
    names = list(dict.fromkeys(z[f"kind_{lang}"] for z in zones))
    if lang == "zh":
        return "、".join(names)
    return ", ".join(f"{n.lower()}s" for n in names)


def _names(zones: list[dict], lang: str) -> str:
    """The zones' names without their kind (the title says it once)."""
    if lang == "zh":
        return "、".join(z.get("base") or z["name"] for z in zones)
    return ", ".join(z.get("base_en") or z.get("name_en") or z["name"] for z in zones)


def notice_titles(kind: str, zones: list[dict]) -> tuple[str, str]:
    """The subject line (关于……的通告), with the glossary's verbs: 实施/解除临时静态管理 for a
    standstill, 解封 for a sealed zone only."""
    kinds = {z["kind"] for z in zones}
    if kind == NoticeKind.DESIGNATION:
        if kinds == {"standstill"}:
            return (
                f"关于对{_names(zones, 'zh')}实施临时静态管理的通告",
                f"Notice on the temporary standstill of {_names(zones, 'en')}",
            )
        return (
            f"关于划定{_kinds(zones, 'zh')}的通告",
            f"Notice on the designation of {_kinds(zones, 'en')}",
        )
    if kind == NoticeKind.DOWNGRADE:
        return "关于调整风险区域的通告", "Notice on the downgrading of risk areas"
    if kinds == {"standstill"}:
        return (
            f"关于解除{_names(zones, 'zh')}临时静态管理的通告",
            f"Notice on lifting the temporary standstill of {_names(zones, 'en')}",
        )
    if kinds == {"sealed"}:
        return (
            f"关于{_names(zones, 'zh')}封控区解封的通告",
            f"Notice on unsealing {_names(zones, 'en')}",
        )
    return (
        f"关于解除{_kinds(zones, 'zh')}管控措施的通告",
        f"Notice on lifting the measures of {_kinds(zones, 'en')}",
    )


def _where_zh(z: dict) -> str:
    """`瓦屋李新居1—14号楼、…`: each compound once, its buildings as ranges, no brackets."""
    parts = [compress_buildings(c["name"], c["buildings"]) for c in z["compounds"]]
    return "、".join(parts + z["buildings"] + z["grids"])


def _where_en(z: dict) -> str:
    parts = [
        compress_buildings_en(
            c.get("name_en") or c["name"],
            c.get("buildings_en", c["buildings"]),
        )
        for c in z["compounds"]
    ]
    return "; ".join(parts + z.get("buildings_en", z["buildings"]) + z.get("grids_en", z["grids"]))


def _heading_place(z: dict, zh: bool) -> str:
    """The zone's name and where it lies, the name said once."""
    name = z["name"] if zh else z.get("name_en") or z["name"]
    where = _where_zh(z) if zh else _where_en(z)
    if not where or where == name:
        return name
    if where.startswith(name):
        return where
    return f"{name}（{where}）" if zh else f"{name} ({where})"


Blocks = list[tuple[str, str]]


def notice_blocks(content: dict, lang: str) -> Blocks:
    """The notice as (style, text) blocks: title, number, para, heading, item, sign."""
    kind, zones = content["kind"], content["zones"]
    zh = lang == "zh"
    mark = content.get("mark_zh" if zh else "mark_en")
    blocks = [
        *([("mark", mark)] if mark else []),
        ("issuer", content["issuer_zh"] if zh else content["issuer_en"]),
        ("number", content["number_zh"] if zh else content["number_en"]),
        ("title", content["title_zh"] if zh else content["title_en"]),
    ]
    when = content["effective_zh"] if zh else content["effective_en"]
    body = {
        NoticeKind.DESIGNATION: _designation_blocks,
        NoticeKind.DOWNGRADE: _downgrade_blocks,
    }.get(kind, _lift_blocks)
    blocks += body(zones, when, zh)
    blocks.append(("para", "特此通告。" if zh else "This notice is hereby given."))
    blocks.append(("sign", content["issuer_zh"] if zh else content["issuer_en"]))
    blocks.append(("sign", content["issued_zh"] if zh else content["issued_en"]))
    return blocks


def _measures(z: dict, zh: bool) -> Blocks:
    measures = z["measures_zh"] if zh else z["measures_en"]
    return [
        ("item", f"（{zh_numeral(j)}）{m}。" if zh else f"({j}) {m}.")
        for j, m in enumerate(measures, 1)
    ]


def _designation_blocks(zones: list[dict], when: str, zh: bool) -> Blocks:
    if {z["kind"] for z in zones} == {"standstill"}:
        return _standstill_blocks(zones, when, zh)
    blocks = [
        (
            "para",
            f"根据《{zones[0]['protocol_zh']}》和疫情防控工作需要，经综合研判，"
            f"自{when}起，将以下区域划定为相应风险区域，实行分级分类分区管控："
            if zh
            else f"Under the {zones[0]['protocol_en']} and as the epidemic requires, "
            f"the following areas are designated as risk zones from {when}, each under "
            "its tier of control:",
        )
    ]
    for i, z in enumerate(zones, 1):
        label = (
            f"{zh_numeral(i)}、{z['kind_zh']}：{z['name']}"
            if zh
            else f"{i}. {z['kind_en']}: {z.get('name_en') or z['name']}"
        )
        blocks.append(("heading", label))
        blocks.append(("para", f"范围：{_where_zh(z)}。" if zh else f"Area: {_where_en(z)}."))
        blocks.append(("para", "管控措施：" if zh else "Measures:"))
        blocks += _measures(z, zh)
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
    return blocks


def _standstill_blocks(zones: list[dict], when: str, zh: bool) -> Blocks:
    """临时静态管理: where, from when, and the measures, in the glossary's words."""
    blocks = [
        (
            "para",
            f"根据《{zones[0]['protocol_zh']}》和疫情防控工作需要，经综合研判，"
            f"自{when}起，对以下区域实施临时静态管理："
            if zh
            else f"Under the {zones[0]['protocol_en']} and as the epidemic requires, the "
            f"following areas are under temporary standstill from {when}:",
        )
    ]
    for i, z in enumerate(zones, 1):
        blocks.append(
            (
                "heading",
                f"{zh_numeral(i)}、{_heading_place(z, True)}"
                if zh
                else f"{i}. {_heading_place(z, False)}",
            )
        )
        blocks.append(("para", "管控措施：" if zh else "Measures:"))
        blocks += _measures(z, zh)
    blocks.append(
        (
            "para",
            "请区域内居民理解、支持、配合，足不出户，服从管理安排。"
            "生活物资保障、就医等需求请联系所在社区。"
            if zh
            else "We ask everyone inside for their understanding: stay at home and follow "
            "the arrangements. For supplies, medical care and other needs, contact your "
            "community.",
        )
    )
    return blocks


def _downgrade_blocks(zones: list[dict], when: str, zh: bool) -> Blocks:
    blocks = [
        (
            "para",
            f"经综合研判，以下区域已符合调整条件，自{when}起调整风险等级："
            if zh
            else f"Having met the protocol's conditions, the following areas are "
            f"downgraded from {when}:",
        )
    ]
    for i, z in enumerate(zones, 1):
        if zh:
            blocks.append(
                ("heading", f"{zh_numeral(i)}、{z['name']}由{z['kind_zh']}调整为{z['to_kind_zh']}")
            )
            blocks.append(("para", f"范围：{_where_zh(z)}。执行{z['to_kind_zh']}管控措施："))
        else:
            blocks.append(
                (
                    "heading",
                    f"{i}. {z.get('name_en') or z['name']}: from {z['kind_en']} "
                    f"to {z['to_kind_en']}",
                )
            )
            blocks.append(
                ("para", f"Area: {_where_en(z)}. The measures of a {z['to_kind_en']} apply:")
            )
        blocks += _measures(z, zh)
    return blocks


def _lift_blocks(zones: list[dict], when: str, zh: bool) -> Blocks:
    kinds = {z["kind"] for z in zones}
    verb_zh = {"standstill": "解除临时静态管理", "sealed": "解封"}.get(
        next(iter(kinds)) if len(kinds) == 1 else "", "解除管控措施"
    )
    blocks = [
        (
            "para",
            f"经综合研判，以下区域已符合解除条件，自{when}起{verb_zh}，恢复正常生产生活秩序："
            if zh
            else f"Having met the protocol's conditions, the following areas are lifted "
            f"from {when}, and normal life and work resume:",
        )
    ]
    for i, z in enumerate(zones, 1):
        blocks.append(
            (
                "heading",
                f"{zh_numeral(i)}、{z['kind_zh']}：{_heading_place(z, True)}"
                if zh
                else f"{i}. {z['kind_en']}: {_heading_place(z, False)}",
            )
        )
    blocks.append(
        (
            "para",
            "解除后，请广大居民继续做好个人防护，坚持戴口罩、勤洗手、常通风、"
            "保持社交距离，非必要不聚集。"
            if zh
            else "After the lift, please keep protecting yourselves: wear a mask, wash "
            "your hands, air your rooms, keep your distance and avoid gatherings.",
        )
    )
    return blocks


def render_notice_html(content: dict, lang: str) -> str:
    return render_to_string(
        "zones/notice_doc.html",
        {"blocks": notice_blocks(content, lang), "lang": "zh-Hans" if lang == "zh" else "en"},
    )


def render_notice_pdf(content: dict, lang: str = "zh") -> bytes:
    """An A4 PDF, its CJK font embedded (`core.pdf_fonts`) for any reader or printer."""
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    blocks = notice_blocks(content, lang)
    font, bold = cjk_fonts("".join(text for _style, text in blocks))
    wrap = "CJK" if lang == "zh" else None
    base = {"fontName": font, "fontSize": 12, "leading": 20, "wordWrap": wrap}
    styles = {
        "mark": ParagraphStyle(
            "mark", **{**base, "fontName": bold, "fontSize": 16}, alignment=TA_LEFT
        ),
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
        initialFontName=font,
    )
    story = []
    for style, text in blocks:
        if style == "sign" and (not story or not isinstance(story[-1], Spacer)):
            story.append(Spacer(1, 12))
        story.append(Paragraph(escape(text), styles[style]))
    doc.build(story)
    return out.getvalue()
