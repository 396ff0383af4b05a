"""Import residents from a community's Excel roster.

Every row is validated; valid rows are written in one transaction per batch and every
rejected row comes back, with its reason, in an error workbook the user can fix and upload
again. People are recognised by their document (blind index), so importing the same file
twice changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import batched
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit
from fangkong.geo.models import Building, Community, Compound, Household
from fangkong.geo.services import upsert_households

from . import excel
from .models import Residency, Resident, ResidentTag
from .services import ResidentData, document_index, phone_index, prepare_resident

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
class _Row:
    number: int
    cells: tuple
    values: dict[str, object]  # field → raw cell


@dataclass
class _Valid:
    row: _Row
    data: ResidentData
    home: Household  # unsaved when the import creates it
    residency_given: bool
    existing: Resident | None = None


def _violation(field_name: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field_name, code=code, message=message)


class _Addresses:
    """Turns 小区 + 楼栋 + 单元 + 房号 into a household, with one query per batch at most.

    Names are looked up in the whole district, not only in the user's scope, so a row in
    someone else's area is refused as "outside your area" rather than "unknown".
    """

    def __init__(self, user):
        self.user = user
        district = user.scope_code.split("-")[0]
        self._area = Q(code__startswith=district + "-")
        self._places: dict[str, list[tuple[str, int]]] | None = None  # name → compounds/communities
        self._pools: dict[tuple[str, int], list[Building]] = {}
        self._loose: list[Building] | None = None  # buildings in scope that have no compound
        self._homes: dict[int, dict[tuple[str, str], Household]] = {}
        self._codes: dict[str, tuple[int, str, str]] = {}  # household code → address

    def _load_places(self) -> dict[str, list[tuple[str, int]]]:
        if self._places is None:
            self._places = {}
            for kind, model in (("compound", Compound), ("community", Community)):
                for pk, name_zh, name_en in model.objects.filter(self._area).values_list(
                    "pk", "name_zh", "name_en"
                ):
                    for name in {excel.compact(name_zh), excel.compact(name_en)} - {""}:
                        self._places.setdefault(name, []).append((kind, pk))
        return self._places

    def prefetch(self, rows: list[_Row]) -> None:
        """Load the buildings and households a batch names, in a few set-based queries."""
        places = self._load_places()
        wanted = set()
        for row in rows:
            name = excel.compact(row.values.get("compound"))
            wanted.update(p for p in places.get(name, ()) if p not in self._pools)
        if wanted:
            compounds = [pk for kind, pk in wanted if kind == "compound"]
            communities = [pk for kind, pk in wanted if kind == "community"]
            for place in wanted:
                self._pools[place] = []
            for b in Building.objects.filter(
                Q(compound_id__in=compounds) | Q(grid__community_id__in=communities)
            ).select_related("grid"):
                if b.compound_id in compounds:
                    self._pools[("compound", b.compound_id)].append(b)
                if b.grid.community_id in communities:
                    self._pools[("community", b.grid.community_id)].append(b)
        if self._loose is None and any(not excel.compact(r.values.get("compound")) for r in rows):
            scope = self.user.scope_code
            self._loose = list(
                Building.objects.filter(compound__isnull=True).filter(
                    Q(area_code=scope) | Q(area_code__startswith=scope + "-")
                )
            )
        buildings = {b.pk for pool in self._pools.values() for b in pool}
        buildings.update(b.pk for b in self._loose or ())
        self._remember(Household.objects.filter(building_id__in=buildings - set(self._homes)))

    def _remember(self, households) -> None:
        for h in households:
            self._homes.setdefault(h.building_id, {})[
                (h.entrance.casefold(), h.room.casefold())
            ] = h
            self._codes[h.code] = (h.building_id, h.entrance.casefold(), h.room.casefold())

    def remember_created(self, households) -> None:
        self._remember(households)

    def resolve(self, values: dict[str, object]) -> Household:
        """The household at this address, or an unsaved one to create in a known building."""
        compound = excel.compact(values.get("compound"))
        label = excel.building_key(values.get("building"))
        if not label:
            raise _violation("building", "required", _("A building is required."))
        entrance = excel.parse_entrance(values.get("entrance"))
        entrance, room = excel.parse_room(values.get("room"), entrance)
        if compound:
            places = self._load_places().get(compound)
            if not places:
                raise _violation(
                    "compound",
                    "unknown",
                    _("No residential compound (or community) of this name in the district."),
                )
            # A compound's name wins over a community's: staff name the compound when there is one.
            kinds = {kind for kind, _pk in places}
            kind = "compound" if "compound" in kinds else "community"
            pool = [b for p in places if p[0] == kind for b in self._pools.get(p, ())]
        else:
            pool = self._loose or []
        matches = {
            b.pk: b
            for b in pool
            if label in {excel.building_key(b.name_zh), excel.building_key(b.name_en)}
        }
        if not matches:
            raise _violation(
                "building",
                "unknown",
                _("No building of this name in the compound.")
                if compound
                else _(
                    "No building of this name outside a compound in your area; "
                    "fill in the compound (小区)."
                ),
            )
        mine = [b for b in matches.values() if can(self.user, "import_residents", b.area_code)]
        if not mine:
            raise _violation(
                "household",
                "out_of_scope",
                _("This address is outside your area; you may import residents only into it."),
            )
        if len(mine) > 1:
            raise _violation(
                "building",
                "ambiguous",
                _(
                    "Several buildings have this name; fill in the compound (小区) to tell them apart."
                ),
            )
        building = mine[0]
        key = (entrance.casefold(), room.casefold())
        home = self._homes.setdefault(building.pk, {}).get(key)
        if home is not None:
            return home
        segment = f"{entrance}{room}"
        if not re.fullmatch(r"[0-9A-Za-z]{1,8}", segment):
            raise _violation(
                "room",
                "format",
                _("Entrance and room together are at most 8 letters and digits."),
            )
        code = f"{building.code}-{segment}"
        if self._codes.get(code, (building.pk, *key)) != (building.pk, *key):
            # e.g. entrance 1 room 101 and entrance 11 room 01 would share a code.
            raise _violation(
                "room",
                "code_clash",
                _("Another household of this building already has the code this room would get."),
            )
        home = Household(
            building=building,
            code=code,
            entrance=entrance,
            room=room,
            area_code=building.area_code,
        )
        self._homes[building.pk][key] = home
        self._codes[code] = (building.pk, *key)
        return home


def _validate(row: _Row, addresses: _Addresses) -> _Valid:
    values = row.values
    raw_document = values.get("document_number")
    if not excel.cell_text(raw_document):
        raise _violation(
            "document_number",
            "required",
            _(
                "A document number is required: the import recognises people by it, so "
                "importing a file again never registers anyone twice."
            ),
        )
    document_type = excel.parse_document_type(values.get("document_type"))
    sex = excel.parse_sex(values.get("sex"))
    birth_date = excel.parse_date(values.get("birth_date"))
    residency = excel.parse_residency(values.get("residency"))
    tags = excel.parse_tags(values.get("tags"))
    note = excel.cell_text(values.get("note"))
    if len(note) > 200:
        raise _violation("note", "length", _("A note has at most 200 characters."))
    home = addresses.resolve(values)
    data = prepare_resident(
        name=excel.cell_text(values.get("name")),
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
    rows: list[_Row], addresses: _Addresses, seen: dict[str, int]
) -> tuple[list[_Valid], list[tuple[_Row, RuleViolation]]]:
    """Validate a batch; a document already met earlier in the file is a rejected row."""
    batch: list[_Valid] = []
    failures: list[tuple[_Row, RuleViolation]] = []
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
    batch: list[_Valid], result: ImportResult, addresses: _Addresses, user
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


def _row_error(row: _Row, exc: RuleViolation, header: excel.Header) -> RowError:
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


def _error_workbook(header: excel.Header, rejected: list[tuple[_Row, RowError]]) -> bytes:
    """The rejected rows as the user wrote them, plus a reason column, ready to fix and re-upload."""
    headers = list(header.labels)
    reason_at = header.columns.get("reason")
    if reason_at is None:  # a re-uploaded error workbook keeps its one reason column
        reason_at = len(headers)
        headers.append(excel.COLUMN_BY_FIELD["reason"].label(header.chinese))

    def rows() -> Iterator[list]:
        for row, error in rejected:
            cells = list(row.cells) + [None] * (len(headers) - len(row.cells))
            cells[reason_at] = _("Row %(row)d — %(reason)s") % {
                "row": row.number,
                "reason": error.reason,
            }
            yield cells

    text = {header.columns[f] for f in ("document_number", "phone") if f in header.columns}
    buffer = io.BytesIO()
    excel.write_sheet(
        buffer,
        sheet_title=force_str(_("Rejected rows")),
        headers=headers,
        rows=rows(),
        text_columns=text,
        widths=[22 if i in text else 12 for i in range(len(headers) - 1)] + [60],
    )
    return buffer.getvalue()


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
    rejected: list[tuple[_Row, RowError]] = []
    seen: dict[str, int] = {}  # document blind index → first row with it
    codes: Counter[str] = Counter()
    addresses = _Addresses(user)
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
                    rows.append(_Row(number=number, cells=cells, values=values))
                result.read += len(rows)
                addresses.prefetch(rows)
                batch, failures = _validate_rows(rows, addresses, seen)
                if batch:
                    failures += [(v.row, exc) for v, exc in _write(batch, result, addresses, user)]
                for row, exc in sorted(failures, key=lambda f: f[0].number):
                    error = _row_error(row, exc, header)
                    result.errors.append(error)
                    rejected.append((row, error))
                    codes[exc.code] += 1
            result.rejected = len(result.errors)
            if rejected:
                result.error_workbook = _error_workbook(header, rejected)
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
