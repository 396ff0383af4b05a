"""The register of official documents (公文, GB/T 9704): document numbers, building lists and
Chinese punctuation, shared by the notices, the bulletins and the control-order notices.

A document number (发文字号) is the issuer's prefix (机关代字), the year in 〔〕 and the number
with 号 and no 第: notices `高新防控〔2022〕1号`, bulletins in their own series
`高新防控通报〔2022〕1号`. A drill's documents are numbered in series of their own
(`高新防控演练〔2022〕1号`), so a replay never takes an official number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.conf import settings

DRILL_MARK_ZH = "演练"
DRILL_MARK_EN = "DRILL"
# Between Chinese characters a dash of two ems joins a range (1—14号楼); one em-dash glyph
# in running text, as the proofreaders print it.
RANGE_DASH = "—"

_CJK = r"\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# A half-width , ; : ( ) touching a Chinese character (or a Chinese punctuation mark).
HALF_WIDTH_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[,;:()]|[,;:()](?=[{_CJK}])")
_NUMBERED = re.compile(r"^(\d+)(号楼|栋|幢|号)$")


def issuer_prefix(district_zh: str) -> str:
    """The issuer's prefix: the setting, else the district's short name and 防控 (高新区 → 高新防控)."""
    configured = (getattr(settings, "FANGKONG_ISSUER_PREFIX", "") or "").strip()
    if configured:
        return configured
    short = district_zh[:-1] if len(district_zh) > 2 and district_zh.endswith("区") else district_zh
    return f"{short}防控"


def document_number(
    *, prefix: str, year: int, number: int, series: str = "", drill: bool = False
) -> str:
    """`高新防控〔2022〕1号`; a series `高新防控通报〔2022〕1号`; a drill's `高新防控演练〔2022〕1号`."""
    return f"{prefix}{DRILL_MARK_ZH if drill else ''}{series}〔{year}〕{number}号"


def document_number_en(
    *, prefix_en: str, year: int, number: int, series: str = "", drill: bool = False
) -> str:
    words = " ".join(w for w in (prefix_en, "Drill" if drill else "", series) if w)
    return f"{words} [{year}] No. {number}"


def half_width_near_chinese(text: str) -> list[str]:
    """Each half-width , ; : ( ) next to a Chinese character, with a little context."""
    return [text[max(0, m.start() - 6) : m.end() + 6] for m in HALF_WIDTH_NEAR_CJK.finditer(text)]


def _ranges(numbers: Sequence[int]) -> list[str]:
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}{RANGE_DASH}{prev}")
        if n is not None:
            start = prev = n
    return out


def compress_buildings(compound: str, buildings: Iterable[str]) -> str:
    """A compound and its buildings as a proofreader writes them: `瓦屋李新居1—14号楼`.

    The compound's name is said once (building names often repeat it); numbered buildings of
    one kind are joined into ranges; others follow, separated by 、. No brackets.
    """
    names = [b.removeprefix(compound) or b for b in buildings]
    numbered: dict[str, list[int]] = {}
    others: list[str] = []
    for name in dict.fromkeys(names):
        m = _NUMBERED.match(name)
        if m:
            numbered.setdefault(m.group(2), []).append(int(m.group(1)))
        else:
            others.append(name)
    parts = [
        "、".join(_ranges(sorted(set(ns)))) + suffix for suffix, ns in numbered.items()
    ] + others
    return compound + "、".join(parts)


def compress_buildings_en(compound: str, buildings: Iterable[str]) -> str:
    """The English of `compress_buildings`: `Wawuli Xinju, buildings 1–14`."""
    names = [b.removeprefix(compound).strip() or b for b in buildings]
    numbers: list[int] = []
    others: list[str] = []
    for name in dict.fromkeys(names):
        digits = re.sub(r"\D", "", name)
        if digits and re.fullmatch(r"(Building |Bldg\.? )?\d+(号楼|栋|幢|号)?", name):
            numbers.append(int(digits))
        else:
            others.append(name)
    parts = []
    if numbers:
        ranges = [r.replace(RANGE_DASH, "–") for r in _ranges(sorted(set(numbers)))]
        parts.append(
            ("building " if ranges == [str(numbers[0])] else "buildings ") + ", ".join(ranges)
        )
    parts += others
    return f"{compound}, " + ", ".join(parts) if parts else compound
