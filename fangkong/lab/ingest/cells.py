"""One cell, one row: barcodes, result words, Ct values and report times as labs write them;
and the JSON items of the API, read with the same rules."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation
from fangkong.testing.models import Result
from fangkong.testing.services.rounds import valid_barcode

from ..services.results import ResultIn
from .rows import BARCODE_LENGTH, MAX_ROWS, Parsed, ParsedRow, file_error, row_error

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
