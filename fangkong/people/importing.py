"""Import residents from a community's roster (Excel, or CSV in UTF-8 or GBK).

Every row is checked; valid rows are written in one transaction per batch and every
rejected row comes back, with all its reasons, in an error workbook the user can fix and
upload again. People are recognised by their document (blind index), so importing the same
file twice changes nothing; a document stored under another name is held for review, never
written over. Nothing is lost without a word: columns the import does not read, 15-digit
numbers upgraded and sexes that differ from the ID number are all in the result.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from itertools import batched
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit
from fangkong.geo.models import Household
from fangkong.geo.services import upsert_households

from . import excel, excel_columns
from .import_addresses import Addresses
from .import_checks import (
    CONVERTED,
    PARTIAL_BIRTH,
    SEX_MISMATCH,
    CheckedRow,
    check_row,
    same_name,
)
from .import_conflicts import hold_conflicts
from .import_rows import RosterRow, RowError, error_workbook, row_error
from .models import Resident, ResidentTag
from .services import document_index, phone_index


@dataclass
class ImportResult:
    read: int = 0  # rows that describe a person (blank, totals, note and example rows are not)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # totals, note and example rows (blank rows are not counted)
    households_created: int = 0
    conflicts: int = 0  # rows held for review: their ID is stored under another name
    converted: int = 0  # imported rows whose 15-digit ID number was upgraded to 18 digits
    sex_mismatch: int = 0  # imported rows whose 性别 differs from the ID number's
    partial_birth_date: int = 0  # imported rows with a birth date the import could not store
    errors: list[RowError] = field(default_factory=list)  # every reason of every rejected row
    notes: list[RowError] = field(default_factory=list)  # what to check on imported rows
    columns_not_read: tuple[excel.IgnoredColumn, ...] = ()
    error_workbook: bytes | None = None  # the rejected rows as the user wrote them, plus why

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "households_created": self.households_created,
            "conflicts": self.conflicts,
            "converted": self.converted,
            "sex_mismatch": self.sex_mismatch,
            "partial_birth_date": self.partial_birth_date,
        }

    def summary(self) -> dict[str, object]:
        """Everything the import reports, as plain data (the counts, then what to look at)."""
        return {
            **self.counts(),
            "columns_not_read": [
                {"column": c.label, "why": c.code, "field": c.field} for c in self.columns_not_read
            ],
            "rejected_reasons": dict(sorted(Counter(e.code for e in self.errors).items())),
            "to_check": dict(sorted(Counter(n.code for n in self.notes).items())),
        }


def _violation(field_name: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field_name, code=code, message=message)


def _check_rows(
    rows: list[RosterRow], addresses: Addresses, seen: dict[str, int]
) -> list[CheckedRow]:
    """Check a batch; a document already on an importable row earlier in the file is one
    more reason to refuse the row."""
    checked = []
    for row in rows:
        check = check_row(row, addresses)
        checked.append(check)
        if check.document is None:
            continue
        index = document_index(check.document.type, check.document.number)
        if index in seen:
            check.problems.append(
                _violation(
                    "document_number",
                    "duplicate_in_file",
                    _("The same document is already in row %(row)d of this file.")
                    % {"row": seen[index]},
                )
            )
            check.data = None
        elif check.data is not None:
            seen[index] = row.number
    return checked


def _changes(valid: CheckedRow) -> tuple[dict[str, object], set[str]]:
    """The fields the row changes on the stored resident, and the tags it adds.

    A blank cell never erases what is stored (staff leave a cell blank when they do not know),
    and tags are only added: a tag set after a visit is not undone by an older roster.
    """
    current, data = valid.existing, valid.data
    assert current is not None and data is not None and valid.home is not None
    changes: dict[str, object] = {}
    if data.sex and current.sex != data.sex:
        changes["sex"] = data.sex
    if data.birth_date and current.birth_date != data.birth_date:
        changes["birth_date"] = data.birth_date
    if current.household_id != valid.home.pk:
        changes["household_id"] = valid.home.pk
        changes["area_code"] = valid.home.area_code
    if valid.residency_given and current.residency != data.residency:
        changes["residency"] = data.residency
    if data.note and current.note != data.note:
        changes["note"] = data.note
    if data.phone and current.phone_index != phone_index(data.phone):
        changes.update(data.phone_fields())
    have = {t.tag for t in current.tags.all()}
    return changes, data.tags - have


def _find_existing(batch: list[CheckedRow], user) -> list[CheckedRow]:
    """Attach the stored resident to each row; refuse rows whose person lives out of scope.

    Runs inside the batch's transaction and locks the rows it finds, so an edit made
    meanwhile in the web page is not overwritten with what was read before it.
    """
    keys = {}
    for v in batch:
        doc = v.data.document
        keys[(doc.type, document_index(doc.type, doc.number))] = v
    found = (
        Resident.objects.select_for_update()
        .filter(document_index__in=[index for _type, index in keys])
        .prefetch_related("tags")
    )
    refused = []
    for resident in found:
        v = keys.get((resident.document_type, resident.document_index))
        if v is None:
            continue
        if can(user, "import_residents", resident.area_code):
            v.existing = resident
        else:
            v.problems.append(
                _violation(
                    "document_number",
                    "registered_elsewhere",
                    _(
                        "This person is registered in an area outside yours; that area "
                        "has to record the move first."
                    ),
                )
            )
            refused.append(v)
    return refused


@dataclass
class _Run:
    """What every batch of one import shares."""

    user: object
    addresses: Addresses
    file_sha256: str
    result: ImportResult


def _save_households(batch: list[CheckedRow], run: _Run) -> int:
    """Create the households the batch's rows name and no one has imported yet."""
    planned = {v.home.code: v.home for v in batch if v.home.pk is None}
    if not planned:
        return 0
    created = upsert_households(
        [
            {
                "code": h.code,
                "entrance": h.entrance,
                "room": h.room,
                "area_code": h.area_code,
                "building_id": h.building_id,
            }
            for h in planned.values()
        ]
    )
    saved = {h.code: h for h in Household.objects.filter(code__in=list(planned))}
    run.addresses.remember_created(saved.values())
    for v in batch:
        if v.home.pk is None:
            v.home = saved[v.home.code]
    return created


