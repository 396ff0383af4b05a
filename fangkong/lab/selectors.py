"""Reads of the lab: boxes, their tubes and custody, a tube's results. Who may read them is
`authorise_read`: the lab, staff over the round's area and the round's own samplers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.areas import within_q
from fangkong.core.errors import RuleViolation
from fangkong.testing.models import TestingRound, Tube, TubeState
from fangkong.testing.services.transport import authorise_round
from fangkong.zones.protocol_lab import ct_thresholds
from fangkong.zones.protocols import get_preset

from .models import CustodyEvent, Lab, LabResult, ResultStatus, TransportBox


def authorise_read(*, actor, round: TestingRound, object_type: str, object_id) -> None:
    """Labs, staff over the round's area and the round's own samplers may read a box or a
    tube; refusals are audited."""
    if can(actor, "record_results", round.area_code) or can(
        actor, "view_residents", round.area_code
    ):
        return
    authorise_round(
        actor=actor,
        round=round,
        action="register_samples",
        object_type=object_type,
        object_id=object_id,
    )


def find_box(*, code: str) -> TransportBox | None:
    return TransportBox.objects.select_related("round", "lab").filter(code=code).first()


def box_by_code(*, code: str) -> TransportBox:
    """The box with this code, or a 404 rule error."""
    box = find_box(code=code)
    if box is None:
        raise RuleViolation(
            field="code", code="unknown", message=_("No box has this code."), status_code=404
        )
    return box


def _accepted_flag() -> Subquery:
    return Subquery(
        LabResult.objects.filter(tube=OuterRef("pk"), status=ResultStatus.ACCEPTED).values("flag")[
            :1
        ]
    )


def box_tubes(*, box: TransportBox) -> QuerySet[Tube]:
    """A box's tubes, each with the flag of its accepted result (`flag`, None before one)."""
    return Tube.objects.filter(box=box).annotate(flag=_accepted_flag()).order_by("barcode")


def find_tube(*, barcode: str) -> Tube | None:
    return Tube.objects.select_related("round", "box", "station").filter(barcode=barcode).first()


def box_custody(*, box: TransportBox) -> QuerySet[CustodyEvent]:
    return CustodyEvent.objects.filter(box=box)


def recent_boxes(*, lab: Lab, limit: int = 20) -> QuerySet[TransportBox]:
    """The boxes a lab received last, with their tube and resulted counts."""
    return (
        TransportBox.objects.filter(lab=lab)
        .annotate(
            tube_count=Count("tubes"),
            resulted=Count("tubes", filter=Q(tubes__state=TubeState.RESULTED)),
        )
        .order_by("-received_at", "-id")[:limit]
    )


def tube_results(*, tube: Tube) -> QuerySet[LabResult]:
    """Every result posted for a tube, accepted, held or superseded, in order."""
    return LabResult.objects.filter(tube=tube).select_related("lab").order_by("id")


def flagged_results(*, area_code: str, since, until) -> list[dict]:
    """Accepted results flagged for review (Ct in the grey zone) of tubes at or below
    `area_code`, reported in [since, until], oldest first: barcode, result, flag, Ct values."""
    rows = (
        LabResult.objects.filter(
            within_q(area_code, "tube__area_code")
            # A tube without an area of its own lies where its round does.
            | (Q(tube__area_code="") & within_q(area_code, "tube__round__area_code")),
            status=ResultStatus.ACCEPTED,
            reported_at__gte=since,
            reported_at__lte=until,
        )
        .exclude(flag="")
        .order_by("reported_at", "id")
        .values_list("tube__barcode", "result", "flag", "ct_orf1ab", "ct_n")
    )
    return [
        {
            "barcode": barcode,
            "result": result,
            "flag": flag,
            "ct_orf1ab": str(orf) if orf is not None else "",
            "ct_n": str(n) if n is not None else "",
        }
        for barcode, result, flag, orf, n in rows
    ]


def flagged_result(*, tube: Tube) -> LabResult | None:
    """The tube's accepted result when it is flagged for review, with its review if any."""
    return (
        LabResult.objects.filter(tube=tube, status=ResultStatus.ACCEPTED)
        .exclude(flag="")
        .select_related("lab", "tube__round", "review__decided_by")
        .first()
    )


@dataclass(frozen=True)
class TargetRow:
    """One target gene of a result beside the protocol's thresholds for it."""

    gene: str
    ct: Decimal | None
    positive_below: float | None
    negative_from: float | None


def review_targets(*, result: LabResult) -> tuple[str, list[TargetRow]]:
    """The protocol in force (by title) and each target's Ct against its thresholds."""
    preset = get_preset()
    thresholds = ct_thresholds(preset.data) if preset is not None else {}
    rows = []
    for gene, ct in (("ORF1ab", result.ct_orf1ab), ("N", result.ct_n)):
        positive_below, negative_from = thresholds.get(gene, (None, None))
        rows.append(TargetRow(gene, ct, positive_below, negative_from))
    return (preset.title or str(preset)) if preset is not None else "", rows
