"""Institution rosters (单位/学校名单): a school's, company's or building site's list of people,
imported from Excel or CSV and kept per institution; targeted rounds count them as expected.

Each row's person is found in the registry by document (blind index) or registered as a
visitor of the institution, as a sampling station does for someone it does not know, so the
samples taken at the institution land on the same person. The import is all or nothing: a
roster is the institution's whole current list, and a half-read file would drop people.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from fangkong.accounts.services import require_permission
from fangkong.core.areas import is_within
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Place, PlaceKind
from fangkong.people.excel_cells import parse_document_type
from fangkong.people.excel_columns import cell_text, field_for_header, header_key
from fangkong.people.models import Residency, Resident
from fangkong.people.services import ResidentData, prepare_resident

from ..models import InstitutionRoster, RosterMember, RoundKind, TestingRound

MAX_ROWS = 50_000
NOT_INSTITUTIONS = (PlaceKind.SAMPLING_SITE, PlaceKind.CHECKPOINT)
GROUP_HEADERS = {
    header_key(word)
    for word in ("班级", "部门", "班级部门", "班组", "年级班级", "class", "department", "group")
}


@dataclass
class RowProblem:
    """A refused row: its number in the file and the rule, never the person's data."""

    row: int
    field: str
    code: str
    message: str


@dataclass
class RosterImport:
    roster: InstitutionRoster | None
    members: int = 0
    added: int = 0
    removed: int = 0
    registered: int = 0  # people the registry did not know, registered as visitors
    problems: list[RowProblem] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    data: ResidentData
    group: str


def _problem(number: int, exc: RuleViolation) -> RowProblem:
    return RowProblem(number, exc.field, exc.code, force_str(exc.message))