@transaction.atomic
def _write(batch: list[CheckedRow], run: _Run) -> None:
    """Write one batch: new households, new residents, changed residents, added tags.

    A row whose person is registered outside the user's area gets that reason; a row whose
    ID number is stored under another name is held for review, the stored person untouched.
    """
    refused = {id(v) for v in _find_existing(batch, run.user)}
    batch = [v for v in batch if id(v) not in refused]
    # Counted here and added to `result` last, so a batch that rolls back counts nothing.
    counts: Counter[str] = Counter()
    counts["households_created"] = _save_households(batch, run)
    disputed = [v for v in batch if v.existing and not same_name(v.existing.name, v.data.name)]
    if disputed:
        counts["conflicts"] = hold_conflicts(
            rows=disputed, user=run.user, file_sha256=run.file_sha256
        )
        held = {id(v) for v in disputed}
        batch = [v for v in batch if id(v) not in held]
    new, changed, fields, tags = [], [], set(), []
    now = timezone.now()
    for v in batch:
        counts.update(n.code for n in v.notes)
        v.data.household_id = v.home.pk
        v.data.area_code = v.home.area_code
        if v.existing is None:
            new.append(v)
            continue
        changes, added = _changes(v)
        if not changes and not added:
            counts["unchanged"] += 1
            continue
        counts["updated"] += 1
        tags += [ResidentTag(resident=v.existing, tag=t) for t in sorted(added)]
        if changes:
            for name, value in changes.items():
                setattr(v.existing, name, value)
            v.existing.updated_at = now
            changed.append(v.existing)
            fields.update(changes)
    created = Resident.objects.bulk_create([v.data.to_model() for v in new])
    for resident, v in zip(created, new, strict=True):
        tags += [ResidentTag(resident=resident, tag=t) for t in sorted(v.data.tags)]
    if changed:
        Resident.objects.bulk_update(changed, [*sorted(fields), "updated_at"])
    ResidentTag.objects.bulk_create(tags)
    counts["created"] = len(created)
    counts = {_COUNTED.get(k, k): n for k, n in counts.items()}
    for name, n in counts.items():
        setattr(run.result, name, getattr(run.result, name) + n)


