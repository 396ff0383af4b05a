"""A bulletin as PDF: the Chinese text (STSong-Light, a CID font every PDF reader has, so
nothing is embedded and it works offline), then the English version on its own page."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from .models import Bulletin

CJK_FONT = "STSong-Light"


def _styles():
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    base = {"fontName": CJK_FONT, "fontSize": 12, "leading": 21, "wordWrap": "CJK"}
    return {
        "title_zh": ParagraphStyle(
            "title_zh",
            **{**base, "fontSize": 17, "leading": 26},
            alignment=TA_CENTER,
            spaceAfter=14,
        ),
        "body_zh": ParagraphStyle("body_zh", **base, firstLineIndent=24, spaceAfter=6),
        "sign_zh": ParagraphStyle("sign_zh", **base, alignment=TA_RIGHT),
        "title_en": ParagraphStyle(
            "title_en",
            fontName="Helvetica-Bold",
            fontSize=15,
            leading=20,
            alignment=TA_CENTER,
            spaceAfter=4,
        ),
        "issuer_en": ParagraphStyle(
            "issuer_en",
            fontName="Helvetica",
            fontSize=10,
            leading=14,
            alignment=TA_CENTER,
            spaceAfter=12,
        ),
        # The English text may quote Chinese names: the CID font has Latin glyphs too.
        "body_en": ParagraphStyle(
            "body_en", fontName=CJK_FONT, fontSize=11, leading=16, spaceAfter=6
        ),
        "sign_en": ParagraphStyle(
            "sign_en", fontName="Helvetica", fontSize=10, leading=14, alignment=TA_RIGHT
        ),
    }


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer

    s = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        topMargin=30 * mm,
        bottomMargin=25 * mm,
        title=bulletin.title_zh,
        author=bulletin.title_zh.split("通报")[0],
    )
    zh = _paragraphs(bulletin.text_zh)
    en = _paragraphs(bulletin.text_en)
    story = [Paragraph(escape(zh[0]), s["title_zh"]), HRFlowable(width="100%", color="#b3261e")]
    story.append(Spacer(1, 6 * mm))
    for p in zh[1:-2]:
        story.append(Paragraph(escape(p), s["body_zh"]))
    story += [Spacer(1, 10 * mm), Paragraph(escape(zh[-2]), s["sign_zh"])]
    story.append(Paragraph(escape(zh[-1]), s["sign_zh"]))
    story += [PageBreak(), Paragraph(escape(en[0]), s["title_en"])]
    story.append(Paragraph(escape(en[1]), s["issuer_en"]))
    for p in en[2:-1]:
        story.append(Paragraph(escape(p), s["body_en"]))
    story += [Spacer(1, 8 * mm), Paragraph(escape(en[-1]), s["sign_en"])]
    doc.build(story)
    return out.getvalue()
