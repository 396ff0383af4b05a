"""Identity documents: normalise, validate and classify.

Every check raises RuleViolation naming the field and the rule, in the user's language.
The resident ID check deliberately does not look the county part up in a table: people keep
the number their registration office issued for life, and county codes are created and
retired (410102 for older High-tech Zone residents; 410172 itself is missing from
python-stdnum's table). stdnum is used for the check digit and the birth date only.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

from .errors import RuleViolation


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PERMIT = (
        "hk_macao_permit",
        _("Mainland travel permit for Hong Kong and Macao residents"),
    )
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    FOREIGN_PR_ID = "foreign_pr_id", _("Foreign permanent resident ID card")


# First two digits of GB/T 2260 province-level codes (81–83: HK, Macao, Taiwan residence permits).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "  # noqa: SIM905
    "50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
EARLIEST_BIRTH = dt.date(1890, 1, 1)
# Compiled once: the resident ID check runs for every sample of a round.
_SEPARATORS = re.compile(r"[\s\-]")
_EXCEL_FLOAT = re.compile(r"\s*\d+(\.\d+)?[eE]\+?\d+\s*")
_FIRST_GENERATION = re.compile(r"\d{15}")
_RESIDENT_ID = re.compile(r"\d{17}[\dX]")
# What a scanner or a careful typist sends: nothing to normalise, and not an Excel number.
_CANONICAL_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")


@dataclass(frozen=True)
class Document:
    type: str
    number: str
    birth_date: dt.date | None = None
    sex: str | None = None  # "M" / "F" where the number encodes it
    converted_from_15: bool = False  # a first-generation number we upgraded


def check_character(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character for a 17-digit body.

    stdnum's calc_check_digit drops the last character of what it is given (it expects a
    full number), so the body gets a placeholder.
    """
    return ric.calc_check_digit(body + "0")


def normalise(raw: str) -> str:
    """Full-width to ASCII, drop spaces and dashes, upper-case letters."""
    text = unicodedata.normalize("NFKC", raw)
    return _SEPARATORS.sub("", text).upper()


def _fail(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


def _reject_excel_number(raw: object, field: str) -> None:
    """Excel stores a long ID typed into a number cell as a float with 15 significant
    digits: the last digits are gone and cannot be recovered."""
    if isinstance(raw, bool):
        raise _fail(field, "invalid_type", _("Document number must be text."))
    if isinstance(raw, float | Decimal) or (isinstance(raw, int) and raw >= 10**15):
        raise _fail(
            field,
            "excel_number",
            _(
                "The document number was stored as a number by Excel and has lost digits; "
                "format the column as text and type the number again."
            ),
        )
    if isinstance(raw, str) and _EXCEL_FLOAT.fullmatch(raw):
        raise _fail(
            field,
            "excel_number",
            _(
                "The document number is in scientific notation (Excel turned it into a "
                "number and lost digits); format the column as text and type it again."
            ),
        )


def validate_resident_id(raw: object, *, field: str = "document_number") -> Document:
    """Validate a mainland resident ID (18 characters, or a first-generation 15-digit one)."""
    if isinstance(raw, str) and _CANONICAL_RESIDENT_ID.fullmatch(raw):
        number = raw  # the common case, checked for every sample of a round
    else:
        _reject_excel_number(raw, field)
        number = normalise(str(raw))
    converted = False
    if _FIRST_GENERATION.fullmatch(number):
        # First generation: 6-digit region, yyMMdd, 3-digit sequence, no check digit.
        body = number[:6] + "19" + number[6:]
        number = body + check_character(body)
        converted = True
    if len(number) != 18:
        raise _fail(
            field, "length", _("A resident ID number has 18 characters (or 15 digits if old).")
        )
    if not _RESIDENT_ID.fullmatch(number):
        raise _fail(
            field, "format", _("A resident ID number is 17 digits followed by a digit or X.")
        )
    if number[:2] not in PROVINCES:
        raise _fail(field, "province", _("The first two digits are not a known province code."))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _fail(field, "birth_date", _("Digits 7 to 14 are not a real birth date.")) from None
    # The server's own date first: reading the active time zone costs more than the rest of
    # this check, and only a birth date within a day of today can depend on it.
    recent = birth >= dt.date.today() - dt.timedelta(days=1)
    if birth < EARLIEST_BIRTH or (recent and birth > timezone.localdate()):
        raise _fail(
            field, "birth_date", _("The birth date in the number is in the future or before 1890.")
        )
    if check_character(number[:17]) != number[17]:
        raise _fail(
            field,
            "check_digit",
            _("The check digit (last character) is wrong: a digit was probably mistyped."),
        )
    sex = "M" if int(number[16]) % 2 else "F"
    return Document(DocumentType.RESIDENT_ID, number, birth, sex, converted)


def validate_document(
    document_type: str, raw: object, *, field: str = "document_number"
) -> Document:
    """Validate any supported identity document; returns its normalised form."""
    if document_type == DocumentType.RESIDENT_ID:
        return validate_resident_id(raw, field=field)
    if document_type not in DocumentType.values:
        raise _fail("document_type", "unknown", _("Unknown document type."))
    _reject_excel_number(raw, field)
    number = normalise(str(raw))
    if not number:
        raise _fail(field, "required", _("A document number is required."))
    if document_type == DocumentType.PASSPORT:
        if not re.fullmatch(r"[A-Z0-9]{5,17}", number):
            raise _fail(field, "format", _("A passport number is 5 to 17 letters and digits."))
    elif document_type == DocumentType.HK_MACAO_PERMIT:
        if not re.fullmatch(r"[HM]\d{8}(\d{2})?", number):
            raise _fail(
                field,
                "format",
                _("A Hong Kong or Macao permit number is H or M and 8 or 10 digits."),
            )
    elif document_type == DocumentType.TAIWAN_PERMIT:
        if not re.fullmatch(r"\d{8}(\d{2})?", number):
            raise _fail(field, "format", _("A Taiwan permit number is 8 or 10 digits."))
    elif document_type == DocumentType.FOREIGN_PR_ID:
        if re.fullmatch(r"9\d{16}[\dX]", number):
            # 2023 edition: 18 characters with the same MOD 11-2 check as the resident ID.
            if check_character(number[:17]) != number[17]:
                raise _fail(field, "check_digit", _("The check digit (last character) is wrong."))
        elif not re.fullmatch(r"[A-Z]{3}\d{12}", number):
            raise _fail(
                field,
                "format",
                _(
                    "A foreign permanent resident ID is 3 letters and 12 digits, "
                    "or 18 characters beginning with 9."
                ),
            )
    return Document(document_type, number)
