"""Printable tube label sheets: A4, 3 × 10 labels of 70 × 29.7 mm, as PDF or PNG.

Each label has the round's name and the tube's pool size on top, a Code 128 barcode (encoded
by python-barcode, drawn here so bars fall on whole printer dots), and the number in digits
under it, grouped by four so a person reading it aloud or typing it makes fewer mistakes.

The PDF draws the bars as vectors and its text in a subset of Noto CJK embedded in the file
(core.pdf_fonts), so a printer without Chinese fonts prints what the screen shows. The PNG is
one sheet at 300 dpi;
its text uses a CJK font found on the machine (Debian's fonts-noto-cjk), or Pillow's own font.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import barcode
from django.utils.translation import gettext as _

from fangkong.core.pdf_fonts import cjk_fonts

from .models import Tube, TubeKind

MM_PER_INCH = 25.4
DPI = 300
PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
COLUMNS, ROWS = 3, 10
PER_SHEET = COLUMNS * ROWS
LABEL_W, LABEL_H = PAGE_W / COLUMNS, PAGE_H / ROWS
PADDING = 4.0  # mm: most printers cannot print the outer 4 mm of a sheet
# One module (the narrowest bar) is 5 dots at 300 dpi: 0.42 mm, read by every handheld
# scanner, and 101 modules (a 12-digit Code 128 in set C) + quiet zones fit 70 mm.
MODULE_DOTS = 5
MODULE = MODULE_DOTS * MM_PER_INCH / DPI
QUIET_MODULES = 10
BAR_H = 11.0
TITLE_SIZE, DIGITS_SIZE = 7.0, 10.0  # points
PT = MM_PER_INCH / 72  # mm per point
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@dataclass(frozen=True)
class Label:
    barcode: str
    title: str
    note: str

    @property
    def digits(self) -> str:
        return " ".join(self.barcode[i : i + 4] for i in range(0, len(self.barcode), 4))


def modules(code: str) -> str:
    """The Code 128 module pattern of `code`, '1' for a bar module, '0' for a space."""
    return barcode.get("code128", code).build()[0]


def pool_note(tube: Tube) -> str:
    if tube.kind == TubeKind.ENVIRONMENT:
        return _("Environment, %(n)s points") % {"n": tube.swab_points}
    if tube.capacity == 1:
        return _("Single tube")
    return _("%(n)s:1 pool") % {"n": tube.capacity}


def labels_for(tubes: Sequence[Tube], round_name: str) -> list[Label]:
    return [Label(barcode=t.barcode, title=round_name, note=pool_note(t)) for t in tubes]


def sheet_count(n: int) -> int:
    return max(1, -(-n // PER_SHEET))


def _origin(i: int) -> tuple[float, float]:
    """Top-left corner of label `i` on its sheet, mm from the page's top-left."""
    slot = i % PER_SHEET
    return (slot % COLUMNS) * LABEL_W, (slot // COLUMNS) * LABEL_H


def _layout(x: float, y: float, bars: int) -> dict[str, float]:
    width = bars * MODULE
    return {
        "title_y": y + PADDING,  # top of the title line
        "bars_x": x + (LABEL_W - width) / 2,
        "bars_y": y + PADDING + TITLE_SIZE * PT + 1.5,
        "digits_y": y + PADDING + TITLE_SIZE * PT + 1.5 + BAR_H + 1.0,
    }


# ---------------------------------------------------------------------------------------------
# PDF


def _fit(text: str, width: float, measure) -> str:
    if measure(text) <= width:
        return text
    while text and measure(text + "…") > width:
        text = text[:-1]
    return text + "…"


def render_pdf(labels: Sequence[Label]) -> bytes:
    """All labels, 30 to an A4 page."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    empty = str(_("No tubes to print."))
    # Every glyph the sheet draws, digits included, comes from one embedded subset: a
    # printer's RIP without Chinese fonts prints it as the screen shows it.
    cjk_font, digits_font = cjk_fonts(
        "".join(f"{label.title}{label.note}{label.digits}" for label in labels) + empty
    )
    out = io.BytesIO()
    pdf = canvas.Canvas(
        out, pagesize=(PAGE_W * mm, PAGE_H * mm), invariant=True, initialFontName=cjk_font
    )
    pdf.setTitle(labels[0].title if labels else "labels")
    pdf.setCreator("Fangkong")

    def y_pt(y_mm: float) -> float:  # reportlab's origin is bottom-left
        return (PAGE_H - y_mm) * mm

    text_width = (LABEL_W - 2 * PADDING) * mm
    for i, label in enumerate(labels):
        if i and i % PER_SHEET == 0:
            pdf.showPage()
        x, y = _origin(i)
        pattern = modules(label.barcode)
        geo = _layout(x, y, len(pattern))
        # Title on the left, pool size on the right.
        pdf.setFont(cjk_font, TITLE_SIZE)
        note_w = stringWidth(label.note, cjk_font, TITLE_SIZE)
        baseline = y_pt(geo["title_y"] + TITLE_SIZE * PT * 0.85)
        pdf.drawRightString((x + LABEL_W - PADDING) * mm, baseline, label.note)
        title = _fit(
            label.title,
            text_width - note_w - 2 * mm,
            lambda s, font=cjk_font: stringWidth(s, font, TITLE_SIZE),
        )
        pdf.drawString((x + PADDING) * mm, baseline, title)
        # Bars: one rectangle per run of bar modules.
        pdf.setFillGray(0)
        start = None
        for j, bit in enumerate(pattern + "0"):
            if bit == "1" and start is None:
                start = j
            elif bit == "0" and start is not None:
                pdf.rect(
                    (geo["bars_x"] + start * MODULE) * mm,
                    y_pt(geo["bars_y"] + BAR_H),
                    (j - start) * MODULE * mm,
                    BAR_H * mm,
                    stroke=0,
                    fill=1,
                )
                start = None
        pdf.setFont(digits_font, DIGITS_SIZE)
        pdf.drawCentredString(
            (x + LABEL_W / 2) * mm, y_pt(geo["digits_y"] + DIGITS_SIZE * PT * 0.8), label.digits
        )
    if not labels:
        pdf.setFont(cjk_font, 12)
        pdf.drawString(20 * mm, y_pt(20), empty)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# PNG


@cache
def _cjk_font_file() -> tuple[str, int] | None:
    from PIL import ImageFont

    for candidate in FONT_CANDIDATES:
        if not Path(candidate).exists():
            continue
        if not candidate.endswith(".ttc"):
            return candidate, 0
        # A collection holds one face per region; prefer Simplified Chinese.
        for index in range(10):
            try:
                name = ImageFont.truetype(candidate, 10, index=index).getname()[0]
            except OSError:
                break
            if name.endswith(" SC") or "Micro Hei" in name or "Zen Hei" in name:
                return candidate, index
        return candidate, 0
    return None


def _png_font(size_pt: float):
    from PIL import ImageFont

    pixels = round(size_pt * DPI / 72)
    found = _cjk_font_file()
    if found is not None:
        return ImageFont.truetype(found[0], pixels, index=found[1])
    return ImageFont.load_default(pixels)


def _px(mm_value: float) -> int:
    return round(mm_value * DPI / MM_PER_INCH)


def render_png(labels: Sequence[Label], sheet: int = 1) -> bytes:
    """One sheet (numbered from 1) as a 300 dpi PNG."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (_px(PAGE_W), _px(PAGE_H)), 255)
    draw = ImageDraw.Draw(image)
    title_font, digits_font = _png_font(TITLE_SIZE), _png_font(DIGITS_SIZE)
    first = (sheet - 1) * PER_SHEET
    text_width = _px(LABEL_W - 2 * PADDING)
    for i, label in enumerate(labels[first : first + PER_SHEET]):
        x, y = _origin(i)
        pattern = modules(label.barcode)
        geo = _layout(x, y, len(pattern))
        top = _px(geo["title_y"])
        note_w = draw.textlength(label.note, font=title_font)
        draw.text(
            (_px(x + LABEL_W - PADDING), top), label.note, font=title_font, fill=0, anchor="ra"
        )
        title = _fit(
            label.title,
            text_width - note_w - _px(2),
            lambda s: draw.textlength(s, font=title_font),
        )
        draw.text((_px(x + PADDING), top), title, font=title_font, fill=0, anchor="la")
        # Whole dots per module, so every bar prints at exactly its width.
        left, bar_top = _px(geo["bars_x"]), _px(geo["bars_y"])
        bar_bottom = bar_top + _px(BAR_H) - 1
        for j, bit in enumerate(pattern):
            if bit == "1":
                x0 = left + j * MODULE_DOTS
                draw.rectangle((x0, bar_top, x0 + MODULE_DOTS - 1, bar_bottom), fill=0)
        draw.text(
            (_px(x + LABEL_W / 2), _px(geo["digits_y"])),
            label.digits,
            font=digits_font,
            fill=0,
            anchor="ma",
        )
    if not labels:
        draw.text((_px(20), _px(20)), _("No tubes to print."), font=digits_font, fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


def write_sheets(labels: Sequence[Label], path: Path) -> list[Path]:
    """Write a PDF, or one PNG per sheet (name-1.png, name-2.png, … when more than one)."""
    path = Path(path)
    if path.suffix.lower() == ".png":
        count = sheet_count(len(labels))
        paths = (
            [path]
            if count == 1
            else [path.with_name(f"{path.stem}-{n}{path.suffix}") for n in range(1, count + 1)]
        )
        for n, target in enumerate(paths, start=1):
            target.write_bytes(render_png(labels, sheet=n))
        return paths
    path.write_bytes(render_pdf(labels))
    return [path]
