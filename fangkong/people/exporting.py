"""Export residents to Excel: the resident list's filters, the user's scope, masked numbers."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.documents import DocumentType, normalise
from fangkong.core.masking import mask_document, mask_name, mask_numbers_in_text, mask_phone
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit
from fangkong.geo.selectors import get_node

from . import excel_columns, excel_write
from .models import Residency, ResidentStatus, Sex, Tag
from .selectors import ResidentFilter, list_residents

EXPORT_FIELDS = (
    "seq",
    "name",
    "sex",
    "birth_date",
    "document_type",
    "document_number",
    "phone",
    "grid",
    "compound",
    "building",
    "entrance",
    "room",
    "residency",
    "tags",
    "status",
    "note",
)
WIDTHS = (6, 10, 6, 12, 12, 22, 15, 12, 14, 8, 6, 8, 10, 20, 8, 16)


@dataclass(frozen=True)
class ExportResult:
    rows: int
    content: bytes | None = None  # the workbook, when no output was given


def _labels(chinese: bool) -> dict[str, dict[str, str]]:
    """Cell words for choices: the importer's Chinese vocabulary, or the English labels."""
    if chinese:
        return {
            "sex": dict(excel_columns.SEX_ZH),
            "residency": dict(excel_columns.RESIDENCY_ZH),
            "status": dict(excel_columns.STATUS_ZH),
            "tags": dict(excel_columns.TAG_ZH),
            "document_type": dict(excel_columns.DOCUMENT_TYPE_ZH),
        }
    return {
        name: {value: force_str(label) for value, label in choices.choices}
        for name, choices in (
            ("sex", Sex),
            ("residency", Residency),
            ("status", ResidentStatus),
            ("tags", Tag),
            ("document_type", DocumentType),
        )
    }


def _rows(residents, chinese: bool) -> Iterator[list]:
    words = _labels(chinese)
    separator = "、" if chinese else ", "
    for seq, r in enumerate(residents, start=1):
        home = r.household
        building = home.building if home else None
        yield [
            seq,
            r.name,
            words["sex"].get(r.sex, ""),
            r.birth_date,
            words["document_type"].get(r.document_type, r.document_type),
            # Masked forms only: the clear numbers are never decrypted for an export.
            r.document_masked,
            r.phone_masked,
            building.grid.name if building else "",
            building.compound.name if building and building.compound else "",
            building.name if building else "",
            home.entrance if home else "",
            home.room if home else "",
            words["residency"].get(r.residency, r.residency),
            separator.join(words["tags"].get(t.tag, t.tag) for t in r.tags.all()),
            words["status"].get(r.status, r.status),
            # Free text: whatever number was typed into it leaves masked too.
            mask_numbers_in_text(r.note),
        ]


def _audit_filters(filters: ResidentFilter) -> dict:
    """The filters for the audit log, with a searched name or number masked."""
    used = {k: v for k, v in dataclasses.asdict(filters).items() if v not in (None, "")}
    if "q" in used:
        term = normalise(str(used["q"]))
        if term.isdigit() and len(term) == 11:
            used["q"] = mask_phone(term)
        elif len(term) in (15, 18) and term[:15].isdigit():
            used["q"] = mask_document(term)
        else:
            used["q"] = mask_name(str(used["q"]).strip())
    return used


def export_residents(
    *,
    user,
    filters: ResidentFilter,
    output: BinaryIO | str | Path | None = None,
    ip: str | None = None,
) -> ExportResult:
    """Write the residents the user may see and the filters select to an Excel workbook.

    ID and phone numbers are masked; the workbook is streamed (openpyxl write-only), so a
    large export does not build every cell in memory. Audited with the filters and row count.
    Returns the workbook's bytes when `output` (a path or binary file) is not given.
    """
    require_permission(actor=user, action="export_residents", object_type="residents", ip=ip)
    chinese = excel_columns.wants_chinese()
    residents = (
        list_residents(user=user, filters=filters)
        .select_related("household__building__compound", "household__building__grid")
        .prefetch_related("tags")
        .iterator(chunk_size=2000)
    )
    area = get_node(filters.area_code or user.scope_code)
    title = _("Residents of %(area)s, exported %(time)s; ID and phone numbers are masked") % {
        "area": area.name if area is not None and hasattr(area, "name") else user.scope_code,
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    target = io.BytesIO() if output is None else output
    if isinstance(target, Path):
        target = str(target)
    count = excel_write.write_sheet(
        target,
        sheet_title=force_str(_("Residents")),
        title=title,
        headers=[excel_columns.COLUMN_BY_FIELD[f].label(chinese) for f in EXPORT_FIELDS],
        rows=_rows(residents, chinese),
        text_columns={EXPORT_FIELDS.index("document_number"), EXPORT_FIELDS.index("phone")},
        widths=WIDTHS,
    )
    record_audit(
        user=user,
        action=AuditAction.EXPORT,
        object_type="resident",
        area_code=filters.area_code or user.scope_code,
        ip=ip,
        detail={"filters": _audit_filters(filters), "rows": count},
    )
    return ExportResult(rows=count, content=target.getvalue() if output is None else None)
