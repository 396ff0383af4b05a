"""Psychological support: route a counselling request to a counsellor; confidential notes.

Only the assigned counsellor writes notes; only they and the district commander read them,
and every reading is audited like an unmasking (who, which request, why, from where).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import Role, User
from fangkong.accounts.services import require_permission
from fangkong.core.areas import is_within
from fangkong.core.crypto import decrypt, encrypt
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit, refuse

from ..models import CounsellingAssignment, CounsellingNote, ServiceRequest
from .common import bad, log_event, now_or

NOTE_CONTEXT = "services.counselling_note"
MAX_NOTE = 4000


def assign_counsellor(
    *, user, request: ServiceRequest, counsellor: User, now: dt.datetime | None = None
) -> CounsellingAssignment:
    require_permission(
        actor=user,
        action="handle_requests",
        area_code=request.area_code,
        object_type="service_request",
        object_id=request.pk,
    )
    if request.kind != "counselling":
        raise bad(
            "request",
            "not_counselling",
            _("Only a psychological support request has a counsellor."),
        )
    if not request.is_open:
        raise bad("request", "finished", _("This request is already finished."))
    if not counsellor.is_active or not is_within(request.area_code, counsellor.scope_code):
        raise bad(
            "counsellor", "out_of_area", _("The counsellor must be active and serve this area.")
        )
    now = now_or(now)
    with transaction.atomic():
        assignment, _created = CounsellingAssignment.objects.update_or_create(
            request=request,
            defaults={
                "counsellor": counsellor,
                "assigned_at": now,
                "assigned_by": user.get_username(),
            },
        )
        log_event(request, action="assign_counsellor", user=user, at=now)
    return assignment


def _counsellor_of(request: ServiceRequest) -> int | None:
    return (
        CounsellingAssignment.objects.filter(request=request)
        .values_list("counsellor_id", flat=True)
        .first()
    )


def add_counselling_note(
    *, user, request: ServiceRequest, text: str, now: dt.datetime | None = None
) -> CounsellingNote:
    """A confidential note, encrypted; only the assigned counsellor may write one."""
    if _counsellor_of(request) != getattr(user, "pk", None):
        refuse(
            actor=user,
            action="write_counselling_note",
            object_type="counselling_notes",
            object_id=request.pk,
            area_code=request.area_code,
        )
    text = (text or "").strip()
    if not text:
        raise bad("text", "required", _("Write the note."))
    if len(text) > MAX_NOTE:
        raise bad("text", "too_long", _("A note is limited to 4000 characters."))
    now = now_or(now)
    with transaction.atomic():
        note = CounsellingNote.objects.create(
            request=request, at=now, author=user, text_cipher=encrypt(text, context=NOTE_CONTEXT)
        )
        # The history says a note was written, never what it says.
        log_event(request, action="counselling_note", user=user, at=now)
    return note


@dataclass(frozen=True)
class NoteOut:
    at: dt.datetime
    author: str
    text: str


def may_read_notes(user, request: ServiceRequest) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if _counsellor_of(request) == user.pk:
        return True
    return user.role == Role.DISTRICT_COMMANDER and is_within(request.area_code, user.scope_code)


def read_counselling_notes(
    *, user, request: ServiceRequest, reason: str = "", ip: str | None = None
) -> list[NoteOut]:
    """The notes in clear for the counsellor or the commander; the reading is audited."""
    if not may_read_notes(user, request):
        refuse(
            actor=user,
            action="read_counselling_notes",
            object_type="counselling_notes",
            object_id=request.pk,
            area_code=request.area_code,
            ip=ip,
        )
    notes = list(CounsellingNote.objects.filter(request=request).select_related("author"))
    record_audit(
        user=user,
        action=AuditAction.UNMASK,
        object_type="counselling_notes",
        object_id=request.pk,
        area_code=request.area_code,
        reason=(reason or "").strip()[:500],
        ip=ip,
        detail={"notes": len(notes)},
    )
    return [
        NoteOut(n.at, n.author.get_username(), decrypt(n.text_cipher, context=NOTE_CONTEXT))
        for n in notes
    ]
