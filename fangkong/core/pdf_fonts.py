"""A free CJK font embedded in every PDF the system prints (notices, bulletins, order notices).

PDF readers without Chinese fonts (and printers' RIPs) show tofu for a font that is only named,
as reportlab's built-in CID font STSong-Light is; a proofreader asks for embedded fonts.
The font is Noto Serif CJK SC from Debian's `fonts-noto-cjk` (SIL Open Font License), or the
file named by FANGKONG_CJK_FONT / FANGKONG_CJK_FONT_BOLD.

Noto CJK ships PostScript (CFF) outlines, which reportlab cannot embed; so each document gets
a small font holding only its own characters, redrawn as TrueType outlines with fontTools (the
font file is read once per process, about a second; a document's font then takes a fraction
of one), and reportlab embeds that.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NOTO_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts")
REGULAR = ("NotoSerifCJK-Regular.ttc", "NotoSansCJK-Regular.ttc")
BOLD = ("NotoSerifCJK-Bold.ttc", "NotoSansCJK-Bold.ttc")
# Face of the collection to use: simplified Chinese.
FACE_SUFFIX = " SC"
# Subsets kept registered with reportlab: a server prints many documents, each its own subset.
MAX_REGISTERED = 32
_registered: OrderedDict[str, None] = OrderedDict()
# The font source is shared by the threads of a server; its outlines are read lazily.
_lock = threading.RLock()
# TrueType outlines already drawn, by (font file, glyph name): a few thousand at most.
_outlines: dict[tuple[Path, str], tuple[object, int]] = {}


class MissingCJKFont(ImproperlyConfigured):
    pass


def _find(names: tuple[str, ...], setting: str) -> Path | None:
    configured = getattr(settings, setting, "")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    for folder in NOTO_DIRS:
        for name in names:
            hits = [Path(folder) / name, *Path(folder).glob(f"**/{name}")]
            for hit in hits:
                if hit.is_file():
                    return hit
    return None


def font_files() -> tuple[Path, Path]:
    """The regular and bold CJK font files; a clear error when the font is not installed."""
    regular = _find(REGULAR, "FANGKONG_CJK_FONT")
    if regular is None:
        raise MissingCJKFont(
            "No CJK font to embed in PDFs: install Debian's fonts-noto-cjk "
            "(apt-get install fonts-noto-cjk) or set FANGKONG_CJK_FONT to a .ttc/.otf/.ttf file."
        )
    return regular, _find(BOLD, "FANGKONG_CJK_FONT_BOLD") or regular


@functools.lru_cache(maxsize=8)
def _face(path: Path) -> int:
    """Index of the simplified-Chinese face in a collection (0 for a single font)."""
    from fontTools.ttLib import TTCollection

    if path.suffix.lower() != ".ttc":
        return 0
    collection = TTCollection(str(path), lazy=True)
    for i, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1).endswith(FACE_SUFFIX):
            return i
    return 0


@functools.lru_cache(maxsize=4)
def _source(path: Path):
    """The font file read once per process (its character map and outlines, lazily)."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), fontNumber=_face(path), lazy=True)
    return font, font.getBestCmap(), font.getGlyphSet()


def _subset_truetype(path: Path, text: str) -> io.BytesIO:
    """The font's glyphs for `text`, as a small TrueType font reportlab can embed.

    The outlines are redrawn as quadratic curves (TrueType), whatever the source's kind.
    """
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    with _lock:
        font, cmap, glyph_set = _source(path)
        chars = {ord(c): cmap[ord(c)] for c in set(text) if ord(c) in cmap}
        names = [".notdef", *sorted(set(chars.values()) - {".notdef"})]
        glyphs, widths = {}, {}
        for name in names:
            key = (path, name)
            if key not in _outlines:
                # Redrawing a CJK glyph costs milliseconds; documents share most characters.
                pen = TTGlyphPen(None)
                glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
                _outlines[key] = (pen.glyph(), glyph_set[name].width)
            glyphs[name], widths[name] = _outlines[key]
        hhea, os2 = font["hhea"], font["OS/2"]
        builder = FontBuilder(font["head"].unitsPerEm, isTTF=True)
        builder.setupGlyphOrder(names)
        builder.setupCharacterMap(chars)
        builder.setupGlyf(glyphs)
        builder.setupHorizontalMetrics(
            {n: (widths[n], getattr(glyphs[n], "xMin", 0)) for n in names}
        )
        builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
        family = font["name"].getDebugName(1) or "CJK"
        builder.setupNameTable(
            {"familyName": family, "styleName": font["name"].getDebugName(2) or "Regular"}
        )
        builder.setupOS2(
            sTypoAscender=os2.sTypoAscender,
            sTypoDescender=os2.sTypoDescender,
            usWinAscent=os2.usWinAscent,
            usWinDescent=os2.usWinDescent,
            fsType=0,
        )
        builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    out.seek(0)
    return out


def _register(path: Path, text: str, tag: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont as ReportlabFont

    chars = "".join(sorted(set(text) | set(" 0123456789")))
    digest = hashlib.sha1(f"{path}\0{chars}".encode(), usedforsecurity=False).hexdigest()[:12]
    name = f"FangkongCJK{tag}-{digest}"
    with _lock:
        if name in _registered:
            _registered.move_to_end(name)
            return name
        pdfmetrics.registerFont(ReportlabFont(name, _subset_truetype(path, chars)))
        _registered[name] = None
        while len(_registered) > MAX_REGISTERED:
            old, _none = _registered.popitem(last=False)
            # reportlab has no unregister: drop the subset from its registry so a
            # long-running server does not keep every document's font.
            pdfmetrics._fonts.pop(old, None)
    return name


def cjk_fonts(text: str) -> tuple[str, str]:
    """Register (regular, bold) embedded fonts holding every character of `text`; their names."""
    regular, bold = font_files()
    return _register(regular, text, "R"), _register(bold, text, "B")
