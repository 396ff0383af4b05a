"""Writes and rules for residents: register, update, unmask (audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core import crypto
from fangkong.core.documents import Document, normalise, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.core.masking import mask_document, mask_guardian, mask_phone
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit, refuse
from fangkong.geo.models import Household

from .models import Residency, Resident, ResidentTag, Tag

DOCUMENT_CONTEXT = "resident.document"
PHONE_CONTEXT = "resident.phone"
GUARDIAN_CONTEXT = "resident.guardian"


def document_index(document_type: str, number: str) -> str:
    return crypto.blind_index(f"{document_type}:{number}", context=DOCUMENT_CONTEXT)


def phone_index(phone: str) -> str:
    return crypto.blind_index(phone, context=PHONE_CONTEXT)


def normalise_phone(raw: object, *, field: str = "phone") -> str:
    """Mainland mobile (11 digits from 1) or a landline with area code; '' when blank."""

    if raw is None:
        return ""
    if isinstance(raw, float):
        raw = f"{raw:.0f}"
    text = normalise(str(raw)).removeprefix("+86").removeprefix("0086")
    if not text:
        return ""
    if not (text.isdigit() and ((len(text) == 11 and text[0] == "1") or 7 <= len(text) <= 12)):
        raise RuleViolation(
            field=field,
            code="format",
            message=_("A phone number is an 11-digit mobile number or a landline with area code."),
        )
    return text


@dataclass
class ResidentData:
    """A validated resident, ready to be written; built by `prepare_resident`."""

    name: str
    document: Document | None
    phone: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    household_id: int | None = None
    area_code: str = ""
    residency: str = Residency.REGISTERED
    tags: set[str] = field(default_factory=set)
    needs_follow_up: bool = False
    note: str = ""
    guardian: str = ""

    def document_fields(self) -> dict:
        if self.document is None:
            return {"document_cipher": "", "document_index": None, "document_masked": ""}
        return {
            "document_type": self.document.type,
            "document_cipher": crypto.encrypt(self.document.number, context=DOCUMENT_CONTEXT),
            "document_index": document_index(self.document.type, self.document.number),
            "document_masked": mask_document(self.document.number),
            "document_converted": self.document.converted_from_15,
        }

    def phone_fields(self) -> dict:
        if not self.phone:
            return {"phone_cipher": "", "phone_index": "", "phone_masked": ""}
        return {
            "phone_cipher": crypto.encrypt(self.phone, context=PHONE_CONTEXT),
            "phone_index": phone_index(self.phone),
            "phone_masked": mask_phone(self.phone),
        }

    def guardian_fields(self) -> dict:
        if not self.guardian:
            return {"guardian_cipher": "", "guardian_masked": ""}
        return {
            "guardian_cipher": crypto.encrypt(self.guardian, context=GUARDIAN_CONTEXT),
            "guardian_masked": mask_guardian(self.guardian)[:120],
        }

    def to_model(self) -> Resident:
        return Resident(
            name=self.name,
            sex=self.sex,
            birth_date=self.birth_date,
            household_id=self.household_id,
            area_code=self.area_code,
            residency=self.residency,
            needs_follow_up=self.needs_follow_up,
            note=self.note,
            **self.document_fields(),
            **self.phone_fields(),
            **self.guardian_fields(),
        )


def prepare_resident(
    *,
    name: str,
    document_type: str | None,
    document_number: object,
    phone: object = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    household: Household | None = None,
    residency: str = Residency.REGISTERED,
    tags: set[str] | None = None,
    note: str = "",
    guardian: str = "",
) -> ResidentData:
    """Validate one resident's fields; raises RuleViolation naming the first bad field."""
    name = (name or "").strip()
    if not name:
        raise RuleViolation(field="name", code="required", message=_("A name is required."))
    if len(name) > 64:
        raise RuleViolation(
            field="name", code="length", message=_("A name has at most 64 characters.")
        )
    document = None
    if document_number not in (None, ""):
        document = validate_document(document_type or "resident_id", document_number)
    if residency not in Residency.values:
        raise RuleViolation(field="residency", code="choice", message=_("Unknown residency."))
    unknown = set(tags or ()) - set(Tag.values)
    if unknown:
        raise RuleViolation(field="tags", code="choice", message=_("Unknown tag."))
    if document is not None and document.birth_date:
        if birth_date and birth_date != document.birth_date:
            raise RuleViolation(
                field="birth_date",
                code="mismatch",
                message=_("The birth date differs from the one in the ID number."),
            )
        birth_date = document.birth_date
        sex = document.sex or sex
    if sex and sex not in ("M", "F"):
        raise RuleViolation(field="sex", code="choice", message=_("Sex must be male or female."))
    return ResidentData(
        name=name,
        document=document,
        phone=normalise_phone(phone),
        sex=sex or "",
        birth_date=birth_date,
        household_id=household.pk if household else None,
        area_code=household.area_code if household else "",
        residency=residency,
        tags=set(tags or ()),
        needs_follow_up=document is None or document.converted_from_15,
        note=note,
        guardian=(guardian or "").strip(),
    )


def find_resident_by_document(document_type: str, number: str) -> Resident | None:
    return Resident.objects.filter(
        document_type=document_type, document_index=document_index(document_type, number)
    ).first()


def register_resident(*, data: ResidentData, user) -> Resident:
    """Create a resident in the user's scope; a known document is refused, not duplicated."""

    # Checked before the transaction opens, so the audited refusal is not rolled back.
    require_permission(
        actor=user,
        action="edit_residents",
        area_code=data.area_code or None,
        object_type="household",
        object_id=data.household_id or "",
    )
    with transaction.atomic():
        if data.document and find_resident_by_document(data.document.type, data.document.number):
            raise RuleViolation(
                field="document_number",
                code="duplicate",
                message=_("A resident with this document is already registered."),
            )
        resident = data.to_model()
        resident.save()
        ResidentTag.objects.bulk_create(
            [ResidentTag(resident=resident, tag=t) for t in sorted(data.tags)]
        )
        return resident


def unmask_resident(
    *, resident: Resident, user, reason: str, ip: str | None = None
) -> dict[str, str]:
    """The clear document and phone numbers (and guardian), for a user allowed to see them; always audited.

    A refusal is audited too, so attempts to look where one may not are visible.
    """
    reason = (reason or "").strip()
    if not can(user, "unmask_personal_data", resident.area_code):
        refuse(
            actor=user,
            action="unmask_personal_data",
            object_type="resident",
            object_id=resident.pk,
            area_code=resident.area_code,
            reason=reason,
            ip=ip,
            message=_("You may not see this resident's personal data."),
        )
    if len(reason) < 2:
        raise RuleViolation(
            field="reason", code="required", message=_("Say why you need to see the numbers.")
        )
    record_audit(
        user=user,
        action=AuditAction.UNMASK,
        object_type="resident",
        object_id=resident.pk,
        area_code=resident.area_code,
        reason=reason,
        ip=ip,
    )
    return {
        "document_number": crypto.decrypt(resident.document_cipher, context=DOCUMENT_CONTEXT)
        if resident.document_cipher
        else "",
        "phone": crypto.decrypt(resident.phone_cipher, context=PHONE_CONTEXT)
        if resident.phone_cipher
        else "",
        "guardian": crypto.decrypt(resident.guardian_cipher, context=GUARDIAN_CONTEXT)
        if resident.guardian_cipher
        else "",
    }