def read_table(source: BinaryIO, filename: str) -> list[tuple[int, list]]:
    """The rows of an .xlsx (first sheet) or .csv (UTF-8 or GB18030) file, numbered from 1."""
    raw = source.read()
    name = filename.lower()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RuleViolation(
                field="file", code="encoding", message=_("The CSV file is not UTF-8 or GB18030.")
            )
        return list(enumerate(csv.reader(io.StringIO(text)), start=1))
    if name.endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise RuleViolation(
                field="file", code="unreadable", message=_("This is not a readable .xlsx file.")
            ) from exc
        sheet = book.worksheets[0]
        return [(i, list(row)) for i, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    raise RuleViolation(
        field="file", code="format", message=_("A roster is an Excel (.xlsx) or CSV file.")
    )


def _columns(rows: list[tuple[int, list]]) -> tuple[int, dict[str, int]]:
    """The header row's number and each known field's column (the first row naming 姓名)."""
    for number, cells in rows[:20]:
        columns: dict[str, int] = {}
        for i, cell in enumerate(cells):
            key = "group" if header_key(cell) in GROUP_HEADERS else field_for_header(cell)
            if key in ("name", "document_number", "document_type", "phone", "group"):
                columns.setdefault(key, i)
        if "name" in columns:
            if "document_number" not in columns:
                break
            return number, columns
    raise RuleViolation(
        field="file",
        code="header",
        message=_("No header row with 姓名 (name) and 证件号码 (document number) was found."),
    )


def parse_roster(rows: list[tuple[int, list]]) -> tuple[list[_Row], list[RowProblem]]:
    """Validated rows and the refused ones (each document once per roster)."""
    header, columns = _columns(rows)
    out: list[_Row] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()

    def cell(cells: list, key: str) -> str:
        i = columns.get(key)
        return cell_text(cells[i]) if i is not None and i < len(cells) else ""

    for number, cells in rows:
        if number <= header or not any(cell_text(c) for c in cells):
            continue
        try:
            if not cell(cells, "document_number"):
                raise RuleViolation(
                    field="document_number",
                    code="required",
                    message=_("A roster row needs the person's document number."),
                )
            data = prepare_resident(
                name=cell(cells, "name"),
                document_type=parse_document_type(cell(cells, "document_type")),
                document_number=cell(cells, "document_number"),
                phone=cell(cells, "phone"),
                residency=Residency.VISITOR,
            )
            key = data.document_fields()["document_index"]
            if key in seen:
                raise RuleViolation(
                    field="document_number",
                    code="duplicate",
                    message=_("This document is on an earlier row of the roster."),
                )
            seen.add(key)
            out.append(_Row(number, data, cell(cells, "group")[:100]))
        except RuleViolation as exc:
            problems.append(_problem(number, exc))
    if len(out) > MAX_ROWS:
        raise RuleViolation(
            field="file", code="size", message=_("A roster holds at most 50,000 people.")
        )
    return out, problems


def import_roster(*, place: Place, source: BinaryIO, filename: str, user) -> RosterImport:
    """Replace the institution's roster with the file's people; nothing is written if any
    row is refused (the answer lists the refused rows by number and rule)."""
    require_permission(
        actor=user,
        action="manage_rounds",
        area_code=place.area_code,
        object_type="institution_roster",
        object_id=place.pk,
    )
    if place.kind in NOT_INSTITUTIONS:
        raise RuleViolation(
            field="place",
            code="kind",
            message=_("A roster belongs to an institution: a school, company or building site."),
        )
    rows, problems = parse_roster(read_table(source, filename))
    if problems:
        return RosterImport(roster=None, problems=problems)
    if not rows:
        raise RuleViolation(field="file", code="empty", message=_("The roster has no people."))
    with transaction.atomic():
        roster, _created = InstitutionRoster.objects.select_for_update().get_or_create(
            place=place, defaults={"area_code": place.area_code}
        )
        result = RosterImport(roster=roster, members=len(rows))
        people = _people_of(rows, place, result)
        existing = dict(roster.members.values_list("resident_id", "id"))
        wanted = {people[r.number]: r.group for r in rows}
        gone = [pk for resident, pk in existing.items() if resident not in wanted]
        result.removed = RosterMember.objects.filter(pk__in=gone).delete()[0]
        RosterMember.objects.bulk_create(
            [
                RosterMember(roster=roster, resident_id=resident, group=group)
                for resident, group in wanted.items()
            ],
            update_conflicts=True,
            unique_fields=["roster", "resident"],
            update_fields=["group"],
            batch_size=2000,
        )
        result.added = len(set(wanted) - set(existing))
        roster.area_code, roster.imported_at = place.area_code, timezone.now()
        roster.save(update_fields=["area_code", "imported_at", "updated_at"])
    return result


def _people_of(rows: list[_Row], place: Place, result: RosterImport) -> dict[int, int]:
    """Row number → the registry's person: found by document, else registered as a visitor
    of the institution (their record in the registry is not changed otherwise)."""
    indexes = {r.number: r.data.document_fields()["document_index"] for r in rows}
    known: dict[str, int] = {}
    for chunk in range(0, len(rows), 2000):
        wanted = [indexes[r.number] for r in rows[chunk : chunk + 2000]]
        known.update(
            Resident.objects.filter(document_index__in=wanted).values_list("document_index", "id")
        )
    new = []
    for r in rows:
        if indexes[r.number] not in known:
            model = r.data.to_model()
            model.area_code = place.grid.code if place.grid_id else place.area_code
            model.note = force_str(_("Registered from an institution roster"))[:200]
            new.append(model)
    for model in Resident.objects.bulk_create(new, batch_size=2000):
        known[model.document_index] = model.pk
    result.registered = len(new)
    return {r.number: known[indexes[r.number]] for r in rows}


def attach_roster(*, round: TestingRound, roster: InstitutionRoster, user) -> None:
    """Add an institution's roster to a targeted round's scope (its people become expected);
    the institution must lie in the round's areas."""
    require_permission(
        actor=user,
        action="manage_rounds",
        area_code=round.area_code,
        object_type="testing_round",
        object_id=round.pk,
    )
    if round.kind == RoundKind.RETEST:
        raise RuleViolation(
            field="roster",
            code="retest",
            message=_("A retest round tests the people ordered, not institutions."),
        )
    if not any(is_within(roster.area_code, code) for code in round.scope_codes):
        raise RuleViolation(
            field="roster",
            code="out_of_round",
            message=_("This institution lies outside the round's areas."),
        )
    round.rosters.add(roster)
