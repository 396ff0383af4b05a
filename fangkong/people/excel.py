"""Resident workbooks as community staff keep them: find the header row, read cells, write sheets.

Pure functions over cell values; nothing here touches the database, so the parsing rules are
tested on their own and shared by the import, the export and the template.

Column names and the words used in cells (户籍, 独居老人, …) are data, not interface text:
the importer must recognise 姓名 whatever language the uploader's browser is set to, so they
live in the tables below rather than in the gettext catalogue. Workbooks we write use the
Chinese names when the active language is Chinese, so an export reads like the roster it
came from.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from fangkong.core.documents import EARLIEST_BIRTH, DocumentType
from fangkong.core.errors import RuleViolation

from .models import Residency, ResidentStatus, Sex, Tag

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SEARCH_ROWS = 20
TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"


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


def compact(value: object) -> str:
    """NFKC (full-width to ASCII), no whitespace at all, case-folded: the form we compare."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value))).casefold()


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


_HEADER_FIELDS: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.zh, _column.en, _column.field, *_column.aliases):
        _HEADER_FIELDS.setdefault(header_key(_name), _column.field)
_register_words()


def field_for_header(value: object) -> str | None:
    return _HEADER_FIELDS.get(header_key(value)) if value is not None else None


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def wants_chinese() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


@dataclass(frozen=True)
class Header:
    row: int  # 1-based row number of the header row
    labels: tuple[str, ...]  # every header cell as written, up to the last non-empty one
    columns: dict[str, int]  # field → index of the first column with that header

    @property
    def chinese(self) -> bool:
        return any(is_chinese(label) for label in self.labels)

    def label(self, field: str) -> str:
        """The user's own name for a field's column, or our name when the file has none."""
        if field in self.columns:
            return self.labels[self.columns[field]]
        column = COLUMN_BY_FIELD.get(field)
        return column.label(self.chinese) if column else field


def find_header(rows: Iterable[Sequence[object]], *, first_row: int = 1) -> Header | None:
    """The first row naming at least three known columns, one of them the name."""
    for offset, row in enumerate(rows):
        columns: dict[str, int] = {}
        for index, value in enumerate(row):
            field = field_for_header(value)
            # The first column wins: a second 联系电话 is kept in the error workbook, unread.
            if field and field not in columns:
                columns[field] = index
        if "name" in columns and len(columns) >= 3:
            labels = [cell_text(v) for v in row]
            while labels and not labels[-1]:
                labels.pop()
            return Header(first_row + offset, tuple(labels), columns)
    return None


@dataclass
class Roster:
    sheet: str
    header: Header
    rows: Iterator[tuple[int, tuple]]  # (row number, cells padded to the header's width)


def _file_error(code: str, message) -> RuleViolation:
    return RuleViolation(field="file", code=code, message=message)


@contextmanager
def open_roster(source: BinaryIO | str) -> Iterator[Roster]:
    """Open a workbook and find its roster: the first sheet with a recognisable header row.

    Read-only and value-only: formulas (序号 = ROW()-2) give their last computed value, and
    rows are streamed, so a large file is never held in memory as cells.
    """
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception:  # openpyxl raises a dozen types for "not an xlsx"; all mean the same
        raise _file_error(
            "format",
            _(
                "This file is not an Excel workbook (.xlsx). Open it in Excel or WPS and "
                "save it as “Excel Workbook (*.xlsx)”."
            ),
        ) from None
    try:
        for sheet in workbook.worksheets:
            top = list(sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True))
            header = find_header(top)
            if header is None:
                continue
            missing = [f for f in REQUIRED_FIELDS if f not in header.columns]
            if missing:
                names = "、".join(COLUMN_BY_FIELD[f].label(header.chinese) for f in missing)
                raise _file_error(
                    "missing_columns",
                    _("Required columns are missing: %(columns)s.") % {"columns": names},
                )
            yield Roster(sheet.title, header, _data_rows(sheet, header))
            return
        raise _file_error(
            "no_header",
            _(
                "No header row found: the first 20 rows of each sheet were searched for "
                "column names such as 姓名, 身份证号码, 楼栋 and 房号."
            ),
        )
    finally:
        workbook.close()


def _data_rows(sheet, header: Header) -> Iterator[tuple[int, tuple]]:
    width = len(header.labels)
    rows = sheet.iter_rows(min_row=header.row + 1, max_col=width, values_only=True)
    for number, row in enumerate(rows, start=header.row + 1):
        cells = tuple(row)[:width]
        yield number, cells + (None,) * (width - len(cells))


_TOTALS = re.compile(r"^(合计|总计|小计|共计).*|^(grand)?totals?([:：].*)?$|^sum$")
_NOTE = re.compile(
    r"^(填表说明|说明|注意事项|注意|注|填表人|制表人|审核人|制表|填表|备注|notes?)[:：]"
)
_EXAMPLE = {"示例", "例", "样例", "举例", "example", "e.g.", "eg"}


