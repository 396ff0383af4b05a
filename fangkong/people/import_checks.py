"""One roster row checked: every reason it cannot be imported (all of them, not the first), and
the things to check on a row that is imported (a 15-digit number upgraded, a sex that differs
from the ID number, a birth date written without its day)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from fangkong.core.documents import Document, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Household

from . import excel_cells, excel_columns
from .excel_columns import SEX_ZH
from .import_addresses import Addresses
from .import_rows import RosterRow
from .models import Residency, Resident
from .services import ResidentData, normalise_phone, prepare_resident

# The things to check that the summary counts, by code.
CONVERTED = "converted_from_15"
SEX_MISMATCH = "sex_mismatch"
PARTIAL_BIRTH = "partial_birth_date"
NAME_CONFLICT = "name_conflict"


@dataclass
class CheckedRow:
    row: RosterRow
    problems: list[RuleViolation] = field(default_factory=list)  # why it is refused
    notes: list[RuleViolation] = field(default_factory=list)  # what to check once imported
    document: Document | None = None  # when valid, even on a refused row
    data: ResidentData | None = None
    home: Household | None = None  # unsaved when the import creates it
    residency_given: bool = False
    existing: Resident | None = None


def _rule(field_name: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field_name, code=code, message=message)


def same_name(a: str, b: str) -> bool:
    """Names equal but for spaces and full-width forms (王 芳 is 王芳)."""
    return excel_columns.compact(unicodedata.normalize("NFKC", a)) == excel_columns.compact(
        unicodedata.normalize("NFKC", b)
    )


class _Collector:
    """Runs each parser, keeping every rule it breaks instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[RuleViolation] = []

    def __call__[T](self, parse: Callable[..., T], *args, **kwargs) -> T | None:
        try:
            return parse(*args, **kwargs)
        except RuleViolation as exc:
            self.problems.append(exc)
            return None


def _name(raw: object, collect: _Collector) -> str:
    name = excel_columns.cell_text(raw)
    if not name:
        collect.problems.append(_rule("name", "required", _("A name is required.")))
    elif len(name) > 64:
        collect.problems.append(_rule("name", "length", _("A name has at most 64 characters.")))
    return name


def _document(values: dict[str, object], collect: _Collector) -> tuple[str, Document | None]:
    raw = values.get("document_number")
    document_type = collect(excel_cells.parse_document_type, values.get("document_type"))
    if not excel_columns.cell_text(raw):
        collect.problems.append(
            _rule(
                "document_number",
                "required",
                _(
                    "A document number is required: the import recognises people by it, so "
                    "importing a file again never registers anyone twice."
                ),
            )
        )
        return document_type or "", None
    if document_type is None:
        return "", None
    return document_type, collect(validate_document, document_type, raw)


def _agree_with_id(
    check: CheckedRow,
    document: Document | None,
    sex: str,
    birth: dt.date | excel_cells.PartialDate | None,
) -> tuple[str, dt.date | None]:
    """The sex and birth date to store: the ID number's where it carries them.

    A birth date that contradicts the number refuses the row (one of the two is mistyped);
    a sex that does not is noted, since a roster's 性别 column is often filled by hand.
    """
    if document is None or document.birth_date is None:
        if isinstance(birth, excel_cells.PartialDate):
            check.notes.append(
                _rule(
                    "birth_date",
                    PARTIAL_BIRTH,
                    _("The birth date has no day and the document does not carry one: not stored."),
                )
            )
            birth = None
        return sex, birth
    partial = isinstance(birth, excel_cells.PartialDate)
    if birth and not (
        birth.agrees(document.birth_date) if partial else birth == document.birth_date
    ):
        check.problems.append(
            _rule(
                "birth_date",
                "mismatch",
                _("The birth date differs from the one in the ID number."),
            )
        )
    if sex and document.sex and sex != document.sex:
        check.notes.append(
            _rule(
                "sex",
                SEX_MISMATCH,
                _("性别 says %(given)s but the ID number says %(id)s; the ID number's is kept.")
                % {"given": SEX_ZH[sex], "id": SEX_ZH[document.sex]},
            )
        )
    if document.converted_from_15:
        check.notes.append(
            _rule(
                "document_number",
                CONVERTED,
                _(
                    "A 15-digit number, upgraded to 18 digits; check it against the person's "
                    "current card."
                ),
            )
        )
    return document.sex or sex, document.birth_date


def check_row(row: RosterRow, addresses: Addresses) -> CheckedRow:
    """Every field of the row checked on its own, so a refused row lists all its reasons."""
    values = row.values
    check = CheckedRow(row=row)
    collect = _Collector()
    name = _name(values.get("name"), collect)
    document_type, document = _document(values, collect)
    check.document = document
    sex = collect(excel_cells.parse_sex, values.get("sex")) or ""
    birth = collect(excel_cells.parse_birth_date, values.get("birth_date"))
    residency, tags = collect(excel_cells.parse_category, values.get("residency")) or (None, set())
    tags = tags | (collect(excel_cells.parse_tags, values.get("tags")) or set())
    phone = collect(normalise_phone, values.get("phone"))
    note = excel_columns.cell_text(values.get("note"))
    if len(note) > 200:
        collect.problems.append(_rule("note", "length", _("A note has at most 200 characters.")))
    check.home = collect(addresses.resolve, values)
    check.problems = collect.problems
    sex, birth_date = _agree_with_id(check, document, sex, birth)
    if check.problems:
        return check
    data = collect(
        prepare_resident,
        name=name,
        document_type=document_type,
        document_number=values.get("document_number"),
        phone=phone,
        sex=sex,
        birth_date=birth_date,
        household=check.home,
        residency=residency or Residency.REGISTERED,
        tags=tags,
        note=note,
    )
    check.problems = collect.problems
    if data is not None:
        data.needs_follow_up = data.needs_follow_up or bool(check.notes)
        check.data = data
        check.residency_given = residency is not None
    return check
