"""Sampling codes (采样码): a signed QR payload that registers a person in one scan.

It carries only the registry's internal number and a signature — no name, ID or phone — so a
printed card for an elderly person without a phone reveals nothing if lost, and a forged or
altered code is refused.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation

PREFIX = "FKSC"
_SALT = "fangkong.people.sampling-code"


def _signer() -> signing.Signer:
    return signing.Signer(key=settings.SIGNING_KEY, salt=_SALT, sep=".")


def sampling_code_for(resident_id: int) -> str:
    return f"{PREFIX}.{_signer().sign(str(resident_id))}"


def resident_id_from_code(code: str, *, field: str = "sampling_code") -> int:
    text = (code or "").strip()
    if not text.startswith(PREFIX + "."):
        raise RuleViolation(
            field=field, code="format", message=_("This is not a Fangkong sampling code.")
        )
    try:
        return int(_signer().unsign(text[len(PREFIX) + 1 :]))
    except (signing.BadSignature, ValueError):
        raise RuleViolation(
            field=field, code="signature", message=_("The sampling code is forged or damaged.")
        ) from None
