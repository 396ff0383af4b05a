"""Resident workbooks as community staff keep them: open the workbook, find the header row and
tell data rows from totals, notes and examples.

Pure functions over cell values; nothing here touches the database, so the parsing rules are
tested on their own and shared by the import, the export and the template. The columns and
words live in `excel_columns`, reading cells in `excel_cells`, writing in `excel_write`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from fangkong.core.errors import RuleViolation

from .excel_columns import (
    COLUMN_BY_FIELD,
    REQUIRED_FIELDS,
    cell_text,
    compact,
    field_for_header,
    is_chinese,
)

HEADER_SEARCH_ROWS = 20


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
