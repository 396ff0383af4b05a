"""Rows whose ID number is stored under another name: held for review, never written over the
stored person, and decided one by one by staff of the person's area."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.errors import RuleViolation
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit, refuse

from .import_checks import NAME_CONFLICT, CheckedRow
from .models import ConflictState, ImportConflict


def hold_conflicts(*, rows: list[CheckedRow], user, file_sha256: str) -> int:
    """Hold each row for review (one open question per person: a later upload replaces it).

    Runs inside the import batch's transaction; returns the number of rows held.
    """
    residents = [v.existing.pk for v in rows]
    ImportConflict.objects.filter(resident_id__in=residents, state=ConflictState.OPEN).delete()
    conflicts = []
    for v in rows:
        data, stored = v.data, v.existing
        conflicts.append(
            ImportConflict(
                resident=stored,
                area_code=stored.area_code,
                source_row=v.row.number,
                file_sha256=file_sha256,
                name=data.name,
                household=v.home,
                uploaded_by=user,
                **data.phone_fields(),
            )
        )
        v.notes.append(
            RuleViolation(
                field="name",
                code=NAME_CONFLICT,
                message=_(
                    "This ID number is registered under another name: nothing was changed; "
                    "the row waits for review."
                ),
            )
        )
    ImportConflict.objects.bulk_create(conflicts)
    return len(conflicts)


def resolve_import_conflict(*, conflict_id: int, user, apply: bool, ip: str | None = None):
    """Take the file's name, address and phone (`apply`) or keep the stored ones; audited.

    Only staff who may import into the person's area decide; a decided conflict stays decided.
    """
    # Checked before the transaction opens, so the audited refusal is not rolled back.
    area_code = (
        ImportConflict.objects.filter(pk=conflict_id).values_list("area_code", flat=True).first()
    )
    if area_code is None or not can(user, "import_residents", area_code):
        refuse(
            actor=user,
            action="import_residents",
            object_type="import_conflict",
            object_id=conflict_id,
            area_code=area_code or "",
            ip=ip,
            message=_("You may not decide this conflict."),
        )
    with transaction.atomic():
        conflict = (
            # The conflict and its person are locked; the household (nullable) only read.
            ImportConflict.objects.select_for_update(of=("self", "resident"))
            .select_related("resident", "household")
            .get(pk=conflict_id)
        )
        if conflict.state != ConflictState.OPEN:
            raise RuleViolation(
                field="state", code="decided", message=_("This conflict has already been decided.")
            )
        resident = conflict.resident
        if apply:
            resident.name = conflict.name
            if conflict.household is not None:
                resident.household = conflict.household
                resident.area_code = conflict.household.area_code
            if conflict.phone_cipher:
                resident.phone_cipher = conflict.phone_cipher
                resident.phone_index = conflict.phone_index
                resident.phone_masked = conflict.phone_masked
            resident.save()
        conflict.state = ConflictState.APPLIED if apply else ConflictState.KEPT
        conflict.decided_by = user
        conflict.decided_at = timezone.now()
        conflict.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
        record_audit(
            user=user,
            action=AuditAction.IMPORT,
            object_type="import_conflict",
            object_id=conflict.pk,
            area_code=conflict.area_code,
            ip=ip,
            detail={"resident": resident.pk, "decision": conflict.state},
        )
    return conflict
