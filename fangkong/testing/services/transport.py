"""Tube state machine after sampling: open → sealed → boxed → received → resulted.

Every transition locks the tube's row (`select_for_update`) inside the service's transaction
and checks the state on the locked row, so two transitions of one tube run one after the
other and the second sees what the first wrote (sealing cannot turn a packed tube back into
a sealed one). Boxes and their chain of custody are the lab's: it moves tubes through the
functions here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken
from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation

from ..models import TestingRound, Tube, TubeKind, TubeState

TRANSITIONS = {
    TubeState.OPEN: {TubeState.SEALED},
    TubeState.SEALED: {TubeState.BOXED},
    TubeState.BOXED: {TubeState.RECEIVED, TubeState.SEALED},  # unpacked before hand-over
    TubeState.RECEIVED: {TubeState.RESULTED},
    TubeState.RESULTED: set(),
}


def check_transition(tube: Tube, target: str, *, only_from: str | None = None) -> None:
    """Refuse (409) a transition the state machine does not allow; `only_from` narrows it to
    one source state (sealing is from open only: a boxed tube is unpacked, never sealed)."""
    allowed = target in TRANSITIONS[TubeState(tube.state)]
    if not allowed or (only_from is not None and tube.state != only_from):
        raise RuleViolation(
            field="tube_barcode",
            code="illegal_transition",
            message=_("Tube %(barcode)s is %(state)s and cannot become %(target)s.")
            % {
                "barcode": tube.barcode,
                "state": TubeState(tube.state).label,
                "target": TubeState(target).label,
            },
            status_code=409,
        )


def authorise_round(
    *, actor, round: TestingRound, action: str, object_type: str, object_id
) -> None:
    """Samplers work on tubes and boxes of the rounds whose stations they are bound to; other
    roles need the round's whole area in their scope. Refusals are audited."""
    if action == "register_samples" and can(actor, action):
        bound = Q(devices=actor) if isinstance(actor, DeviceToken) else Q(samplers=actor)
        if round.stations.filter(bound).exists():
            return
    require_permission(
        actor=actor,
        action=action,
        area_code=round.area_code,
        object_type=object_type,
        object_id=object_id,
    )


def tube_round(*, round_id: int, actor) -> TestingRound:
    """The round a device or user registers tubes for, if they may (404 if there is none)."""
    round_ = TestingRound.objects.filter(pk=round_id).first()
    if round_ is None:
        raise RuleViolation(
            field="round", code="unknown", message=_("No round has this id."), status_code=404
        )
    authorise_round(
        actor=actor,
        round=round_,
        action="register_samples",
        object_type="testing_round",
        object_id=round_.pk,
    )
    return round_


def _tube(barcode: str) -> Tube:
    tube = Tube.objects.select_related("round").filter(barcode=barcode).first()
    if tube is None:
        raise RuleViolation(
            field="tube_barcode",
            code="unknown",
            message=_("No tube has this barcode."),
            status_code=404,
        )
    return tube


def _locked(tube: Tube) -> Tube:
    """The tube's row as it is now, locked until the transaction ends."""
    locked = Tube.objects.select_for_update().get(pk=tube.pk)
    locked.round = tube.round  # the round never changes; no second read of it
    return locked


def seal_tube(*, barcode: str, actor, now: dt.datetime | None = None) -> Tube:
    """Seal a tube before it is full (end of a shift, a queue that ran out)."""
    tube = _tube(barcode)
    authorise_round(
        actor=actor,
        round=tube.round,
        action="register_samples",
        object_type="tube",
        object_id=barcode,
    )
    with transaction.atomic():
        tube = _locked(tube)
        check_transition(tube, TubeState.SEALED, only_from=TubeState.OPEN)
        if tube.kind == TubeKind.PEOPLE and tube.sample_count == 0:
            raise RuleViolation(
                field="tube_barcode",
                code="empty",
                message=_("An empty tube is not sealed: use it for the next person."),
            )
        tube.state, tube.sealed_at = TubeState.SEALED, now or timezone.now()
        tube.save(update_fields=["state", "sealed_at", "updated_at"])
        return tube


def record_environment_tube(
    *, barcode: str, swab_points: int, actor, now: dt.datetime | None = None
) -> Tube:
    """An environmental tube (e.g. 80 swab points in 8 tubes) is sealed when collected."""
    tube = _tube(barcode)
    authorise_round(
        actor=actor,
        round=tube.round,
        action="register_samples",
        object_type="tube",
        object_id=barcode,
    )
    with transaction.atomic():
        tube = _locked(tube)
        if tube.kind != TubeKind.ENVIRONMENT:
            raise RuleViolation(
                field="tube_barcode", code="kind", message=_("This is not an environmental tube.")
            )
        if swab_points < 1:
            raise RuleViolation(
                field="swab_points", code="range", message=_("At least one swab point.")
            )
        check_transition(tube, TubeState.SEALED, only_from=TubeState.OPEN)
        tube.swab_points, tube.state, tube.sealed_at = (
            swab_points,
            TubeState.SEALED,
            now or timezone.now(),
        )
        tube.first_sample_at = tube.first_sample_at or tube.sealed_at
        tube.save(
            update_fields=["swab_points", "state", "sealed_at", "first_sample_at", "updated_at"]
        )
        return tube


def lock_tubes(*, barcodes: Sequence[str]) -> dict[str, Tube]:
    """The tubes with these barcodes (with their round), locked until the caller's
    transaction ends; in a fixed order, so two callers locking overlapping sets queue
    instead of deadlocking."""
    tubes = (
        Tube.objects.select_for_update(of=("self",))
        .select_related("round")
        .filter(barcode__in=set(barcodes))
        .order_by("pk")
    )
    return {t.barcode: t for t in tubes}


def box_tubes(
    *, round: TestingRound, barcodes: Sequence[str], box_id: int, now: dt.datetime
) -> list[Tube]:
    """Sealed tubes of `round` go into box `box_id`, all or none. Runs inside the packing
    service's transaction (the lab's `pack_box`), which creates the box."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("box_tubes runs inside the packing transaction")
    tubes = list(lock_tubes(barcodes=barcodes).values())
    missing = set(barcodes) - {t.barcode for t in tubes}
    if missing:
        raise RuleViolation(
            field="barcodes",
            code="unknown",
            message=_("Unknown tube: %(barcode)s") % {"barcode": sorted(missing)[0]},
        )
    for tube in tubes:
        if tube.round_id != round.pk:
            raise RuleViolation(
                field="barcodes",
                code="other_round",
                message=_("Tube %(barcode)s belongs to another round.") % {"barcode": tube.barcode},
            )
        check_transition(tube, TubeState.BOXED)
    Tube.objects.filter(pk__in=[t.pk for t in tubes]).update(
        state=TubeState.BOXED, box_id=box_id, updated_at=now
    )
    return tubes


def receive_boxed_tubes(*, box_id: int, now: dt.datetime) -> int:
    """The packed tubes of box `box_id` reach the lab; returns how many. Runs inside the
    receiving service's transaction (the lab's `receive_box`)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("receive_boxed_tubes runs inside the receiving transaction")
    tubes = Tube.objects.select_for_update().filter(box_id=box_id).order_by("pk")
    boxed = [t.pk for t in tubes if t.state == TubeState.BOXED]
    return Tube.objects.filter(pk__in=boxed).update(state=TubeState.RECEIVED, updated_at=now)
