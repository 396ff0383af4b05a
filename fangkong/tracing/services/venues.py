"""Venues and their signed codes (场所码): the QR on the poster names the venue and is signed,
so a code printed by someone else is refused at the scanner."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import District

from ..models import Venue, VenueKind

_SALT = "fangkong.tracing.venue"
QR_PREFIX = "FKV1:"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get read aloud


def _signer() -> signing.Signer:
    return signing.Signer(key=settings.SIGNING_KEY, salt=_SALT, sep=".")


def venue_qr_payload(venue: Venue) -> str:
    """What the venue's QR code holds: its code, signed."""
    return QR_PREFIX + _signer().sign(venue.code)


def resolve_venue_code(text: str, *, field: str = "venue_code") -> str:
    """A venue code from what a scanner read: a signed QR payload or the plain code."""
    text = text.strip()
    if not text.startswith(QR_PREFIX):
        return text
    try:
        return _signer().unsign(text.removeprefix(QR_PREFIX))
    except signing.BadSignature:
        raise RuleViolation(
            field=field, code="bad_signature", message=_("This venue code was not issued here.")
        ) from None


def default_venue_area() -> str:
    """Where a venue first seen in an import is filed until someone places it: the district."""
    district = District.objects.order_by("code").values_list("code", flat=True).first()
    return district or ""


def _new_code() -> str:
    return "V" + "".join(secrets.choice(_ALPHABET) for _ in range(9))


def create_venue(
    *, user, name: str, kind: str, area_code: str, address: str = "", code: str = ""
) -> Venue:
    """Register a venue in the user's scope; a code is made up unless the platform's is given."""
    try:
        area = AreaCode.parse(area_code)
    except ValueError:
        raise RuleViolation(
            field="area_code", code="invalid", message=_("Not an area code.")
        ) from None
    require_permission(actor=user, action="manage_tracing", area_code=area, object_type="venue")
    if kind not in VenueKind.values:
        raise RuleViolation(field="kind", code="unknown", message=_("Unknown kind of venue."))
    name = name.strip()
    if not name:
        raise RuleViolation(field="name", code="required", message=_("A venue needs a name."))
    code = code.strip()
    if code.startswith(QR_PREFIX) or len(code) > 64:
        raise RuleViolation(field="code", code="invalid", message=_("Not a venue code."))
    try:
        with transaction.atomic():
            return Venue.objects.create(
                code=code or _new_code(),
                name=name[:200],
                kind=kind,
                area_code=area,
                address=address.strip()[:200],
            )
    except IntegrityError:
        raise RuleViolation(
            field="code", code="taken", message=_("Another venue has this code.")
        ) from None
