"""Cells to values: the dates, sexes, residencies, document types, tags, buildings and rooms
that community staff type, in every spelling a roster uses. Pure functions; the words they
accept are data (see `excel_columns`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.datetime import from_excel

from fangkong.core.documents import EARLIEST_BIRTH, DocumentType
from fangkong.core.errors import RuleViolation

from .excel_columns import (
    DOCUMENT_TYPE_ZH,
    RESIDENCY_ZH,
    TAG_ZH,
    cell_text,
    compact,
)
from .models import Residency, Sex, Tag

_SEX_WORDS = {
    "男": Sex.MALE,
    "男性": Sex.MALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "女": Sex.FEMALE,
    "女性": Sex.FEMALE,
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
}
_RESIDENCY_WORDS = {
    "户籍": Residency.REGISTERED,
    "常住": Residency.REGISTERED,
    "本地": Residency.REGISTERED,
    "registered": Residency.REGISTERED,
    "流动": Residency.FLOATING,
    "外来": Residency.FLOATING,
    "暂住": Residency.FLOATING,
    "floating": Residency.FLOATING,
    "访客": Residency.VISITOR,
    "临时": Residency.VISITOR,
    "visitor": Residency.VISITOR,
}
_TAG_WORDS = {
    "独居": Tag.ELDERLY_ALONE,
    "独居老人": Tag.ELDERLY_ALONE,
    "外出就医": Tag.MEDICAL_TRIPS,
    "外出就医需求": Tag.MEDICAL_TRIPS,
    "就医": Tag.MEDICAL_TRIPS,
    "透析": Tag.MEDICAL_TRIPS,
    "化疗": Tag.MEDICAL_TRIPS,
    "残疾": Tag.DISABLED,
    "残疾人": Tag.DISABLED,
    "残障": Tag.DISABLED,
    "孕妇": Tag.PREGNANT,
    "孕产妇": Tag.PREGNANT,
    "婴幼儿": Tag.INFANT,
    "婴儿": Tag.INFANT,
    "幼儿": Tag.INFANT,
    "学生": Tag.STUDENT,
    "在校学生": Tag.STUDENT,
    "慢性病": Tag.CHRONIC_ILLNESS,
    "慢病": Tag.CHRONIC_ILLNESS,
    "卧床": Tag.BEDRIDDEN,
    "长期卧床": Tag.BEDRIDDEN,
}
_NO_TAG_WORDS = {"无", "否", "没有", "-", "—", "/", "none", "no"}
_DOCUMENT_TYPE_WORDS = {
    "身份证": DocumentType.RESIDENT_ID,
    "居民身份证": DocumentType.RESIDENT_ID,
    "二代身份证": DocumentType.RESIDENT_ID,
    "idcard": DocumentType.RESIDENT_ID,
    "护照": DocumentType.PASSPORT,
    "港澳通行证": DocumentType.HK_MACAO_PERMIT,
    "回乡证": DocumentType.HK_MACAO_PERMIT,
    "台胞证": DocumentType.TAIWAN_PERMIT,
    "永居证": DocumentType.FOREIGN_PR_ID,
    "外国人永久居留证": DocumentType.FOREIGN_PR_ID,
}


def _register_words() -> None:
    # Code names and English labels are accepted too, so an English roster imports as well;
    # English whatever language is active while this module loads.
    with translation.override("en"):
        for table, choices in (
            (_TAG_WORDS, Tag),
            (_RESIDENCY_WORDS, Residency),
            (_DOCUMENT_TYPE_WORDS, DocumentType),
        ):
            for value, label in choices.choices:
                table.setdefault(compact(value), value)
                table.setdefault(compact(str(label)), value)
    for zh_table, table in (
        (TAG_ZH, _TAG_WORDS),
        (RESIDENCY_ZH, _RESIDENCY_WORDS),
        (DOCUMENT_TYPE_ZH, _DOCUMENT_TYPE_WORDS),
    ):
        for value, word in zh_table.items():
            table.setdefault(compact(word), value)


_register_words()


def parse_date(value: object, *, field: str = "birth_date") -> dt.date | None:
    """An Excel date cell, "1990-01-01", "1990/1/1", "1990.1.1", "1990年1月1日" or "19900101"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    bad = RuleViolation(
        field=field,
        code="date_format",
        message=_("Not a date: write it as 1990-01-01, 1990/1/1, 1990年1月1日 or 19900101."),
    )
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, bool):
        raise bad
    elif isinstance(value, int | float):
        if not float(value).is_integer():
            raise bad
        number = int(value)
        if 10000101 <= number <= 99991231:
            day = _ymd(str(number)[:4], str(number)[4:6], str(number)[6:], bad)
        elif 0 < number < 2958466:
            # A date typed into a General cell is its serial number (days since 1899-12-30).
            day = from_excel(number).date()
        else:
            raise bad
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        match = (
            re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\s+0?0:00(?::00)?)?", text)
            or re.fullmatch(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", text)
            or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        )
        if not match:
            raise bad
        day = _ymd(*match.groups(), bad)
    if day > timezone.localdate() or day < EARLIEST_BIRTH:
        raise RuleViolation(
            field=field,
            code="date_range",
            message=_("The date is in the future or before 1890."),
        )
    return day