# Note codes and the counters of ImportResult they add to.
_COUNTED = {
    CONVERTED: "converted",
    SEX_MISMATCH: "sex_mismatch",
    PARTIAL_BIRTH: "partial_birth_date",
}


def _read_source(workbook_file: BinaryIO | str | Path) -> bytes:
    if isinstance(workbook_file, str | Path):
        try:
            return Path(workbook_file).read_bytes()
        except FileNotFoundError:
            raise _violation("file", "not_found", _("File not found.")) from None
    if hasattr(workbook_file, "seek"):
        workbook_file.seek(0)
    return workbook_file.read()


def import_residents(
    *,
    workbook_file: BinaryIO | str | Path,
    user,
    batch_size: int = 1000,
    ip: str | None = None,
) -> ImportResult:
    """Import a resident roster into the user's scope; returns counts and rejected rows.

    Rows are validated and written batch by batch (one transaction each), so a large file
    does not hold one long lock; a row is never dropped without a reason. Raises
    RuleViolation when the file itself cannot be read (not a workbook, no header row,
    required columns missing) and PermissionDeniedError without `import_residents`.
    """
    require_permission(actor=user, action="import_residents", object_type="residents", ip=ip)
    if batch_size < 1:
        raise _violation("batch_size", "range", _("The batch size must be at least 1."))
    content = _read_source(workbook_file)
    result = ImportResult()
    run = _Run(user, Addresses(user), hashlib.sha256(content).hexdigest(), result)
    rejected: list[tuple[RosterRow, list[RowError]]] = []
    seen: dict[str, int] = {}  # document blind index → first row with it
    finished = False
    try:
        with excel.open_roster(io.BytesIO(content)) as roster:
            header = roster.header
            for chunk in batched(roster.rows, batch_size):
                rows = _people(chunk, header, result)
                run.addresses.prefetch([row.values for row in rows])
                checked = _check_rows(rows, run.addresses, seen)
                importable = [c for c in checked if c.data is not None]
                if importable:
                    _write(importable, run)
                _report(checked, header, result, rejected)
            result.rejected = len(rejected)
            result.columns_not_read = header.ignored + tuple(
                excel.IgnoredColumn(get_column_letter(i + 1), "no_header")
                for i in sorted(roster.stray)
            )
            if rejected:
                result.error_workbook = error_workbook(header, rejected)
        finished = True
    finally:
        # An import that fails half-way has still written its earlier batches: audit those too.
        if result.read or finished:
            summary = result.summary()
            record_audit(
                user=user,
                action=AuditAction.IMPORT,
                object_type="resident",
                area_code=user.scope_code,
                ip=ip,
                detail={
                    **result.counts(),
                    "rejected_by_rule": summary["rejected_reasons"],
                    "to_check": summary["to_check"],
                    "columns_not_read": len(result.columns_not_read),
                    "file_sha256": run.file_sha256,
                    "batch_size": batch_size,
                    "completed": finished,
                },
            )
    return result


def _people(chunk, header: excel.Header, result: ImportResult) -> list[RosterRow]:
    """The rows of a chunk that describe a person, numbered as in the source file."""
    rows = []
    for number, cells in chunk:
        kind = excel.classify_row(cells, header)
        if kind != "data":
            # Blank lines are not counted: a template is formatted far below its
            # last row, and "skipped 998" would hide the rows that matter.
            result.skipped += kind != "blank"
            continue
        values = {f: cells[i] for f, i in header.columns.items()}
        # A corrected error workbook carries each row's number in the first file.
        source = excel_columns.cell_text(values.pop("source_row", None))
        number = int(source) if source.isdigit() and int(source) > 0 else number
        rows.append(RosterRow(number=number, cells=cells, values=values))
    result.read += len(rows)
    return rows


def _report(
    checked: list[CheckedRow],
    header: excel.Header,
    result: ImportResult,
    rejected: list[tuple[RosterRow, list[RowError]]],
) -> None:
    for check in sorted(checked, key=lambda c: c.row.number):
        if check.problems:
            errors = [row_error(check.row, exc, header) for exc in check.problems]
            result.errors += errors
            rejected.append((check.row, errors))
        else:
            result.notes += [row_error(check.row, exc, header) for exc in check.notes]
