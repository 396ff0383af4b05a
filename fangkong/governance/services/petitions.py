"""Petitions under 信访工作条例 (2022): registration, acknowledgement, objection, reply,
review and re-review within their windows, and termination after re-review."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.crypto import blind_index
from fangkong.core.documents import validate_resident_id
from fangkong.core.masking import mask_document

from ..calendar import official_calendar
from ..models import (
    MAX_REPRESENTATIVES,
    GovCase,
    Petition,
    PetitionClass,
    PetitionReview,
    ReplyOutcome,
    ReviewLevel,
    Source,
)
from .common import bad, log_event, require_reason
from .intake import report_case

PETITIONER_CONTEXT = "petition.petitioner"
ACKNOWLEDGE_DAYS = 15  # §22
OBJECTION_WORKING_DAYS = 5  # §23
APPLICATION_DAYS = 30  # §35, §36: applying for review or re-review
ANSWER_DAYS = 30  # §35, §36: answering it


def subject_key(subject: str) -> str:
    """The subject as compared for "the same claim": no spaces, punctuation or case."""
    return re.sub(r"[\W_]+", "", subject).lower()


def register_petition(
    *,
    user,
    petitioner_id: str,
    subject: str,
    petition_class: str,
    title: str,
    area_code: str,
    description: str = "",
    representatives: int = 1,
    now: dt.datetime | None = None,
) -> GovCase:
    """登记: a petition enters as a case; a claim already re-reviewed is not accepted again."""
    number = validate_resident_id(petitioner_id, field="petitioner_id").number
    if petition_class not in PetitionClass.values:
        raise bad("petition_class", "invalid", _("Choose the class of the petition."))
    if not 1 <= representatives <= MAX_REPRESENTATIVES:
        raise bad(
            "representatives", "too_many", _("A group petition names at most five representatives.")
        )
    key = subject_key(subject)
    if not key:
        raise bad("subject", "required", _("Name the subject of the petition."))
    index = blind_index(number, context=PETITIONER_CONTEXT)
    if Petition.objects.filter(petitioner_index=index, subject_key=key, terminated=True).exists():
        raise bad(
            "subject",
            "terminated",
            _("This claim was re-reviewed already and is not accepted again (§36)."),
        )
    with transaction.atomic():
        case = report_case(
            user=user,
            kind="petition",
            source=Source.PETITION_OFFICE,
            title=title,
            description=description,
            area_code=area_code,
            now=now,
        )
        Petition.objects.create(
            case=case,
            petitioner_index=index,
            petitioner_masked=mask_document(number),
            subject=subject.strip(),
            subject_key=key,
            petition_class=petition_class,
            representatives=representatives,
        )
    return case


def _petition(case: GovCase, user) -> Petition:
    require_permission(
        actor=user,
        action="handle_cases",
        area_code=case.area_code,
        object_type="gov_case",
        object_id=case.pk,
    )
    petition = Petition.objects.select_for_update().filter(case=case).first()
    if petition is None:
        raise bad("case", "kind", _("This case is not a petition."))
    return petition


def acknowledge_petition(*, case: GovCase, user, on: dt.date | None = None) -> Petition:
    """书面告知: acknowledged in writing; later than 15 days is recorded as late."""
    on = on or timezone.localdate()
    with transaction.atomic():
        petition = _petition(case, user)
        if petition.acknowledged_on is not None:
            raise bad("acknowledged_on", "done", _("The petition is already acknowledged."))
        petition.acknowledged_on = on
        petition.save(update_fields=["acknowledged_on", "updated_at"])
        due = official_calendar().add_calendar_days(
            timezone.localdate(case.received_at), ACKNOWLEDGE_DAYS
        )
        log_event(
            case,
            action="acknowledge",
            user=user,
            from_stage=case.stage,
            detail={"on": on.isoformat(), "late": on > due},
        )
    return petition


def object_to_petition(*, case: GovCase, user, reason: str, on: dt.date | None = None) -> Petition:
    """异议: a body that is not responsible says so within 5 working days of receiving it."""
    reason, on = require_reason(reason), on or timezone.localdate()
    due = official_calendar().add_working_days(
        timezone.localdate(case.received_at), OBJECTION_WORKING_DAYS
    )
    if on > due:
        raise bad("objected_on", "late", _("An objection comes within 5 working days (§23)."))
    with transaction.atomic():
        petition = _petition(case, user)
        petition.objected_on, petition.objection = on, reason
        petition.save(update_fields=["objected_on", "objection", "updated_at"])
        log_event(case, action="object", user=user, from_stage=case.stage, reason=reason)
    return petition


def reply_petition(
    *, case: GovCase, user, outcome: str, text: str, on: dt.date | None = None
) -> Petition:
    """处理意见书: supported, explained or not supported, after acceptance."""
    text, on = require_reason(text), on or timezone.localdate()
    if outcome not in ReplyOutcome.values:
        raise bad("outcome", "invalid", _("Choose the outcome of the reply."))
    with transaction.atomic():
        petition = _petition(case, user)
        if case.accepted_at is None:
            raise bad("case", "stage", _("Accept the petition before replying."))
        if petition.replied_on is not None:
            raise bad("replied_on", "done", _("The petition has been replied to already."))
        petition.reply_outcome, petition.replied_on = outcome, on
        petition.save(update_fields=["reply_outcome", "replied_on", "updated_at"])
        log_event(
            case,
            action="reply",
            user=user,
            from_stage=case.stage,
            reason=text,
            detail={"outcome": outcome},
        )
    return petition


def apply_for_review(
    *, case: GovCase, user, level: str, applied_on: dt.date | None = None
) -> PetitionReview:
    """复查 within 30 days of the reply; 复核 within 30 days of the review's answer."""
    applied_on = applied_on or timezone.localdate()
    calendar = official_calendar()
    with transaction.atomic():
        petition = _petition(case, user)
        if level == ReviewLevel.REVIEW:
            since = petition.replied_on
        elif level == ReviewLevel.RE_REVIEW:
            review = petition.reviews.filter(level=ReviewLevel.REVIEW).first()
            since = review.answered_on if review else None
        else:
            raise bad("level", "invalid", _("Choose review or re-review."))
        if since is None:
            raise bad("level", "too_early", _("There is nothing to review yet."))
        if applied_on > calendar.add_calendar_days(since, APPLICATION_DAYS):
            raise bad("applied_on", "late", _("The application came after its 30 days."))
        if petition.reviews.filter(level=level).exists():
            raise bad("level", "done", _("This review has been applied for already."))
        review = PetitionReview.objects.create(
            petition=petition,
            level=level,
            applied_on=applied_on,
            due_on=calendar.add_calendar_days(applied_on, ANSWER_DAYS),
        )
        log_event(case, action=f"apply_{level}", user=user, from_stage=case.stage)
    return review


def answer_review(
    *, review: PetitionReview, user, outcome: str, on: dt.date | None = None
) -> PetitionReview:
    """The answer to a review; the re-review's answer ends the matter (终结)."""
    on = on or timezone.localdate()
    if outcome not in ReplyOutcome.values:
        raise bad("outcome", "invalid", _("Choose the outcome of the reply."))
    case = review.petition.case
    with transaction.atomic():
        petition = _petition(case, user)
        review = PetitionReview.objects.select_for_update().get(pk=review.pk)
        if review.answered_on is not None:
            raise bad("review", "done", _("This review has been answered already."))
        review.answered_on, review.outcome = on, outcome
        review.save(update_fields=["answered_on", "outcome", "updated_at"])
        if review.level == ReviewLevel.RE_REVIEW:
            petition.terminated = True
            petition.save(update_fields=["terminated", "updated_at"])
        log_event(
            case,
            action=f"answer_{review.level}",
            user=user,
            from_stage=case.stage,
            detail={"outcome": outcome, "late": on > review.due_on},
        )
    return review
