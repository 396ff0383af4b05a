"""Writing resident workbooks: a sheet of text cells that never hold formulas, and the blank
template with its drop-down lists.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Collection, Iterable, Sequence
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .excel_columns import (
    COLUMN_BY_FIELD,
    DOCUMENT_TYPE_ZH,
    TAG_ZH,
    TEMPLATE_FIELDS,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"


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
