"""A roster's rows as the import reads them, and the rows it refuses: each with its reason, and
all of them in an error workbook the user can fix and upload again.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation

from . import excel, excel_columns, excel_write

ADDRESS_FIELDS = ("compound", "building", "entrance", "room")


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported: the row, the column as the user named it, the rule."""

    row: int
    field: str
    column: str
    code: str
    message: str

    @property
    def reason(self) -> str:
        return f"{self.column}: {self.message}"


@dataclass
class RosterRow:
    number: int
    cells: tuple
    values: dict[str, object]  # field → raw cell


def column_note(column: excel.IgnoredColumn) -> str:
    """Why the import did not read a column, in the user's language."""
    if column.code == "duplicate":
        message = _("Another column for the same thing; the import read “%(read)s”.") % {
            "read": column.read
        }
    elif column.code == "not_used" and column.field == "grid":
        message = _("The grid follows from the address; this column is not imported.")
    elif column.code == "not_used":
        message = _(
            "Not imported: record a move or a death on the resident's page, where it is audited."
        )
    elif column.code == "no_header":
        message = _("This column has data but no header; it was not imported.")
    else:
        message = _("Not a column the import knows; it was not imported.")
    return force_str(message)


def row_error(row: RosterRow, exc: RuleViolation, header: excel.Header) -> RowError:
    if exc.field == "household":
        column = "/".join(header.label(f) for f in ADDRESS_FIELDS if f in header.columns)
    else:
        column = header.label(exc.field)
    return RowError(
        row=row.number,
        field=exc.field,
        column=column,
        code=exc.code,
        message=force_str(exc.message),
    )


def error_workbook(header: excel.Header, rejected: list[tuple[RosterRow, list[RowError]]]) -> bytes:
    """The rejected rows as the user wrote them, plus the row's number in the source file and
    every reason it was refused, ready to fix and re-upload.

    ID and phone cells are written back as text, whatever type they were read as, so a fixed
    copy never turns them into numbers that lose digits.
    """
    headers = list(header.labels)
    chinese = header.chinese
    extra = {}
    for field in ("source_row", "reason"):  # a re-uploaded error workbook keeps its own two
        extra[field] = header.columns.get(field)
        if extra[field] is None:
            extra[field] = len(headers)
            headers.append(excel_columns.COLUMN_BY_FIELD[field].label(chinese))
    text = {header.columns[f] for f in ("document_number", "phone") if f in header.columns}
    separator = "；" if chinese else "; "

    def rows() -> Iterator[list]:
        for row, errors in rejected:
            cells = list(row.cells) + [None] * (len(headers) - len(row.cells))
            for i in text:
                cells[i] = excel_columns.cell_text(cells[i]) or None
            cells[extra["source_row"]] = row.number
            cells[extra["reason"]] = separator.join(e.reason for e in errors)
            yield cells

    buffer = io.BytesIO()
    excel_write.write_sheet(
        buffer,
        sheet_title=force_str(_("Rejected rows")),
        headers=headers,
        rows=rows(),
        text_columns=text,
        widths=[22 if i in text else 12 for i in range(len(headers) - 1)] + [60],
    )
    return buffer.getvalue()
