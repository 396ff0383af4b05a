"""Lab results in: a JSON list, a CSV or Excel file, or an HL7 FHIR R4 Bundle.

Each parser turns what a lab sends into `ResultIn` rows plus a reason for every row it cannot
read (the row or entry, the field, the rule). `submit_results` hands the readable rows to
`services.results.record_results`, which owns every result rule (unknown or not-received
tubes, Ct ranges, conflicting second results held for review), and answers every row.

Barcodes are checked here before anything reaches the database: a barcode that went through
Excel as a number, or whose check digit does not match, is refused with an explanation. That
is the "manual barcode entry at the lab creating duplicates" failure: a typed barcode must
never become a result for some other tube.

Column names and cell words (管号, 阴性, …) are data, not interface text: the parser must read
结果 whatever the uploader's language is, so they live in the tables below.

The FHIR R4 Bundle mapping (codes read, results they map to) is in `ingest_fhir`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation

from .models import BoxState, Lab, Result, Tube
from .services.results import ResultIn, record_results
from .services.rounds import valid_barcode

MAX_ROWS = 5000
MAX_FILE_BYTES = 10 * 1024 * 1024
HEADER_SEARCH_ROWS = 10
BARCODE_LENGTH = 12


# ---------------------------------------------------------------------------------------------
# Rows and answers


@dataclass(frozen=True)
class RowError:
    field: str
    code: str
    message: str


@dataclass
class ParsedRow:
    """One row, item or entry: a readable result, or why it could not be read."""

    row: int
    tube_barcode: str = ""
    item: ResultIn | None = None
    error: RowError | None = None


@dataclass
class Parsed:
    source: str  # api | csv | xlsx | fhir: stored on each LabResult
    unit: str  # row (sheet row, header included, from 1) | item | entry (from 0)
    rows: list[ParsedRow] = field(default_factory=list)
    ignored: int = 0  # FHIR entries answered by no row of their own (Specimen, Patient, …)


@dataclass
class RowOutcome:
    row: int
    tube_barcode: str
    status: str  # accepted | unchanged | held_for_review | rejected
    retest_orders: int = 0
    field: str | None = None
    code: str | None = None
    message: str | None = None


@dataclass
class IngestReport:
    source: str
    unit: str
    accepted: int = 0
    unchanged: int = 0
    held: int = 0
    rejected: int = 0
    ignored: int = 0
    rows: list[RowOutcome] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def row_error(field_: str, code: str, message) -> RowError:
    return RowError(field=field_, code=code, message=force_str(message))


def file_error(code: str, message, field_: str = "file") -> RuleViolation:
    return RuleViolation(field=field_, code=code, message=message)


# ---------------------------------------------------------------------------------------------
# Cell values


def cell_text(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


_SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d*)?[eE][+-]?\d+")
_DECIMAL = re.compile(r"\d+\.\d*")


def clean_barcode(value: Any, field_: str = "tube_barcode") -> str:
    """The 12-digit tube barcode in `value`, or RuleViolation saying what went wrong."""
    if isinstance(value, bool) or value is None:
        raise RuleViolation(
            field=field_, code="required", message=_("The tube barcode is missing.")
        )
    if isinstance(value, float):
        raise RuleViolation(
            field=field_,
            code="number_cell",
            message=_(
                "The barcode arrived as the number %(value)s: Excel turns a column of long "
                "numbers into numbers and loses digits. Format the barcode column as Text and "
                "paste or scan the barcodes again."
            )
            % {"value": repr(value)},
        )
    if isinstance(value, int) and len(str(abs(value))) < BARCODE_LENGTH:
        raise RuleViolation(
            field=field_,
            code="number_cell",
            message=_(
                "The barcode arrived as the number %(value)s, so its leading zeros were "
                "dropped. Format the barcode column as Text and paste or scan the barcodes again."
            )
            % {"value": value},
        )
    text = re.sub(r"[\s\-]", "", cell_text(value))
    if not text:
        raise RuleViolation(
            field=field_, code="required", message=_("The tube barcode is missing.")
        )
    if _SCIENTIFIC.fullmatch(text) or _DECIMAL.fullmatch(text):
        raise RuleViolation(
            field=field_,
            code="number_cell",
            message=_(
                "The barcode %(value)s was turned into a number by Excel and its digits are "
                "lost. Format the barcode column as Text and paste or scan the barcodes again."
            )
            % {"value": text},
        )
    if not text.isdigit() or len(text) != BARCODE_LENGTH:
        raise RuleViolation(
            field=field_,
            code="format",
            message=_(
                "A tube barcode has 12 digits; %(value)s does not. If the file went through "
                "Excel, it may have dropped leading zeros: format the column as Text."
            )
            % {"value": text},
        )
    if not valid_barcode(text):
        raise RuleViolation(
            field=field_,
            code="check_digit",
            message=_(
                "Mistyped barcode: the check digit of %(value)s does not match. Scan the tube "
                "or copy the number from its label."
            )
            % {"value": text},
        )
    return text


def _word_key(value: str) -> str:
    return re.sub(r"[\s_\-]", "", cell_text(value).lower())


RESULT_WORDS = {
    _word_key(word): result
    for result, words in {
        Result.NEGATIVE: ("阴性", "negative", "neg"),
        Result.POSITIVE: ("阳性", "positive", "pos"),
        Result.PRESUMPTIVE_POSITIVE: (
            "疑似阳性",
            "初筛阳性",
            "presumptive_positive",
            "presumptive positive",
        ),
        Result.INVALID: ("无效", "检测无效", "invalid"),
    }.items()
    for word in words
}


def clean_result(value: Any) -> str:
    if value is None or not cell_text(value):
        raise RuleViolation(field="result", code="required", message=_("The result is missing."))
    result = RESULT_WORDS.get(_word_key(str(value)))
    if result is None:
        raise RuleViolation(
            field="result",
            code="choice",
            message=_(
                "Unknown result %(value)s: write 阴性, 阳性, 疑似阳性 (初筛阳性) or 无效 — or "
                "negative, positive, presumptive_positive or invalid."
            )
            % {"value": cell_text(value)},
        )
    return result.value


# What qPCR software writes for a target that did not amplify.
NO_CT = {_word_key(w) for w in ("-", "—", "/", "n/a", "na", "undetermined", "undet", "no ct")}
NO_CT |= {"noamp", "未检出", "无"}


def clean_ct(value: Any) -> Any:
    """None for "no amplification"; otherwise the value for `record_results` to check."""
    if value is None or isinstance(value, bool):
        return None
    text = cell_text(value)
    if not text or _word_key(text) in NO_CT:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text  # record_results refuses it, naming the field
    if not number.is_finite():
        return "not a number"  # NaN and infinities are refused the same way, not compared
    return number


_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?\s*")


def clean_reported_at(value: Any) -> dt.datetime | None:
    """An aware datetime; a time without an offset is in the configured zone (Asia/Shanghai)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime.combine(value, dt.time())
    else:
        text = _CHINESE_DATE.sub(r"\1-\2-\3 ", cell_text(value)).strip().replace("/", "-")
        text = re.sub(r"^(\d{4})-(\d)(?=\D)", r"\1-0\2", text)
        text = re.sub(r"^(\d{4}-\d{2})-(\d)(?=\D|$)", r"\1-0\2", text)
        try:
            when = parse_datetime(text)
        except ValueError:
            when = None
        if when is None:
            raise RuleViolation(
                field="reported_at",
                code="format",
                message=_(
                    "Unreadable report time %(value)s: write it as 2022-06-13 10:30 or in ISO 8601."
                )
                % {"value": cell_text(value)},
            )
    if timezone.is_naive(when):
        when = timezone.make_aware(when, timezone.get_current_timezone())
    return when


