"""Resident workbooks as community staff keep them: open the workbook, find the header row and
tell data rows from totals, notes and examples.

Pure functions over cell values; nothing here touches the database, so the parsing rules are
tested on their own and shared by the import, the export and the template. The columns and
words live in `excel_columns`, reading cells in `excel_cells`, writing in `excel_write`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from fangkong.core.errors import RuleViolation

from .excel_columns import (
    COLUMN_BY_FIELD,
    REQUIRED_FIELDS,
    cell_text,
    compact,
    header_rank,
    is_chinese,
)

HEADER_SEARCH_ROWS = 20


# Recognised columns the import does not write anywhere: reported, never silently dropped.
UNUSED_FIELDS = frozenset({"grid", "status"})


@dataclass(frozen=True)
class IgnoredColumn:
    """A column whose cells the import does not read, and why (`unknown`, `duplicate`,
    `not_used`, `no_header`); `field` is the field a duplicate or unused header names."""

    label: str
    code: str
    field: str = ""
    read: str = ""  # for a duplicate: the header of the column read instead


@dataclass(frozen=True)
class Header:
    row: int  # 1-based row number of the header row
    labels: tuple[str, ...]  # every header cell as written, up to the last non-empty one
    columns: dict[str, int]  # field → index of the column read for it
    ignored: tuple[IgnoredColumn, ...] = ()

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
    """The first row naming at least three known columns, one of them the name.

    When two headers name one field, the one that names it more exactly is read (姓名 before
    名字) and the other is reported; only two identical headers fall back to the leftmost. So a
    copy with its columns in another order reads the same cells.
    """
    for offset, row in enumerate(rows):
        ranked: dict[str, list[tuple[int, int]]] = {}
        for index, value in enumerate(row):
            found = header_rank(value)
            if found:
                ranked.setdefault(found[0], []).append((found[1], index))
        if "name" not in ranked or len(ranked) < 3:
            continue
        labels = [cell_text(v) for v in row]
        while labels and not labels[-1]:
            labels.pop()
        columns, ignored = {}, []
        for name, candidates in ranked.items():
            first, *others = sorted(candidates)
            columns[name] = first[1]
            ignored += [
                IgnoredColumn(labels[i], "duplicate", name, labels[first[1]]) for _rank, i in others
            ]
            if name in UNUSED_FIELDS:
                ignored.append(IgnoredColumn(labels[first[1]], "not_used", name))
        known = {i for candidates in ranked.values() for _rank, i in candidates}
        ignored += [
            IgnoredColumn(label, "unknown")
            for i, label in enumerate(labels)
            if label and i not in known
        ]
        ignored.sort(key=lambda c: (c.label, c.code, c.field))
        return Header(first_row + offset, tuple(labels), columns, tuple(ignored))
    return None


@dataclass
class Roster:
    sheet: str
    header: Header
    rows: Iterator[tuple[int, tuple]]  # (row number, cells padded to the header's width)
    # Columns without a header that hold data (0-based), filled in as the rows are read.
    stray: set[int] = field(default_factory=set)


def _file_error(code: str, message) -> RuleViolation:
    return RuleViolation(field="file", code=code, message=message)


def _not_a_roster() -> RuleViolation:
    return _file_error(
        "format",
        _(
            "This file is neither an Excel workbook (.xlsx) nor a CSV file. Open it in Excel "
            "or WPS and save it as “Excel Workbook (*.xlsx)”."
        ),
    )


def _check_columns(header: Header) -> None:
    missing = [f for f in REQUIRED_FIELDS if f not in header.columns]
    if missing:
        names = "、".join(COLUMN_BY_FIELD[f].label(header.chinese) for f in missing)
        raise _file_error(
            "missing_columns",
            _("Required columns are missing: %(columns)s.") % {"columns": names},
        )


def _no_header() -> RuleViolation:
    return _file_error(
        "no_header",
        _(
            "No header row found: the first 20 rows of each sheet were searched for "
            "column names such as 姓名, 身份证号码, 楼栋 and 房号."
        ),
    )


def decode_text(content: bytes) -> str:
    """A CSV's text: UTF-8 (with or without the BOM Excel writes) or GBK, as Chinese Excel and
    WPS save it; GB 18030 is read as the superset of GBK."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise _not_a_roster() from None


