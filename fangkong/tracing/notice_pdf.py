"""The control-order notice (隔离告知书) as a PDF laid out after GB/T 9704 (official documents):
the issuer in red over a red rule, the document number, a centred title, the addressee, the
body with two-character indents, and the issuer and date at the right.

The font is embedded (`core.pdf_fonts`: a free CJK font, only the notice's characters), so it
prints the same on any reader or printer; the protocol is named by its title, never its code.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fangkong.core.errors import RuleViolation
from fangkong.core.official import DRILL_MARK_EN, DRILL_MARK_ZH, issuer_prefix
from fangkong.core.pdf_fonts import cjk_fonts
from fangkong.geo.models import District

from .models import ControlOrder
from .protocol import tracing_protocol

RED = "#c00000"


def _styles(text: str) -> dict:
    # reportlab loads only when a notice is drawn, as for the bulletins and labels.
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    font, bold = cjk_fonts(text)
    # GB/T 9704: body in size 3 (16 pt), 28 characters a line; title in size 2 (22 pt).
    body = {"fontName": font, "fontSize": 16, "leading": 28.9, "wordWrap": "CJK"}
    return {
        "mark": ParagraphStyle(
            "mark", fontName=bold, fontSize=16, leading=24, textColor=RED, spaceAfter=8
        ),
        "issuer": ParagraphStyle(
            "issuer", fontName=bold, fontSize=26, leading=36, alignment=TA_CENTER, textColor=RED
        ),
        "number": ParagraphStyle("number", **body, alignment=TA_CENTER, spaceBefore=14),
        "title": ParagraphStyle(
            "title",
            fontName=bold,
            fontSize=22,
            leading=34,
            alignment=TA_CENTER,
            spaceBefore=18,
            spaceAfter=14,
        ),
        "to": ParagraphStyle("to", **body),
        "body": ParagraphStyle("body", **body, firstLineIndent=32),
        "sign": ParagraphStyle("sign", **body, alignment=TA_RIGHT, rightIndent=32),
    }


def _chain(order: ControlOrder) -> list[ControlOrder]:
    first = order
    while first.previous_id is not None:
        first = first.previous
    chain, current = [first], first
    while (current := ControlOrder.objects.filter(previous=current).first()) is not None:
        chain.append(current)
    return chain


def protocol_title(code: str) -> str:
    """The protocol's title in the active language (its code only if the preset is gone)."""
    try:
        titles = tracing_protocol(code).data.get("title") or {}
    except RuleViolation:
        return code
    lang = "en" if (get_language() or "").startswith("en") else "zh"
    return titles.get(lang) or titles.get("zh") or code


def _grounds(first: ControlOrder, date) -> str:
    """Why the order: the protocol's tier, or the local measure's reason."""
    if not first.tier:
        return first.reason
    return _(
        "Under the protocol %(protocol)s, the flow investigation found you to be a "
        "%(tier)s; your last exposure was on %(last)s."
    ) % {
        "protocol": protocol_title(first.protocol),
        "tier": first.get_tier_display(),
        "last": date(first.last_exposure),
    }


def drill_mark() -> str:
    return DRILL_MARK_ZH if (get_language() or "").startswith("zh") else DRILL_MARK_EN


def notice_blocks(order: ControlOrder) -> list[tuple[str, str]]:
    """The notice's paragraphs, (style, text), in the active language."""
    chain = _chain(order)
    first = chain[0]
    district = District.objects.order_by("code").first()
    issuer = _("%(district)s Epidemic Prevention and Control Command") % {
        "district": district.name_zh if district else ""
    }
    date = lambda d: _("%(y)s-%(m)s-%(d)s") % {"y": d.year, "m": d.month, "d": d.day}  # noqa: E731
    numbered = {
        "prefix": issuer_prefix(district.name_zh if district else ""),
        "year": first.year,
        "n": first.number,
    }
    blocks = [
        *([("mark", drill_mark())] if first.drill else []),
        ("issuer", issuer),
        (
            "number",
            (
                _("%(prefix)s drill notice [%(year)s] No. %(n)s")
                if first.drill
                else _("%(prefix)s notice [%(year)s] No. %(n)s")
            )
            % numbered,
        ),
        ("rule", ""),
        ("title", _("Notice of %(kind)s") % {"kind": first.get_kind_display()}),
        ("to", _("%(person)s:") % {"person": first.person_name or first.document_masked}),
        ("body", _grounds(first, date)),
    ]
    for o in chain:
        text = _("From %(start)s to %(end)s: %(kind)s.") % {
            "start": date(o.start),
            "end": date(o.end),
            "kind": o.get_kind_display(),
        }
        if o.site_id:
            text += _(" Site: %(site)s.") % {"site": o.site.name}
        blocks.append(("body", text))
    tests = [t for o in chain for t in o.test_dates]
    if tests:
        blocks.append(
            ("body", _("Nucleic-acid tests on: %(dates)s.") % {"dates": "、".join(tests)})
        )
    blocks.append(
        (
            "body",
            _(
                "Do not go out while the order is in force. Report a fever, cough or other "
                "symptom at once to your grid worker."
            ),
        )
    )
    # Dated the day the order begins when it was written later (a replayed night), so the
    # notice carries the event's date, not the machine's.
    issued = min(timezone.localdate(first.created_at), first.start)
    blocks += [("sign", issuer), ("sign", date(issued))]
    return blocks


def order_notice_pdf(order: ControlOrder, *, lang: str = "zh-hans") -> bytes:
    """The order's notice as an A4 PDF (the whole chain of orders it belongs to)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, Paragraph, SimpleDocTemplate, Spacer

    with translation.override(lang):
        blocks = notice_blocks(order)
    styles = _styles("".join(text for _style, text in blocks))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        topMargin=37 * mm,
        bottomMargin=35 * mm,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        title="order-notice",
        initialFontName=styles["body"].fontName,
    )
    story = []
    for style, text in blocks:
        if style == "rule":
            story.append(
                HRFlowable(width="100%", thickness=2, color=colors.HexColor(RED), spaceBefore=4)
            )
            continue
        if style == "sign" and not isinstance(story[-1], Spacer) and story[-1].style.name != "sign":
            story.append(Spacer(1, 40))
        story.append(Paragraph(escape(text), styles[style]))
    doc.build(story)
    return out.getvalue()
