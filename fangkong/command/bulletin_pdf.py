"""A bulletin as PDF: the Chinese text, then the English version on its own page, in an embedded
free CJK font (`core.pdf_fonts`), so it prints the same on any reader or printer."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from fangkong.core.pdf_fonts import cjk_fonts

from .models import Bulletin


def _styles(text: str):
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    font, bold = cjk_fonts(text)
    base = {"fontName": font, "fontSize": 12, "leading": 21, "wordWrap": "CJK"}
    return {
        "title_zh": ParagraphStyle(
            "title_zh",
            **{**base, "fontName": bold, "fontSize": 17, "leading": 26},
            alignment=TA_CENTER,
            spaceAfter=14,
        ),
        "body_zh": ParagraphStyle("body_zh", **base, firstLineIndent=24, spaceAfter=6),
        "number": ParagraphStyle("number", **base, alignment=TA_CENTER, spaceAfter=4),
        "mark": ParagraphStyle(
            "mark", **{**base, "fontName": bold, "fontSize": 16}, textColor="#b3261e"
        ),
        "sign_zh": ParagraphStyle("sign_zh", **base, alignment=TA_RIGHT),
        "title_en": ParagraphStyle(
            "title_en",
            fontName=bold,
            fontSize=15,
            leading=20,
            alignment=TA_CENTER,
            spaceAfter=4,
        ),
        "issuer_en": ParagraphStyle(
            "issuer_en",
            fontName=font,
            fontSize=10,
            leading=14,
            alignment=TA_CENTER,
            spaceAfter=12,
        ),
        # The English text may quote Chinese names: the CJK font has Latin glyphs too.
        "body_en": ParagraphStyle("body_en", fontName=font, fontSize=11, leading=16, spaceAfter=6),
        "sign_en": ParagraphStyle(
            "sign_en", fontName=font, fontSize=10, leading=14, alignment=TA_RIGHT
        ),
    }


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def bulletin_pdf(bulletin: Bulletin) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import HRFlowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer

    s = _styles(bulletin.text_zh + bulletin.text_en)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        topMargin=30 * mm,
        bottomMargin=25 * mm,
        title=bulletin.title_zh,
        author=_paragraphs(bulletin.text_zh)[-2],
        initialFontName=s["body_zh"].fontName,
    )
    # The header lines: [演练,] the document number and the subject line (`BulletinText`).
    head = 3 if bulletin.drill else 2
    zh = _paragraphs(bulletin.text_zh)
    en = _paragraphs(bulletin.text_en)
    story = []
    if bulletin.drill:
        story.append(Paragraph(escape(zh[0]), s["mark"]))
    story += [
        Paragraph(escape(zh[head - 2]), s["number"]),
        HRFlowable(width="100%", color="#b3261e", thickness=1.5),
        Spacer(1, 4 * mm),
        Paragraph(escape(zh[head - 1]), s["title_zh"]),
    ]
    for p in zh[head:-2]:
        story.append(Paragraph(escape(p), s["body_zh"]))
    story += [Spacer(1, 10 * mm), Paragraph(escape(zh[-2]), s["sign_zh"])]
    story.append(Paragraph(escape(zh[-1]), s["sign_zh"]))
    story.append(PageBreak())
    if bulletin.drill:
        story.append(Paragraph(escape(en[0]), s["mark"]))
    story += [
        Paragraph(escape(en[head - 1]), s["title_en"]),
        Paragraph(escape(en[head - 2]), s["issuer_en"]),
        Paragraph(escape(en[head]), s["issuer_en"]),
    ]
    for p in en[head + 1 : -1]:
        story.append(Paragraph(escape(p), s["body_en"]))
    story += [Spacer(1, 8 * mm), Paragraph(escape(en[-1]), s["sign_en"])]
    doc.build(story)
    return out.getvalue()
