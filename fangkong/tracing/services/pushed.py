"""Pushed lists (协查): a file of thousands of people arrives (often at night) and must be
verified the same day. Rows are matched to the registry by document or phone through the blind
indexes (a set-based lookup per chunk), each is dispatched to its grid as a verification task
with the day's end as deadline, and closed there with an outcome."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from fangkong.accounts.services import require_permission
from fangkong.core.documents import DocumentType, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.core.masking import mask_document, mask_phone
from fangkong.people.models import Resident
from fangkong.people.services import document_index, normalise_phone, phone_index
from fangkong.work.models import Task, TaskState

from ..models_pushed import Outcome, PushedList, PushedRow

COLUMNS = ("name", "document_type", "document_number", "phone")
CHUNK = 2000
TASK_KIND = "verification"


def _rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line, {column: text}) from a .csv or .xlsx file, streamed."""
    if path.suffix.lower() == ".xlsx":
        sheet = load_workbook(path, read_only=True, data_only=True).active
        lines = (
            [("" if c is None else str(c)) for c in row]
            for row in sheet.iter_rows(values_only=True)
        )
    else:
        lines = csv.reader(path.open(newline="", encoding="utf-8-sig"))
    header = [h.strip() for h in next(lines, [])]
    missing = [c for c in ("name", "document_number", "phone") if c not in header]
    if missing:
        raise RuleViolation(
            field="file",
            code="columns",
            message=_("The file lacks the columns: %(cols)s.") % {"cols": ", ".join(missing)},
        )
    at = {c: header.index(c) for c in COLUMNS if c in header}
    for line, row in enumerate(lines, start=2):
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in at.items()}
        if any(cells.values()):
            yield line, cells


def _row(pushed: PushedList, line: int, cells: dict) -> PushedRow:
    row = PushedRow(pushed_list=pushed, line=line, person_name=cells["name"][:64])
    notes = []
    if cells.get("document_number"):
        try:
            doc = validate_document(
                cells.get("document_type") or DocumentType.RESIDENT_ID, cells["document_number"]
            )
            row.document_type, row.document_index = doc.type, document_index(doc.type, doc.number)
            row.document_masked = mask_document(doc.number)
        except RuleViolation as exc:
            notes.append(str(exc.message))
    if cells.get("phone"):
        try:
            phone = normalise_phone(cells["phone"])
            row.phone_index, row.phone_masked = phone_index(phone), mask_phone(phone)
        except RuleViolation as exc:
            notes.append(str(exc.message))
    row.note = " ".join(notes)[:200]
    return row


def _match(rows: list[PushedRow], default_area: str) -> None:
    """Each row's resident (by document, else by phone) and grid: two queries a chunk, reading
    only ids and grids (whole residents, ciphers and all, cost more than the rest of the row)."""
    docs = {r.document_index for r in rows if r.document_index}
    phones = {r.phone_index for r in rows if r.phone_index}
    by_doc = {
        index: (pk, area)
        for index, pk, area in Resident.objects.filter(document_index__in=docs).values_list(
            "document_index", "id", "area_code"
        )
    }
    by_phone: dict[str, tuple[int, str]] = {}
    # A phone shared in a household names its first registered member.
    for index, pk, area in (
        Resident.objects.filter(phone_index__in=phones)
        .order_by("id")
        .values_list("phone_index", "id", "area_code")
    ):
        by_phone.setdefault(index, (pk, area))
    for r in rows:
        found = by_doc.get(r.document_index) or by_phone.get(r.phone_index)
        r.resident_id, r.area_code = found if found else (None, default_area)


def import_pushed_list(
    *, user, path: str | Path, name: str, source: str = "", received_at: dt.datetime | None = None
) -> PushedList:
    """Import, match and dispatch a pushed list; the deadline is the end of the day it came."""
    require_permission(
        actor=user, action="manage_tracing", area_code=user.scope_code, object_type="pushed_list"
    )
    received_at = received_at or timezone.now()
    day_end = dt.datetime.combine(
        timezone.localdate(received_at), dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone()
    )
    with transaction.atomic():
        pushed = PushedList.objects.create(
            name=name.strip()[:200] or Path(path).name,
            source=source.strip()[:200],
            area_code=user.scope_code,
            received_at=received_at,
            deadline=day_end,
            created_by=user,
        )
        stream = _rows(Path(path))
        while chunk := list(itertools.islice(stream, CHUNK)):
            rows = [_row(pushed, line, cells) for line, cells in chunk]
            _match(rows, pushed.area_code)
            PushedRow.objects.bulk_create(rows)
            Task.objects.bulk_create(
                [
                    Task(
                        key=f"pushed:{pushed.pk}:{r.line}",
                        kind=TASK_KIND,
                        title=str(
                            _("Verify %(person)s (%(list)s)")
                            % {
                                "person": r.document_masked or r.phone_masked or r.person_name,
                                "list": pushed.name,
                            }
                        )[:200],
                        detail={"pushed_list": pushed.pk, "line": r.line},
                        area_code=r.area_code,
                        due_at=day_end,
                    )
                    for r in rows
                ]
            )
    return pushed


def close_row(*, user, row: PushedRow, outcome: str, note: str = "") -> PushedRow:
    """Close one row with what the grid found; its verification task is done."""
    require_permission(
        actor=user,
        action="verify_pushed_lists",
        area_code=row.area_code,
        object_type="pushed_row",
        object_id=row.pk,
    )
    if outcome not in Outcome.values or outcome == Outcome.PENDING:
        raise RuleViolation(field="outcome", code="unknown", message=_("Choose what was found."))
    with transaction.atomic():
        row = PushedRow.objects.select_for_update().get(pk=row.pk)
        row.outcome, row.closed_at = outcome, timezone.now()
        row.note = (note.strip() or row.note)[:200]
        row.save(update_fields=["outcome", "closed_at", "note", "updated_at"])
        Task.objects.filter(key=f"pushed:{row.pushed_list_id}:{row.line}").update(
            state=TaskState.DONE, done_at=row.closed_at
        )
    return row
