"""Lab results: each applied whole or not at all.

Unknown tubes, tubes not received by the reporting lab and malformed values are refused with
a reason. A second, different result for a tube (the typed-barcode duplicate) is held for
review and never overwrites the first. What an accepted result means for the people behind
the tube (retests, the positive-pool response, its events) is testing's
`pools.record_tube_result`, called on the tube locked here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.events import publish
from fangkong.testing.models import Result, Tube, TubeState
from fangkong.testing.services.pools import record_tube_result
from fangkong.testing.services.transport import lock_tubes

from ..events import ResultFlagged
from ..models import BoxState, Lab, LabResult, ResultStatus, TransportBox
from .borderline import Thresholds, borderline_flag, current_thresholds


@dataclass
class ResultIn:
    tube_barcode: str
    result: str
    ct_orf1ab: object = None
    ct_n: object = None
    reported_at: dt.datetime | None = None


@dataclass
class ResultOutcome:
    index: int
    tube_barcode: str
    status: str = "accepted"  # accepted | unchanged | held_for_review | rejected
    retest_orders: int = 0
    flag: str = ""  # slightly_high | weak_positive: Ct in the grey zone, for review
    field: str | None = None
    code: str | None = None
    message: str | None = None


@dataclass
class ResultsBatch:
    accepted: int = 0
    held: int = 0
    rejected: int = 0
    items: list[ResultOutcome] = field(default_factory=list)


def lab_for(actor, lab_id: int | None = None) -> Lab:
    """The lab an actor reports for: a device bound to one lab, or a member of it."""
    manager = getattr(actor, "labs", None)
    labs = manager.all() if manager is not None else Lab.objects.none()
    if lab_id is not None:
        labs = labs.filter(pk=lab_id)
    lab = labs.first()
    if lab is None:
        raise PermissionDeniedError(
            field="lab", code="no_lab", message=_("You are not bound to a laboratory.")
        )
    return lab


def _ct(value, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        ct = Decimal(str(value)).quantize(Decimal("0.1"))
    except InvalidOperation:
        raise RuleViolation(
            field=name, code="format", message=_("A Ct value is a number.")
        ) from None
    if ct.is_nan() or not Decimal(0) < ct <= Decimal(50):
        raise RuleViolation(
            field=name, code="range", message=_("A Ct value lies between 0 and 50.")
        )
    return ct


@dataclass
class _Batch:
    """What one call of `record_results` works on: the locked tubes, their boxes, the results
    accepted so far (a tube twice in one batch) and the events to publish at the end."""

    lab: Lab
    actor: object
    source: str
    now: dt.datetime
    tubes: dict[str, Tube]
    boxes: dict[int, TransportBox]
    thresholds: Thresholds = field(default_factory=dict)
    accepted_now: dict[int, LabResult] = field(default_factory=dict)
    events: list = field(default_factory=list)


def _checked_row(item: ResultIn, batch: _Batch) -> LabResult:
    """The result row an item would write, or the rule it breaks."""
    if item.result not in Result.values:
        raise RuleViolation(
            field="result",
            code="choice",
            message=_("Result is negative, positive, presumptive_positive or invalid."),
        )
    ct_orf1ab, ct_n = _ct(item.ct_orf1ab, "ct_orf1ab"), _ct(item.ct_n, "ct_n")
    reported_at = item.reported_at or batch.now
    if reported_at > batch.now + dt.timedelta(minutes=15):
        raise RuleViolation(
            field="reported_at", code="future", message=_("reported_at is in the future.")
        )
    tube = batch.tubes.get(item.tube_barcode)
    if tube is None:
        raise RuleViolation(
            field="tube_barcode", code="unknown", message=_("No tube has this barcode.")
        )
    box = batch.boxes.get(tube.box_id)
    if box is None or box.lab_id != batch.lab.pk or box.state != BoxState.RECEIVED:
        raise RuleViolation(
            field="tube_barcode",
            code="not_received",
            message=_("This tube is not in a box your lab received."),
        )
    return LabResult(
        tube=tube,
        lab=batch.lab,
        result=item.result,
        ct_orf1ab=ct_orf1ab,
        ct_n=ct_n,
        reported_at=reported_at,
        source=batch.source,
        reported_by=batch.actor.get_username(),
        flag=borderline_flag(
            result=item.result, ct_orf1ab=ct_orf1ab, ct_n=ct_n, thresholds=batch.thresholds
        ),
    )


def _record_one(item: ResultIn, out: ResultOutcome, batch: _Batch) -> None:
    row = _checked_row(item, batch)
    tube = row.tube
    first = batch.accepted_now.get(tube.pk) or (
        LabResult.objects.filter(tube=tube, status=ResultStatus.ACCEPTED).first()
        if tube.state == TubeState.RESULTED
        else None
    )
    if first is not None:
        if (first.result, first.ct_orf1ab, first.ct_n) == (row.result, row.ct_orf1ab, row.ct_n):
            out.status = "unchanged"
            return
        row.status = ResultStatus.HELD
        row.save()
        out.status, out.code = "held_for_review", "conflict"
        out.message = force_str(_("This tube already has a different result: held for review."))
        return
    if tube.state != TubeState.RECEIVED:
        raise RuleViolation(
            field="tube_barcode",
            code="not_received",
            message=_("This tube has not been received."),
        )
    row.save()
    batch.accepted_now[tube.pk] = row
    out.retest_orders = record_tube_result(
        tube=tube, result=row.result, at=row.reported_at, events=batch.events
    )
    if row.flag:
        out.flag = row.flag
        batch.events.append((_flagged(row), row.reported_at))


def _flagged(row: LabResult) -> ResultFlagged:
    tube = row.tube
    return ResultFlagged(
        area_code=tube.area_code or tube.round.area_code,
        result_id=row.pk,
        tube_id=tube.pk,
        barcode=tube.barcode,
        result=row.result,
        flag=row.flag,
        ct_orf1ab=str(row.ct_orf1ab) if row.ct_orf1ab is not None else "",
        ct_n=str(row.ct_n) if row.ct_n is not None else "",
        round_id=tube.round_id,
        members=tube.sample_count,
    )


def _authorise(*, lab: Lab, actor) -> None:
    require_permission(actor=actor, action="record_results", object_type="lab", object_id=lab.pk)
    bound = getattr(actor, "labs", None)
    if bound is None or not bound.filter(pk=lab.pk).exists():
        deny(actor=actor, action="record_results", object_type="lab", object_id=lab.pk)


def record_results(
    *,
    lab: Lab,
    items: Sequence[ResultIn],
    actor,
    source: str = "api",
    now: dt.datetime | None = None,
) -> ResultsBatch:
    """Apply lab results; each item is accepted, unchanged, held for review or rejected."""
    _authorise(lab=lab, actor=actor)
    if not items:
        raise RuleViolation(
            field="results", code="required", message=_("Send at least one result.")
        )
    answer = ResultsBatch()
    with transaction.atomic():
        # The tubes are locked before their state is read: a result and a receipt (or a
        # second lab system posting the same tube) queue on the tube's row.
        tubes = lock_tubes(barcodes=[i.tube_barcode for i in items])
        boxes = TransportBox.objects.in_bulk({t.box_id for t in tubes.values() if t.box_id})
        batch = _Batch(
            lab=lab,
            actor=actor,
            source=source,
            now=now or timezone.now(),
            tubes=tubes,
            boxes=boxes,
            thresholds=current_thresholds(),
        )
        for index, item in enumerate(items):
            out = ResultOutcome(index=index, tube_barcode=item.tube_barcode)
            answer.items.append(out)
            try:
                _record_one(item, out, batch)
            except RuleViolation as exc:
                out.status, out.field, out.code = "rejected", exc.field, exc.code
                out.message = force_str(exc.message)
            if out.status == "accepted":
                answer.accepted += 1
            elif out.status == "held_for_review":
                answer.held += 1
            elif out.status == "rejected":
                answer.rejected += 1
        for event, at in batch.events:
            publish(event, occurred_at=at)
    return answer
