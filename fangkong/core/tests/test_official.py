"""The register of official documents: numbers, building lists, punctuation, embedded fonts."""

import io

import pytest

from devtools.pdf import _parsed, pdf_fonts
from fangkong.core.official import (
    compress_buildings,
    compress_buildings_en,
    document_number,
    half_width_near_chinese,
    issuer_prefix,
)
from fangkong.core.pdf_fonts import MissingCJKFont, cjk_fonts


def test_a_document_number_has_the_issuers_prefix_and_no_di(settings):
    settings.FANGKONG_ISSUER_PREFIX = ""
    assert issuer_prefix("高新区") == "高新防控"
    assert document_number(prefix="高新防控", year=2022, number=1) == "高新防控〔2022〕1号"
    assert (
        document_number(prefix="高新防控", series="通报", year=2022, number=12)
        == "高新防控通报〔2022〕12号"
    )
    assert document_number(prefix="高新防控", year=2022, number=3, drill=True) == (
        "高新防控演练〔2022〕3号"
    )
    settings.FANGKONG_ISSUER_PREFIX = "郑高防指"
    assert issuer_prefix("高新区") == "郑高防指"


@pytest.mark.parametrize(
    ("buildings", "expected"),
    [
        ([f"瓦屋李新居{n}号楼" for n in range(1, 15)], "瓦屋李新居1—14号楼"),
        (["瓦屋李新居1号楼", "瓦屋李新居2号楼", "瓦屋李新居5号楼"], "瓦屋李新居1—2、5号楼"),
        (["1号楼", "3号楼", "商铺"], "瓦屋李新居1、3号楼、商铺"),
        (["瓦屋李新居2号楼", "瓦屋李新居2号楼"], "瓦屋李新居2号楼"),
        ([], "瓦屋李新居"),
    ],
)
def test_building_lists_are_compressed_without_doubled_names(buildings, expected):
    text = compress_buildings("瓦屋李新居", buildings)
    assert text == expected
    assert "瓦屋李新居瓦屋李新居" not in text and "（" not in text


def test_english_building_lists_use_the_english_names():
    names = [f"Wawuli Xinju Building {n}" for n in range(1, 15)]
    assert compress_buildings_en("Wawuli Xinju", names) == "Wawuli Xinju, buildings 1–14"
    assert compress_buildings_en("Wawuli Xinju", names[:1]) == "Wawuli Xinju, building 1"


def test_half_width_punctuation_next_to_chinese_is_found():
    assert half_width_near_chinese("全区采集20:1标本360管6799人，外环境样本8管") == []
    assert half_width_near_chinese("At 03:04 (Beijing time), the CDC") == []
    found = half_width_near_chinese("接报后,三级网格迅速行动(到位);指挥部:到位")
    assert len(found) == 5


def _pdf(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    font, _bold = cjk_fonts(text)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, initialFontName=font)
    pdf.setFont(font, 14)
    pdf.drawString(50, 700, text)
    pdf.save()
    return out.getvalue()


def test_pdfs_embed_their_cjk_font():
    pdf = _pdf("关于对瓦屋李新居实施临时静态管理的通告，高新防控〔2022〕1号")
    fonts = pdf_fonts(pdf)
    assert fonts and all(fonts.values()), fonts
    assert any("CJK" in name for name in fonts)
    # The fallback reader of font dictionaries agrees with pdffonts.
    assert _parsed(pdf) == fonts


def test_a_missing_cjk_font_is_refused_with_the_remedy(settings, tmp_path):
    settings.FANGKONG_CJK_FONT = str(tmp_path / "no-such-font.ttc")
    with pytest.raises(MissingCJKFont, match="fonts-noto-cjk"):
        cjk_fonts("通告")
