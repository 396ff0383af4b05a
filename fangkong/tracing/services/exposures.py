"""Judging exposure candidates (研判): each is accepted as a tier or rejected with a reason;
nothing becomes a contact without a person's decision."""

from __future__ import annotations

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation

from ..models import ContactTier, Decision, ExposureDecision, VenueScan

_SALT = "fangkong.tracing.subject"


def subject_token(*, index: str, masked: str) -> str:
    """The person under investigation, for a page's forms: signed, with no clear number."""
    return signing.dumps({"i": index, "m": masked}, salt=_SALT)


def read_subject_token(token: str) -> tuple[str, str]:
    try:
        data = signing.loads(token, salt=_SALT, max_age=12 * 3600)
    except signing.BadSignature:
        raise RuleViolation(
            field="subject", code="invalid", message=_("Search for the person again.")
        ) from None
    return data["i"], data["m"]


def decide_exposure(
    *, user, subject: str, source_id: str, decision: str, tier: str = "", reason: str = ""
) -> ExposureDecision:
    """Record (or change) the decision on one candidate scan of the person in `subject`."""
    subject_index, subject_masked = read_subject_token(subject)
    reason = reason.strip()[:200]
    if decision == Decision.ACCEPTED:
        if tier not in ContactTier.values:
            raise RuleViolation(field="tier", code="required", message=_("Choose a tier."))
    elif decision == Decision.REJECTED:
        tier = ""
        if not reason:
            raise RuleViolation(
                field="reason", code="required", message=_("Say why the candidate is rejected.")
            )
    else:
        raise RuleViolation(field="decision", code="unknown", message=_("Accept or reject."))
    scan = VenueScan.objects.select_related("venue").filter(source_id=source_id).first()
    if scan is None or scan.document_index == subject_index:
        raise RuleViolation(
            field="source_id", code="unknown", message=_("No such scan is kept any more.")
        )
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=scan.venue.area_code,
        object_type="exposure",
        object_id=source_id,
    )
    fields = {
        "subject_masked": subject_masked,
        "venue": scan.venue,
        "area_code": scan.venue.area_code,
        "scanned_at": scan.scanned_at,
        "document_type": scan.document_type,
        "document_cipher": scan.document_cipher,
        "document_index": scan.document_index,
        "document_masked": scan.document_masked,
        "decision": decision,
        "tier": tier,
        "reason": reason,
        "decided_by": user,
    }
    with transaction.atomic():
        row = (
            ExposureDecision.objects.select_for_update()
            .filter(subject_index=subject_index, source_id=source_id)
            .first()
        )
        if row is None:
            return ExposureDecision.objects.create(
                subject_index=subject_index, source_id=source_id, **fields
            )
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        return row
