"""Results from a CSV or Excel file: the header row is found by its column names (in
Chinese or English), every row under it is read with the rules of `cells`."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from fangkong.core.errors import RuleViolation

from .cells import cell_text, read_row
from .fhir import parse_bundle
from .rows import HEADER_SEARCH_ROWS, MAX_FILE_BYTES, MAX_ROWS, Parsed, file_error

# ---------------------------------------------------------------------------------------------
# CSV and Excel


def _header_key(value: Any) -> str:
    text = cell_text(value).lower() if value is not None else ""
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", text)
    return re.sub(r"[\s_\-*:：·.]|值", "", text)


HEADER_ALIASES = {
    "tube_barcode": (
        "管号",
        "样本编号",
        "样本号",
        "样本条码",
        "试管编号",
        "试管号",
        "采样管编号",
        "采样管号",
        "条码",
        "条码号",
        "条形码",
        "tube_barcode",
        "tube barcode",
        "barcode",
        "tube",
        "sample id",
        "specimen id",
    ),
    "result": ("结果", "检测结果", "核酸结果", "核酸检测结果", "result", "test result"),
    "ct_orf1ab": (
        "ORF1ab Ct",
        "ORF1ab",
        "ct_orf1ab",
        "ORF1ab基因Ct值",
        "ORF1ab基因",
        "ORF1ab Ct值",
    ),
    "ct_n": ("N Ct", "N", "ct_n", "N基因Ct值", "N基因", "N Ct值"),
    "reported_at": (
        "报告时间",
        "报告日期",
        "结果时间",
        "reported_at",
        "reported at",
        "report time",
        "reported",
    ),
}
HEADERS = {_header_key(alias): f for f, aliases in HEADER_ALIASES.items() for alias in aliases}


def _find_header(rows: Iterator[tuple[int, Sequence[Any]]]) -> dict[int, str]:
    """Columns by field, from the first row naming a barcode and a result column."""
    for number, cells in rows:
        columns: dict[int, str] = {}
        for position, cell in enumerate(cells):
            found = HEADERS.get(_header_key(cell)) if cell is not None else None
            if found and found not in columns.values():
                columns[position] = found
        if {"tube_barcode", "result"} <= set(columns.values()):
            return columns
        if number >= HEADER_SEARCH_ROWS:
            break
    raise file_error(
        "columns",
        _(
            "No header row found: the first rows need a tube barcode column (管号, 样本编号 or "
            "tube_barcode) and a result column (结果 or result); ORF1ab Ct, N Ct and 报告时间 "
            "(reported_at) are optional."
        ),
    )


def _read_table(source: str, rows: Iterable[tuple[int, Sequence[Any]]]) -> Parsed:
    iterator = iter(rows)
    columns = _find_header(iterator)
    parsed = Parsed(source=source, unit="row")
    for number, cells in iterator:
        values = {
            f: cells[position] if position < len(cells) else None for position, f in columns.items()
        }
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        if len(parsed.rows) >= MAX_ROWS:
            raise file_error(
                "too_many",
                _("A file holds at most %(n)s results; split it.") % {"n": MAX_ROWS},
            )
        parsed.rows.append(read_row(number, values))
    if not parsed.rows:
        raise file_error("empty", _("The file has a header row but no results under it."))
    return parsed


def _decode(content: bytes) -> str:
    # Excel on Chinese Windows saves CSV as GBK; everything else sends UTF-8, often with a BOM.
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            raise file_error("encoding", _("The CSV file is neither UTF-8 nor GBK text.")) from None


def parse_csv(content: bytes) -> Parsed:
    text = _decode(content)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return _read_table("csv", enumerate(reader, start=1))
    except csv.Error as exc:
        raise file_error("format", _("The CSV file cannot be read: %(e)s") % {"e": exc}) from None


def parse_xlsx(content: bytes) -> Parsed:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise file_error(
            "format", _("The file is not an Excel workbook (.xlsx) that can be opened.")
        ) from None
    try:
        error = None
        for sheet in book.worksheets:
            try:
                return _read_table("xlsx", enumerate(sheet.iter_rows(values_only=True), start=1))
            except RuleViolation as exc:
                if exc.code != "columns":
                    raise
                error = error or exc
        raise error or file_error("empty", _("The workbook has no sheets."))
    finally:
        book.close()


def parse_upload(name: str, content: bytes) -> Parsed:
    """Pick the parser by the file's first bytes and name: xlsx, FHIR JSON, or CSV."""
    if len(content) > MAX_FILE_BYTES:
        raise file_error("too_large", _("The file is larger than 10 MB; split it."))
    if not content.strip():
        raise file_error("empty", _("The file is empty."))
    lower = (name or "").lower()
    if content.startswith(b"\xd0\xcf\x11\xe0") or lower.endswith(".xls"):
        raise file_error(
            "xls", _("Old .xls workbooks are not read: save the file as .xlsx or CSV.")
        )
    if content.startswith(b"PK\x03\x04") or lower.endswith((".xlsx", ".xlsm")):
        return parse_xlsx(content)
    if lower.endswith(".json") or content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return parse_bundle(content)
    return parse_csv(content)
