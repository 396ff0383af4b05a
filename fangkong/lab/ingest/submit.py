"""Submitting parsed results: refusals decided (and audited) first, then every readable row
recorded through `record_results`, and every row answered in order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import PermissionDeniedError
from fangkong.testing.models import Tube

from ..models import BoxState, Lab
from ..services.results import record_results
from .rows import IngestReport, Parsed, RowOutcome


def check_custody(*, lab: Lab, barcodes: Iterable[str], actor) -> None:
    """A lab reports only tubes of boxes it received: a tube another lab received is refused
    (403, audited) for the whole request, because that is someone else's specimen."""
    foreign = (
        Tube.objects.filter(barcode__in=set(barcodes), box__state=BoxState.RECEIVED)
        .exclude(box__lab=lab)
        .values_list("barcode", "area_code")
        .order_by("barcode")
        .first()
    )
    if foreign is None:
        return
    barcode, area_code = foreign
    try:
        deny(
            actor=actor,
            action="record_results",
            area_code=area_code,
            object_type="tube",
            object_id=barcode,
        )
    except PermissionDeniedError as exc:
        refusal = PermissionDeniedError(
            field="tube_barcode",
            code="other_lab",
            message=_(
                "Tube %(barcode)s is in a box another laboratory received: your laboratory "
                "cannot report it. Nothing in this request was recorded."
            )
            % {"barcode": barcode},
        )
        refusal.take_audit(exc)  # deny() wrote its row; the edge must not write a second
        raise refusal from exc


def authorise_submission(*, lab: Lab, parsed: Parsed, actor) -> None:
    """Refuse (403, audited) an actor who may not report results, or rows of another lab's
    tubes. Call it before opening a transaction too: a refusal inside one would roll its
    audit entry back with everything else."""
    require_permission(actor=actor, action="record_results", object_type="lab", object_id=lab.pk)
    check_custody(
        lab=lab, barcodes=[r.item.tube_barcode for r in parsed.rows if r.item], actor=actor
    )


def submit_results(
    *, lab: Lab, parsed: Parsed, actor, now: dt.datetime | None = None
) -> IngestReport:
    """Record every readable row through `record_results` and answer every row in order."""
    authorise_submission(lab=lab, parsed=parsed, actor=actor)
    readable = [r for r in parsed.rows if r.item is not None]
    outcomes = {}
    if readable:
        batch = record_results(
            lab=lab, items=[r.item for r in readable], actor=actor, source=parsed.source, now=now
        )
        outcomes = {id(row): outcome for row, outcome in zip(readable, batch.items, strict=True)}
    report = IngestReport(source=parsed.source, unit=parsed.unit, ignored=parsed.ignored)
    for row in parsed.rows:
        if row.error is not None:
            out = RowOutcome(
                row=row.row,
                tube_barcode=row.tube_barcode,
                status="rejected",
                field=row.error.field,
                code=row.error.code,
                message=row.error.message,
            )
        else:
            o = outcomes[id(row)]
            out = RowOutcome(
                row=row.row,
                tube_barcode=o.tube_barcode,
                status=o.status,
                retest_orders=o.retest_orders,
                flag=o.flag,
                field=o.field,
                code=o.code,
                message=o.message,
            )
        report.rows.append(out)
        if out.status == "held_for_review":
            report.held += 1
        elif out.status in ("accepted", "unchanged", "rejected"):
            setattr(report, out.status, getattr(report, out.status) + 1)
    return report
