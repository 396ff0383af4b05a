"""Passes through a zone's checkpoints: issued, revoked, and their QR code.

A pass's QR code carries only `FKPS.<number>.<signature>`: no name, no document.
"""

from __future__ import annotations

import datetime as dt
import re

import segno
from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import User
from fangkong.accounts.services import require_permission
from fangkong.core.documents import normalise
from fangkong.core.errors import RuleViolation
from fangkong.core.masking import mask_name
from fangkong.people.models import Resident

from ..models import Pass, PassPurpose, PassSubject, RiskZone

PASS_PREFIX = "FKPS"  # noqa: S105 - a QR prefix, not a secret
_PASS_SALT = "fangkong.zones.pass"  # noqa: S105 - a signing salt (namespace), not a key
MAX_PASS_DAYS = 30


def _bad(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


def _signer() -> signing.Signer:
    return signing.Signer(key=settings.SIGNING_KEY, salt=_PASS_SALT, sep=".")


def pass_code(p: Pass) -> str:
    return f"{PASS_PREFIX}.{_signer().sign(str(p.pk))}"


def pass_qr_svg(p: Pass) -> str:
    return segno.make(pass_code(p), error="m").svg_inline(scale=4)


def pass_id_from_code(code: str) -> int:
    try:
        return int(_signer().unsign(code[len(PASS_PREFIX) + 1 :]))
    except (signing.BadSignature, ValueError):
        raise _bad("code", "pass_forged", _("The pass is forged or damaged.")) from None


def issue_pass(
    *,
    zone: RiskZone,
    user,
    subject: str,
    purpose: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    resident: Resident | None = None,
    holder_name: str = "",
    plate: str = "",
    note: str = "",
) -> Pass:
    """A pass for a person (a resident, or staff by name) or a vehicle (by plate)."""
    require_permission(
        actor=user,
        action="issue_passes",
        area_code=zone.area_code,
        object_type="risk_zone",
        object_id=zone.pk,
    )
    if not zone.is_active:
        raise _bad("zone", "ended", _("This zone has already ended."))
    if subject not in PassSubject.values:
        raise _bad("subject", "choice", _("A pass is for a person or a vehicle."))
    if purpose not in PassPurpose.values:
        raise _bad("purpose", "choice", _("Unknown purpose."))
    if valid_until <= valid_from:
        raise _bad("valid_until", "order", _("The pass must end after it starts."))
    if valid_until - valid_from > dt.timedelta(days=MAX_PASS_DAYS):
        raise _bad("valid_until", "too_long", _("A pass is valid for 30 days at most."))
    plate = normalise(plate or "")
    if subject == PassSubject.VEHICLE and not re.fullmatch(r"[\w]{5,10}", plate):
        raise _bad("plate", "required", _("A vehicle pass needs the plate number."))
    holder = mask_name(resident.name) if resident is not None else mask_name(holder_name.strip())
    if subject == PassSubject.PERSON and not holder:
        raise _bad(
            "holder_name", "required", _("Whose pass is it? Pick a resident or give a name.")
        )
    return Pass.objects.create(
        zone=zone,
        subject=subject,
        purpose=purpose,
        resident=resident,
        holder=holder,
        plate=plate if subject == PassSubject.VEHICLE else "",
        valid_from=valid_from,
        valid_until=valid_until,
        issued_by=user if isinstance(user, User) else None,
        issued_by_name=user.get_username(),
        note=(note or "").strip()[:200],
        area_code=zone.area_code,
    )


def revoke_pass(*, pass_: Pass, user, reason: str, now: dt.datetime | None = None) -> Pass:
    require_permission(
        actor=user,
        action="issue_passes",
        area_code=pass_.area_code,
        object_type="pass",
        object_id=pass_.pk,
    )
    if pass_.revoked_at:
        raise _bad("pass", "revoked", _("The pass is already revoked."))
    if not (reason or "").strip():
        raise _bad("reason", "required", _("Say why: the reason is recorded."))
    pass_.revoked_at = now or timezone.now()
    pass_.revoked_by_name = user.get_username()
    pass_.revoke_reason = reason.strip()[:200]
    pass_.save(update_fields=["revoked_at", "revoked_by_name", "revoke_reason", "updated_at"])
    return pass_