def read_row(row: int, values: dict[str, Any]) -> ParsedRow:
    """Turn one row's raw values (by field) into a ResultIn, or say which field is wrong."""
    parsed = ParsedRow(row=row, tube_barcode=cell_text(values.get("tube_barcode") or ""))
    try:
        barcode = clean_barcode(values.get("tube_barcode"))
        parsed.tube_barcode = barcode
        parsed.item = ResultIn(
            tube_barcode=barcode,
            result=clean_result(values.get("result")),
            ct_orf1ab=clean_ct(values.get("ct_orf1ab")),
            ct_n=clean_ct(values.get("ct_n")),
            reported_at=clean_reported_at(values.get("reported_at")),
        )
    except RuleViolation as exc:
        parsed.item = None
        parsed.error = row_error(exc.field, exc.code, exc.message)
    return parsed


# ---------------------------------------------------------------------------------------------
# JSON items (the API)

FIELDS = ("tube_barcode", "result", "ct_orf1ab", "ct_n", "reported_at")


def parse_items(items: Sequence[Any]) -> Parsed:
    """A JSON list of {tube_barcode, result, ct_orf1ab, ct_n, reported_at}; numbered from 0."""
    if len(items) > MAX_ROWS:
        raise file_error(
            "too_many", _("Send at most %(n)s results at a time.") % {"n": MAX_ROWS}, "results"
        )
    parsed = Parsed(source="api", unit="item")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            parsed.rows.append(
                ParsedRow(
                    row=index,
                    error=row_error("item", "type", _("Each result is a JSON object.")),
                )
            )
            continue
        parsed.rows.append(read_row(index, {f: item.get(f) for f in FIELDS}))
    return parsed


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
    from openpyxl import load_workbook

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
        return parse_fhir(content)
    return parse_csv(content)