def classify_row(cells: Sequence[object], header: Header) -> str:
    """What a row holds: a person ("data"), or "blank", "totals", "note" or "example"."""
    seq = header.columns.get("seq")
    # Rosters are often pre-numbered far below the last person: a row with only a number in
    # its 序号 is an empty line, not a person with everything missing.
    filled = [
        v for i, v in enumerate(cells) if cell_text(v) and not (i == seq and cell_text(v).isdigit())
    ]
    if not filled:
        return "blank"
    first = {compact(cells[0])}
    for field in ("seq", "name"):
        if field in header.columns:
            first.add(compact(cells[header.columns[field]]))
    if any(_TOTALS.match(text) for text in first if text):
        return "totals"
    if seq is not None and compact(cells[seq]) in _EXAMPLE:
        return "example"
    if len(filled) == 1 and _NOTE.match(compact(filled[0])):
        return "note"
    return "data"


# --- cells → values ---------------------------------------------------------------------------


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


# --- writing ----------------------------------------------------------------------------------


def _cell(sheet, value: object, *, text: bool = False, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        # Cells hold what people typed, never formulas: "=HYPERLINK(…)" in a name stays text.
        cell.data_type = "s"
    if isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    elif text:
        cell.number_format = TEXT_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_sheet(
    output: BinaryIO | str,
    *,
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    title: str | None = None,
    text_columns: Collection[int] = (),
    widths: Sequence[float] | None = None,
) -> int:
    """Stream rows into a one-sheet workbook (openpyxl write-only); returns the data row count.

    `text_columns` are formatted as text ("@") so Excel never turns an ID number into a
    number with its last digits lost.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    for index, width in enumerate(widths or ()):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A3" if title else "A2"
    if title:
        sheet.append([_cell(sheet, title, bold=True)])
    sheet.append([_cell(sheet, h, bold=True) for h in headers])
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, v, text=i in text_columns) for i, v in enumerate(row)])
        count += 1
    workbook.save(output)
    return count


def template_workbook() -> bytes:
    """An empty roster to fill in: title, note, Chinese headers, one example row.

    Its contents are Chinese whatever the interface language: the headers are what the
    importer reads, and the note explains them to the staff who fill it in.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "居民花名册"
    columns = [COLUMN_BY_FIELD[f] for f in TEMPLATE_FIELDS]
    last = get_column_letter(len(columns))
    sheet["A1"] = "XX社区居民花名册"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last}1")
    sheet["A2"] = (
        "说明：1. 从第4行起每行填一人，序号为“示例”的行导入时跳过，可删除；"
        "2. 身份证号码、联系电话两列已设为文本格式，请勿改成数字格式，否则号码末几位会丢失；"
        "证件类型留空即居民身份证；"
        "3. 小区、楼栋（如“3号楼”或“3”）、单元、房号须与系统中的地址一致，"
        "楼栋已有而房号没有时导入会新建该户；没有小区的村或楼可在小区列填社区（村）名；"
        "4. 人员类别填“户籍”“常住”或“流动”；"
        "5. 出生日期可写 1990-01-01、1990/1/1、1990年1月1日 或 19900101；"
        "6. 标签可填多个，用顿号分隔：" + "、".join(TAG_ZH.values()) + "。"
    )
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(f"A2:{last}2")
    sheet.row_dimensions[2].height = 90
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=3, column=index, value=column.zh)
        cell.font = Font(bold=True)
    example = {
        "seq": "示例",
        "name": "李梅",
        "sex": "女",
        "document_type": "居民身份证",
        "document_number": "11010519491231002X",  # the example number of GB 11643
        "phone": "13800000000",
        "compound": "幸福家园",
        "building": "3号楼",
        "entrance": "1",
        "room": "101",
        "residency": "户籍",
        "birth_date": dt.date(1949, 12, 31),
        "tags": "独居老人、外出就医",
        "note": "",
    }
    text_fields = {"document_number", "phone", "entrance", "room"}
    widths = {"document_number": 22, "phone": 15, "compound": 14, "tags": 20, "note": 16}
    for index, field in enumerate(TEMPLATE_FIELDS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(field, 10)
        if field in text_fields:
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
            for row in range(4, 1004):
                sheet.cell(row=row, column=index).number_format = TEXT_FORMAT
        cell = sheet.cell(row=4, column=index, value=example[field] or None)
        if field == "birth_date":
            cell.number_format = DATE_FORMAT
    for field, choices in (
        ("sex", "男,女"),
        ("residency", "户籍,常住,流动"),
        ("document_type", ",".join(DOCUMENT_TYPE_ZH.values())),
    ):
        letter = get_column_letter(TEMPLATE_FIELDS.index(field) + 1)
        validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        validation.add(f"{letter}4:{letter}1003")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A4"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
