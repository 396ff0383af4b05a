"""The columns of a resident workbook we recognise, and the words we write in its cells.

Column names and cell words (户籍, 独居老人, …) are data, not interface text: the importer must
recognise 姓名 whatever language the uploader's browser is set to, so they live in the tables
below rather than in the gettext catalogue. Workbooks we write use the Chinese names when the
active language is Chinese, so an export reads like the roster it came from.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import get_language

from fangkong.core.documents import DocumentType

from .models import Residency, ResidentStatus, Sex, Tag


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    def label(self, chinese: bool) -> str:
        return self.zh if chinese else self.en


# Every header we recognise, by the field it fills. Aliases are compared after `header_key`,
# so case, spaces, "*" required marks and "(…)" remarks do not matter.
COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", "No.", ("编号", "no", "number")),
    Column("name", "姓名", "Name", ("名字", "fullname")),
    Column("sex", "性别", "Sex", ("gender",)),
    Column("document_type", "证件类型", "Document type", ("证件种类", "idtype")),
    Column(
        "document_number",
        "身份证号码",
        "ID number",
        (
            "身份证号",
            "身份证",
            "公民身份号码",
            "证件号码",
            "证件号",
            "idno",
            "documentnumber",
            "document",
        ),
    ),
    Column(
        "phone",
        "联系电话",
        "Phone",
        (
            "联系方式",
            "电话",
            "电话号码",
            "手机",
            "手机号",
            "手机号码",
            "mobile",
            "tel",
            "telephone",
        ),
    ),
    Column("grid", "网格", "Grid", ("所属网格",)),
    Column("compound", "小区", "Compound", ("小区名称", "所在小区", "院落", "estate")),
    Column("building", "楼栋", "Building", ("楼号", "楼栋号", "栋", "楼", "bldg")),
    Column("entrance", "单元", "Entrance", ("单元号", "unit")),
    Column("room", "房号", "Room", ("房间号", "门牌号", "室")),
    Column(
        "residency",
        "人员类别",
        "Residency",
        ("人口类别", "人员类型", "人口类型", "居住类型", "category"),
    ),
    Column("birth_date", "出生日期", "Birth date", ("出生年月日", "生日", "dateofbirth", "dob")),
    Column(
        "tags",
        "标签",
        "Tags",
        ("特殊人群", "重点人群", "特殊人群类别", "tag", "specialneeds"),
    ),
    Column("status", "状态", "Status", ("居住状态",)),
    Column("note", "备注", "Note", ("notes", "remarks")),
    Column("reason", "错误原因", "Reason", ("原因", "error")),
    # Written by our own error workbook: the row's number in the file it first came from, so a
    # corrected re-upload reports the same row numbers as the first import did.
    Column("source_row", "原行号", "Source row", ("源行号", "sourcerow")),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED_FIELDS = ("name", "document_number", "building", "room")
# The template's columns, in the order most rosters use.
TEMPLATE_FIELDS = (
    "seq",
    "name",
    "sex",
    "document_type",
    "document_number",
    "phone",
    "compound",
    "building",
    "entrance",
    "room",
    "residency",
    "birth_date",
    "tags",
    "note",
)

SEX_ZH = {Sex.MALE: "男", Sex.FEMALE: "女"}
RESIDENCY_ZH = {Residency.REGISTERED: "户籍", Residency.FLOATING: "流动", Residency.VISITOR: "访客"}
STATUS_ZH = {
    ResidentStatus.ACTIVE: "在住",
    ResidentStatus.MOVED_OUT: "已迁出",
    ResidentStatus.DECEASED: "已故",
}
TAG_ZH = {
    Tag.ELDERLY_ALONE: "独居老人",
    Tag.MEDICAL_TRIPS: "外出就医",
    Tag.DISABLED: "残疾",
    Tag.PREGNANT: "孕妇",
    Tag.INFANT: "婴幼儿",
    Tag.STUDENT: "学生",
    Tag.CHRONIC_ILLNESS: "慢性病",
    Tag.BEDRIDDEN: "长期卧床",
}
DOCUMENT_TYPE_ZH = {
    DocumentType.RESIDENT_ID: "居民身份证",
    DocumentType.PASSPORT: "护照",
    DocumentType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    DocumentType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    DocumentType.FOREIGN_PR_ID: "外国人永久居留身份证",
}


def compact(value: object) -> str:
    """NFKC (full-width to ASCII), no whitespace at all, case-folded: the form we compare."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value))).casefold()


def cell_text(value: object) -> str:
    """A cell as the text a person sees: 101.0 → "101", a date → "1990-01-01", None → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def header_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", cell_text(value))
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)  # "联系电话(手机)" → "联系电话"
    return re.sub(r"[\s*:._\-#/]", "", text).casefold()


# header key → (field, rank): the lower the rank, the more exactly the header names the field.
_HEADER_FIELDS: dict[str, tuple[str, int]] = {}
for _column in COLUMNS:
    for _rank, _name in enumerate((_column.zh, _column.en, _column.field, *_column.aliases)):
        _HEADER_FIELDS.setdefault(header_key(_name), (_column.field, _rank))


def field_for_header(value: object) -> str | None:
    found = header_rank(value)
    return found[0] if found else None


def header_rank(value: object) -> tuple[str, int] | None:
    """The field a header names and how exactly (0 = our own name for it)."""
    return _HEADER_FIELDS.get(header_key(value)) if value is not None else None


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def wants_chinese() -> bool:
    return (get_language() or "zh-hans").startswith("zh")
