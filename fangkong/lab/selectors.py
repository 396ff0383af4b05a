"""Reads of the lab: boxes, their tubes and custody, a tube's results. Who may read them is
`authorise_read`: the lab, staff over the round's area and the round's own samplers."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.errors import RuleViolation
from fangkong.testing.models import TestingRound, Tube, TubeState
from fangkong.testing.services.transport import authorise_round

from .models import CustodyEvent, Lab, LabResult, TransportBox


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


def box_tubes(*, box: TransportBox) -> QuerySet[Tube]:
    return Tube.objects.filter(box=box).order_by("barcode")


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
