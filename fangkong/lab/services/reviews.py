"""The district CDC's review of a borderline result (指标稍高 / 弱阳性).

A flagged result opens a review task for the CDC (`command.handlers`); the review closes it
with a decision and its reason:

- keep negative (维持阴性): nothing more is done for the people;
- single-tube retest (复采复检): the pool's people get single-tube retest orders, through
  testing's `respond_to_pool` as a negative pool's retest would;
- treat as positive (按阳性处置): the pool takes the path of a presumptive-positive result
  (retests at home, stay-home status, `PoolPositive` and its incident).

A weak positive has already taken the positive path when it was recorded, so it cannot be
kept negative here, and its retests are not ordered twice. A result is reviewed once: the same
form sent again answers with the first review, another review is refused (409).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.errors import RuleViolation
from fangkong.core.events import publish
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit, refuse
from fangkong.testing.models import Result
from fangkong.testing.services.pools import respond_to_pool
from fangkong.testing.services.transport import lock_tubes
from fangkong.work.models import Task, TaskState

from ..events import ResultReviewed
from ..models import LabResult, ResultFlag, ResultReview, ResultStatus, ReviewDecision

REASON_MAX = 500


@dataclass
class ReviewOutcome:
    review: ResultReview
    replayed: bool = False


def review_area(result: LabResult) -> str:
    tube = result.tube
    return tube.area_code or tube.round.area_code


def review_task_key(result: LabResult) -> str:
    """The key of the review task the flag opened (see command.handlers)."""
    return f"review:{result.pk}"


def _check(*, result: LabResult, decision: str, reason: str, user, ip: str | None) -> str:
    """The reason, trimmed, once the reviewer and the decision are allowed; else the rule."""
    area = review_area(result)
    if not can(user, "review_results", area):
        refuse(
            actor=user,
            action="review_results",
            object_type="lab_result",
            object_id=result.pk,
            area_code=area,
            ip=ip,
            message=_(
                "Only the district CDC or the district commander records the review of a "
                "borderline result, in their own area."
            ),
        )
    if not result.flag or result.status != ResultStatus.ACCEPTED:
        raise RuleViolation(
            field="result",
            code="not_flagged",
            message=_(
                "Only an accepted result flagged slightly high or weak positive is reviewed."
            ),
        )
    if decision not in ReviewDecision.values:
        raise RuleViolation(
            field="decision",
            code="choice",
            message=_("Choose keep negative, single-tube retest or treat as positive."),
        )
    if result.flag == ResultFlag.WEAK_POSITIVE and decision == ReviewDecision.CONFIRM_NEGATIVE:
        raise RuleViolation(
            field="decision",
            code="weak_positive",
            message=_(
                "A weak positive has already been handled as positive: its people have "
                "single-tube retests, and those results decide."
            ),
        )
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(
            field="reason", code="required", message=_("Give the reason for the decision.")
        )
    if len(reason) > REASON_MAX:
        raise RuleViolation(
            field="reason", code="too_long", message=_("Keep the reason under 500 characters.")
        )
    return reason


def _already(review: ResultReview) -> RuleViolation:
    return RuleViolation(
        field="decision",
        code="already_reviewed",
        message=_("This result was already reviewed (%(decision)s, %(at)s).")
        % {
            "decision": review.get_decision_display(),
            "at": timezone.localtime(review.decided_at).strftime("%Y-%m-%d %H:%M"),
        },
        status_code=409,
    )


def _respond(result: LabResult, decision: str, at: dt.datetime, events: list) -> int:
    """What the decision does for the pool's people; returns the retest orders created."""
    if result.flag == ResultFlag.WEAK_POSITIVE or decision == ReviewDecision.CONFIRM_NEGATIVE:
        return 0
    tube = lock_tubes(barcodes=[result.tube.barcode])[result.tube.barcode]
    # A retest is ordered as for a pool whose result asks for no alarm; "treat as positive"
    # is the presumptive positive's own path.
    as_result = (
        Result.PRESUMPTIVE_POSITIVE
        if decision == ReviewDecision.TREAT_POSITIVE
        else (Result.NEGATIVE)
    )
    return respond_to_pool(tube=tube, result=as_result, at=at, events=events)


def record_review(
    *,
    result: LabResult,
    decision: str,
    reason: str,
    user,
    idempotency_key: str,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> ReviewOutcome:
    """Record the CDC's decision on a flagged result, act on it, close the review task.

    The same `idempotency_key` again returns the first review and writes nothing; any other
    second review is refused with 409.
    """
    reason = _check(result=result, decision=decision, reason=reason, user=user, ip=ip)
    key = (idempotency_key or "").strip()[:64]
    if not key:
        raise RuleViolation(
            field="idempotency_key", code="required", message=_("Reload the page and send again.")
        )
    now = now or timezone.now()
    with transaction.atomic():
        # Two reviewers at once queue on the result's row; the second sees the first review.
        LabResult.objects.select_for_update().filter(pk=result.pk).first()
        existing = ResultReview.objects.filter(result=result).first()
        if existing is not None:
            if existing.idempotency_key == key:
                return ReviewOutcome(review=existing, replayed=True)
            raise _already(existing)
        if ResultReview.objects.filter(idempotency_key=key).exists():
            raise RuleViolation(
                field="idempotency_key",
                code="reused",
                message=_("Reload the page and send again."),
                status_code=409,
            )
        events: list = []
        orders = _respond(result, decision, now, events)
        review = ResultReview.objects.create(
            result=result,
            decision=decision,
            reason=reason,
            decided_by=user,
            decided_at=now,
            retest_orders=orders,
            idempotency_key=key,
        )
        Task.objects.filter(key=review_task_key(result), state=TaskState.OPEN).update(
            state=TaskState.DONE, done_at=now, updated_at=now
        )
        area = review_area(result)
        record_audit(
            user=user,
            action=AuditAction.RESULT_REVIEWED,
            object_type="lab_result",
            object_id=result.pk,
            area_code=area,
            reason=reason,
            ip=ip,
            detail={"decision": decision, "flag": result.flag, "retest_orders": orders},
        )
        events.append(
            (
                ResultReviewed(
                    area_code=area,
                    result_id=result.pk,
                    barcode=result.tube.barcode,
                    flag=result.flag,
                    decision=decision,
                    retest_orders=orders,
                    reviewer=user.get_username(),
                ),
                now,
            )
        )
        for event, at in events:
            publish(event, occurred_at=at)
    return ReviewOutcome(review=review)