@dataclass(frozen=True)
class PartialDate:
    """A birth date written without its day (1990.03, 1990年3月, 199003) or month (1990)."""

    year: int
    months: frozenset[int]  # empty when the month is not given; two for an Excel 1990.1

    def agrees(self, day: dt.date) -> bool:
        return day.year == self.year and (not self.months or day.month in self.months)


def _partial(value: object) -> PartialDate | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not value.is_integer():
        # "1990.03" typed into a General cell is the number 1990.03, and "1990.10" is 1990.1.
        year, _dot, digits = f"{value:.2f}".rstrip("0").partition(".")
        months = {int(digits)} if len(digits) == 2 else {int(digits), int(digits) * 10}
    else:
        text = unicodedata.normalize("NFKC", cell_text(value))
        match = re.fullmatch(r"(\d{4})(?:\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?|年)?", text) or (
            re.fullmatch(r"(\d{4})(\d{2})", text)
        )
        if not match:
            return None
        year, month = match.group(1), match.group(2)
        months = {int(month)} if month else set()
    if not (EARLIEST_BIRTH.year <= int(year) <= timezone.localdate().year):
        return None
    if any(not 1 <= m <= 12 for m in months):
        months = {m for m in months if 1 <= m <= 12}
        if not months:
            return None
    return PartialDate(int(year), frozenset(months))


def parse_birth_date(value: object) -> dt.date | PartialDate | None:
    """A birth date as `parse_date` reads it, or the year and month of a date written without
    its day: a roster's 1990.03 is not wrong, only less than the ID number says."""
    try:
        return parse_date(value)
    except RuleViolation as exc:
        partial = _partial(value) if exc.code == "date_format" else None
        if partial is None:
            raise
        return partial


def _ymd(year: str, month: str, day: str, bad: RuleViolation) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise bad from None


def _choice(value: object, words: dict[str, str], field: str, message) -> str | None:
    key = compact(value)
    if not key:
        return None
    if key not in words:
        raise RuleViolation(field=field, code="choice", message=message)
    return words[key]


def parse_sex(value: object) -> str:
    return _choice(value, _SEX_WORDS, "sex", _("Sex is 男 or 女 (M or F).")) or ""


def parse_residency(value: object) -> str | None:
    """None when the cell is blank, so an update leaves the stored value alone."""
    return _choice(
        value,
        _RESIDENCY_WORDS,
        "residency",
        _("Residency is 户籍 or 常住 (registered), 流动 (floating) or 访客 (visitor)."),
    )


def parse_document_type(value: object) -> str:
    return (
        _choice(
            value,
            _DOCUMENT_TYPE_WORDS,
            "document_type",
            _("Unknown document type; use one of: %(choices)s.")
            % {"choices": "、".join(DOCUMENT_TYPE_ZH.values())},
        )
        or DocumentType.RESIDENT_ID
    )


