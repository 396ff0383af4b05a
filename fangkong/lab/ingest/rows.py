"""What a results parser answers: a readable result or the reason a row cannot be read, and
the report that answers every row."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.utils.encoding import force_str

from fangkong.core.errors import RuleViolation

from ..services.results import ResultIn

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
    flag: str = ""  # slightly_high | weak_positive
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