def parse_fhir(data: bytes | str | dict) -> Parsed:
    """Results from an HL7 FHIR R4 Bundle, one row per result Observation (see ingest_fhir)."""
    from .ingest_fhir import parse_bundle

    return parse_bundle(data)


# ---------------------------------------------------------------------------------------------
# Submitting


def check_custody(*, lab: Lab, barcodes: Iterable[str], actor) -> None:
    """A lab reports only tubes of boxes it received: a tube another lab received is refused
    (403, audited) for the whole request, because that is someone else's specimen."""
    foreign = (
        Tube.objects.filter(barcode__in=set(barcodes), box__state=BoxState.RECEIVED)
        .exclude(box__lab=lab)
        .values_list("barcode", "area_code")
        .order_by("barcode")
        .first()
    )
    if foreign is None:
        return
    barcode, area_code = foreign
    try:
        deny(
            actor=actor,
            action="record_results",
            area_code=area_code,
            object_type="tube",
            object_id=barcode,
        )
    except PermissionDeniedError as exc:
        refusal = PermissionDeniedError(
            field="tube_barcode",
            code="other_lab",
            message=_(
                "Tube %(barcode)s is in a box another laboratory received: your laboratory "
                "cannot report it. Nothing in this request was recorded."
            )
            % {"barcode": barcode},
        )
        refusal.audited = True  # deny() wrote its row; the edge must not write a second
        raise refusal from exc


def authorise_submission(*, lab: Lab, parsed: Parsed, actor) -> None:
    """Refuse (403, audited) an actor who may not report results, or rows of another lab's
    tubes. Call it before opening a transaction too: a refusal inside one would roll its
    audit entry back with everything else."""
    require_permission(actor=actor, action="record_results", object_type="lab", object_id=lab.pk)
    check_custody(
        lab=lab, barcodes=[r.item.tube_barcode for r in parsed.rows if r.item], actor=actor
    )


def submit_results(
    *, lab: Lab, parsed: Parsed, actor, now: dt.datetime | None = None
) -> IngestReport:
    """Record every readable row through `record_results` and answer every row in order."""
    authorise_submission(lab=lab, parsed=parsed, actor=actor)
    readable = [r for r in parsed.rows if r.item is not None]
    outcomes = {}
    if readable:
        batch = record_results(
            lab=lab, items=[r.item for r in readable], actor=actor, source=parsed.source, now=now
        )
        outcomes = {id(row): outcome for row, outcome in zip(readable, batch.items, strict=True)}
    report = IngestReport(source=parsed.source, unit=parsed.unit, ignored=parsed.ignored)
    for row in parsed.rows:
        if row.error is not None:
            out = RowOutcome(
                row=row.row,
                tube_barcode=row.tube_barcode,
                status="rejected",
                field=row.error.field,
                code=row.error.code,
                message=row.error.message,
            )
        else:
            o = outcomes[id(row)]
            out = RowOutcome(
                row=row.row,
                tube_barcode=o.tube_barcode,
                status=o.status,
                retest_orders=o.retest_orders,
                field=o.field,
                code=o.code,
                message=o.message,
            )
        report.rows.append(out)
        if out.status == "held_for_review":
            report.held += 1
        elif out.status in ("accepted", "unchanged", "rejected"):
            setattr(report, out.status, getattr(report, out.status) + 1)
    return report