def parse_category(value: object) -> tuple[str | None, set[str]]:
    """A 人员类别 cell: a residency (户籍, 流动…), special-group labels (独居老人、孕妇…), or
    both ("流动、孕妇"); returns (residency or None, tags)."""
    residencies, tags = set(), set()
    for term in re.split(r"[,，、;；/|\s]+", unicodedata.normalize("NFKC", cell_text(value))):
        key = compact(term)
        if not key or key in _NO_TAG_WORDS:
            continue
        if key in _RESIDENCY_WORDS:
            residencies.add(_RESIDENCY_WORDS[key])
        elif key in _TAG_WORDS:
            tags.add(_TAG_WORDS[key])
        else:
            raise RuleViolation(
                field="residency",
                code="choice",
                message=_(
                    "Unknown category “%(term)s”: write 户籍, 常住, 流动 or 访客, or "
                    "special groups such as %(tags)s."
                )
                % {"term": term, "tags": "、".join(TAG_ZH.values())},
            )
    if len(residencies) > 1:
        raise RuleViolation(
            field="residency",
            code="choice",
            message=_("A person has one residency: 户籍 (常住), 流动 or 访客."),
        )
    return (residencies.pop() if residencies else None), tags


def parse_tags(value: object) -> set[str]:
    """ "独居老人、外出就医" → {"elderly_alone", "medical_trips"}; 无 or blank → none."""
    tags = set()
    for term in re.split(r"[,，、;；/|\s]+", unicodedata.normalize("NFKC", cell_text(value))):
        key = compact(term)
        if not key or key in _NO_TAG_WORDS:
            continue
        if key not in _TAG_WORDS:
            raise RuleViolation(
                field="tags",
                code="choice",
                message=_("Unknown tag “%(tag)s”; known tags are: %(choices)s.")
                % {"tag": term, "choices": "、".join(TAG_ZH.values())},
            )
        tags.add(_TAG_WORDS[key])
    return tags


_ZH_DIGITS = dict(zip("零一二三四五六七八九", range(10), strict=True)) | {"两": 2}


def _zh_number(text: str) -> str:
    """ "十二" → "12"; digits and anything else are returned unchanged."""
    if not text or any(ch not in _ZH_DIGITS and ch != "十" for ch in text):
        return text
    if "十" not in text:
        return "".join(str(_ZH_DIGITS[ch]) for ch in text)
    tens, _sep, units = text.partition("十")
    return str((_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[units] if units else 0))


def building_key(value: object) -> str:
    """ "3号楼", "3栋", "3幢", "3#", "三号楼" and "3" all name building 3."""
    text = compact(value)
    match = re.fullmatch(r"第?(\d+|[零一二两三四五六七八九十]+)(号楼|号|栋|幢|楼|#|座)?", text)
    if match:
        return str(int(_zh_number(match.group(1))))
    return text


_NUMBERED = re.compile(r".*?第?(\d+|[零一二两三四五六七八九十]+)(号楼|号|栋|幢|楼|#|座)?")


def building_number(value: object) -> str:
    """The number a building's name ends in: 瓦屋李新居3号楼 and 大里村3号 are both "3";
    "" for a name without one."""
    match = _NUMBERED.fullmatch(compact(value))
    return str(int(_zh_number(match.group(1)))) if match else ""


def natural_key(text: str) -> tuple:
    """Sorts 2号楼 before 10号楼."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def parse_entrance(value: object) -> str:
    """ "1单元", "一单元", 1.0 and "1" are entrance "1"; blank is a building without entrances."""
    text = re.sub(r"(单元|门)$", "", compact(value))
    text = _zh_number(text)
    if text.isdigit():
        text = str(int(text))
    if text and not text.isalnum():
        raise RuleViolation(
            field="entrance",
            code="format",
            message=_("An entrance is letters and digits, e.g. 1 or 1单元."),
        )
    return text.upper()


def parse_room(value: object, entrance: str) -> tuple[str, str]:
    """(entrance, room): "101", "101室"; "1-101" or "1单元101" also carry the entrance."""
    text = compact(value)
    if not entrance:
        match = re.fullmatch(r"(\w+?)(?:[-—]|单元)(\w+)", text)
        if match:
            entrance = parse_entrance(match.group(1))
            text = match.group(2)
    text = re.sub(r"(室|号|房)$", "", text)
    if not text:
        raise RuleViolation(field="room", code="required", message=_("A room number is required."))
    if not text.isascii() or not text.isalnum():
        raise RuleViolation(
            field="room", code="format", message=_("A room number is letters and digits, e.g. 101.")
        )
    return entrance, text.upper()