def _csv_rows(content: bytes) -> list[list[object]]:
    text = decode_text(content)
    # The header row, not a title above it, says how the cells are separated.
    top = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    delimiter = max((",", "\t", ";"), key=top.count)
    if not top.count(delimiter):
        raise _not_a_roster()
    return [
        [cell if cell.strip() else None for cell in row]
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    ]


@contextmanager
def open_roster(source: BinaryIO) -> Iterator[Roster]:
    """Open a workbook or a CSV file and find its roster: the first sheet with a recognisable
    header row.

    A workbook is read read-only and value-only: formulas (序号 = ROW()-2) give their last
    computed value, and rows are streamed, so a large file is never held in memory as cells.
    """
    if source.read(4) != b"PK\x03\x04":  # every .xlsx is a zip file
        source.seek(0)
        rows = _csv_rows(source.read())
        header = find_header(rows[:HEADER_SEARCH_ROWS])
        if header is None:
            raise _no_header()
        _check_columns(header)
        roster = Roster("csv", header, iter(()))
        roster.rows = _data_rows(iter(rows[header.row :]), header, roster.stray)
        yield roster
        return
    source.seek(0)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception:  # openpyxl raises a dozen types for "not an xlsx"; all mean the same
        raise _not_a_roster() from None
    try:
        for sheet in workbook.worksheets:
            top = list(sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True))
            header = find_header(top)
            if header is None:
                continue
            _check_columns(header)
            roster = Roster(sheet.title, header, iter(()))
            rows = sheet.iter_rows(min_row=header.row + 1, values_only=True)
            roster.rows = _data_rows(rows, header, roster.stray)
            yield roster
            return
        raise _no_header()
    finally:
        workbook.close()


def _data_rows(rows: Iterator, header: Header, stray: set[int]) -> Iterator[tuple[int, tuple]]:
    width = len(header.labels)
    unnamed = {i for i, label in enumerate(header.labels) if not label}
    for number, row in enumerate(rows, start=header.row + 1):
        cells = tuple(row)
        for i in [*unnamed, *range(width, len(cells))]:
            if i < len(cells) and i not in stray and cell_text(cells[i]):
                stray.add(i)
        cells = cells[:width]
        yield number, cells + (None,) * (width - len(cells))


_TOTALS = re.compile(r"^(合计|总计|小计|共计).*|^(grand)?totals?([:：].*)?$|^sum$")
_NOTE = re.compile(
    r"^(填表说明|说明|注意事项|注意|注|填表人|制表人|审核人|制表|填表|备注|notes?)[:：]"
)
_EXAMPLE = {"示例", "例", "样例", "举例", "example", "e.g.", "eg"}


def classify_row(cells: Sequence[object], header: Header) -> str:
    """What a row holds: a person ("data"), or "blank", "totals", "note" or "example".

    Decided from the cells' contents, not their position, so the order of the columns does
    not change what a row is.
    """
    seq = header.columns.get("seq")
    # Rosters are often pre-numbered far below the last person: a row with only a number in
    # its 序号 is an empty line, not a person with everything missing.
    filled = [
        v for i, v in enumerate(cells) if cell_text(v) and not (i == seq and cell_text(v).isdigit())
    ]
    if not filled:
        return "blank"
    document = header.columns.get("document_number")
    # A totals line never carries an ID number; whichever column its 合计 stands in.
    if (document is None or not cell_text(cells[document])) and any(
        _TOTALS.match(compact(v)) for v in filled
    ):
        return "totals"
    if seq is not None and compact(cells[seq]) in _EXAMPLE:
        return "example"
    if len(filled) == 1 and _NOTE.match(compact(filled[0])):
        return "note"
    return "data"
