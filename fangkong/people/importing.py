"""Import residents from a community's Excel roster.

Every row is validated; valid rows are written in one transaction per batch and every
rejected row comes back, with its reason, in an error workbook the user can fix and upload
again. People are recognised by their document (blind index), so importing the same file
twice changes nothing.
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

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit
from fangkong.geo.models import Household
from fangkong.geo.services import upsert_households

from . import excel, excel_cells, excel_columns
from .import_addresses import Addresses
from .import_rows import RosterRow, RowError, error_workbook, row_error
from .models import Residency, Resident, ResidentTag
from .services import ResidentData, document_index, phone_index, prepare_resident


@dataclass
class ImportResult:
    read: int = 0  # rows that describe a person (blank, totals, note and example rows are not)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    skipped: int = 0  # totals, note and example rows (blank rows are not counted)
    households_created: int = 0
    errors: list[RowError] = field(default_factory=list)
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
        }


@dataclass
class _Valid:
    row: RosterRow
    data: ResidentData
    home: Household  # unsaved when the import creates it
    residency_given: bool
    existing: Resident | None = None


def _violation(field_name: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field_name, code=code, message=message)


def _validate(row: RosterRow, addresses: Addresses) -> _Valid:
    values = row.values
    raw_document = values.get("document_number")
    if not excel_columns.cell_text(raw_document):
        raise _violation(
            "document_number",
            "required",
            _(
                "A document number is required: the import recognises people by it, so "
                "importing a file again never registers anyone twice."
            ),
        )
    document_type = excel_cells.parse_document_type(values.get("document_type"))
    sex = excel_cells.parse_sex(values.get("sex"))
    birth_date = excel_cells.parse_date(values.get("birth_date"))
    residency = excel_cells.parse_residency(values.get("residency"))
    tags = excel_cells.parse_tags(values.get("tags"))
    note = excel_columns.cell_text(values.get("note"))
    if len(note) > 200:
        raise _violation("note", "length", _("A note has at most 200 characters."))
    home = addresses.resolve(values)
    data = prepare_resident(
        name=excel_columns.cell_text(values.get("name")),
        document_type=document_type,
        document_number=raw_document,
        phone=values.get("phone"),
        sex=sex,
        birth_date=birth_date,
        household=home,
        residency=residency or Residency.REGISTERED,
        tags=tags,
        note=note,
    )
    return _Valid(row=row, data=data, home=home, residency_given=residency is not None)


def _validate_rows(
    rows: list[RosterRow], addresses: Addresses, seen: dict[str, int]
) -> tuple[list[_Valid], list[tuple[RosterRow, RuleViolation]]]:
    """Validate a batch; a document already met earlier in the file is a rejected row."""
    batch: list[_Valid] = []
    failures: list[tuple[RosterRow, RuleViolation]] = []
    for row in rows:
        try:
            valid = _validate(row, addresses)
        except RuleViolation as exc:
            failures.append((row, exc))
            continue
        doc = valid.data.document
        index = document_index(doc.type, doc.number)
        if index in seen:
            duplicate = _violation(
                "document_number",
                "duplicate_in_file",
                _("The same document is already in row %(row)d of this file.")
                % {"row": seen[index]},
            )
            failures.append((row, duplicate))
            continue
        seen[index] = row.number
        batch.append(valid)
    return batch, failures


def _changes(valid: _Valid) -> tuple[dict[str, object], set[str]]:
    """The fields the row changes on the stored resident, and the tags it adds.

    A blank cell never erases what is stored (staff leave a cell blank when they do not know),
    and tags are only added: a tag set after a visit is not undone by an older roster.
    """
    current, data = valid.existing, valid.data
    assert current is not None
    changes: dict[str, object] = {}
    if current.name != data.name:
        changes["name"] = data.name
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


def _find_existing(batch: list[_Valid], user) -> list[tuple[_Valid, RuleViolation]]:
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
            refused.append(
                (
                    v,
                    _violation(
                        "document_number",
                        "registered_elsewhere",
                        _(
                            "This person is registered in an area outside yours; that area "
                            "has to record the move first."
                        ),
                    ),
                )
            )
    return refused


@transaction.atomic
def _write(
    batch: list[_Valid], result: ImportResult, addresses: Addresses, user
) -> list[tuple[_Valid, RuleViolation]]:
    """Write one batch: new households, new residents, changed residents, added tags.

    Returns the rows refused because their person is registered outside the user's area.
    """
    refused = _find_existing(batch, user)
    if refused:
        skip = {id(v) for v, _exc in refused}
        batch = [v for v in batch if id(v) not in skip]
    # Counted here and added to `result` last, so a batch that rolls back counts nothing.
    counts: Counter[str] = Counter()
    planned = {v.home.code: v.home for v in batch if v.home.pk is None}
    if planned:
        counts["households_created"] = upsert_households(
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
        addresses.remember_created(saved.values())
        for v in batch:
            if v.home.pk is None:
                v.home = saved[v.home.code]
    new, changed, fields, tags = [], [], set(), []
    now = timezone.now()
    for v in batch:
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
    for name, n in counts.items():
        setattr(result, name, getattr(result, name) + n)
    return refused


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
    rejected: list[tuple[RosterRow, RowError]] = []
    seen: dict[str, int] = {}  # document blind index → first row with it
    codes: Counter[str] = Counter()
    addresses = Addresses(user)
    finished = False
    try:
        with excel.open_roster(io.BytesIO(content)) as roster:
            header = roster.header
            for chunk in batched(roster.rows, batch_size):
                rows = []
                for number, cells in chunk:
                    kind = excel.classify_row(cells, header)
                    if kind != "data":
                        # Blank lines are not counted: a template is formatted far below its
                        # last row, and "skipped 998" would hide the rows that matter.
                        result.skipped += kind != "blank"
                        continue
                    values = {f: cells[i] for f, i in header.columns.items()}
                    rows.append(RosterRow(number=number, cells=cells, values=values))
                result.read += len(rows)
                addresses.prefetch([row.values for row in rows])
                batch, failures = _validate_rows(rows, addresses, seen)
                if batch:
                    failures += [(v.row, exc) for v, exc in _write(batch, result, addresses, user)]
                for row, exc in sorted(failures, key=lambda f: f[0].number):
                    error = row_error(row, exc, header)
                    result.errors.append(error)
                    rejected.append((row, error))
                    codes[exc.code] += 1
            result.rejected = len(result.errors)
            if rejected:
                result.error_workbook = error_workbook(header, rejected)
        finished = True
    finally:
        # An import that fails half-way has still written its earlier batches: audit those too.
        if result.read or finished:
            record_audit(
                user=user,
                action=AuditAction.IMPORT,
                object_type="resident",
                area_code=user.scope_code,
                ip=ip,
                detail={
                    **result.counts(),
                    "rejected": len(result.errors),
                    "rejected_by_rule": dict(sorted(codes.items())),
                    "file_sha256": hashlib.sha256(content).hexdigest(),
                    "batch_size": batch_size,
                    "completed": finished,
                },
            )
    return result
