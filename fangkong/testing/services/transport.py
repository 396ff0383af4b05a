"""Tube state machine after sampling, and the transport box's chain of custody.

open → sealed → boxed → received → resulted; every other transition is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import RuleViolation

from ..models import (
    BoxState,
    CustodyEvent,
    Lab,
    TestingRound,
    TransportBox,
    Tube,
    TubeKind,
    TubeState,
)

TRANSITIONS = {
    TubeState.OPEN: {TubeState.SEALED},
    TubeState.SEALED: {TubeState.BOXED},
    TubeState.BOXED: {TubeState.RECEIVED, TubeState.SEALED},  # unpacked before hand-over
    TubeState.RECEIVED: {TubeState.RESULTED},
    TubeState.RESULTED: set(),
}


def check_transition(tube: Tube, target: str) -> None:
    if target not in TRANSITIONS[TubeState(tube.state)]:
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
    from django.db.models import Q

    from fangkong.accounts.models import DeviceToken
    from fangkong.accounts.permissions import can

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
        check_transition(tube, TubeState.SEALED)
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
        if tube.kind != TubeKind.ENVIRONMENT:
            raise RuleViolation(
                field="tube_barcode", code="kind", message=_("This is not an environmental tube.")
            )
        if swab_points < 1:
            raise RuleViolation(
                field="swab_points", code="range", message=_("At least one swab point.")
            )
        check_transition(tube, TubeState.SEALED)
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


def pack_box(
    *,
    code: str,
    round: TestingRound,
    barcodes: Sequence[str],
    actor,
    by: str,
    now: dt.datetime | None = None,
) -> TransportBox:
    """Pack sealed tubes into a new transport box; all or nothing."""
    authorise_round(
        actor=actor, round=round, action="register_samples", object_type="box", object_id=code
    )
    with transaction.atomic():
        if not code.strip():
            raise RuleViolation(field="code", code="required", message=_("A box code is required."))
        if TransportBox.objects.filter(code=code).exists():
            raise RuleViolation(
                field="code",
                code="duplicate",
                message=_("A box with this code exists."),
                status_code=409,
            )
        if not barcodes:
            raise RuleViolation(
                field="barcodes", code="required", message=_("A box holds at least one tube.")
            )
        tubes = list(Tube.objects.select_for_update().filter(barcode__in=set(barcodes)))
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
                    message=_("Tube %(barcode)s belongs to another round.")
                    % {"barcode": tube.barcode},
                )
            check_transition(tube, TubeState.BOXED)
        now = now or timezone.now()
        box = TransportBox.objects.create(
            code=code, round=round, area_code=round.area_code, packed_at=now
        )
        Tube.objects.filter(pk__in=[t.pk for t in tubes]).update(
            state=TubeState.BOXED, box=box, updated_at=now
        )
        CustodyEvent.objects.create(box=box, kind=CustodyEvent.Kind.PACKED, at=now, by=by)
        return box


def hand_box_to_courier(
    *, box: TransportBox, courier: str, actor, now: dt.datetime | None = None
) -> TransportBox:
    authorise_round(
        actor=actor,
        round=box.round,
        action="register_samples",
        object_type="box",
        object_id=box.code,
    )
    with transaction.atomic():
        if box.state != BoxState.PACKING:
            raise RuleViolation(
                field="box",
                code="illegal_transition",
                message=_("This box was already handed over."),
                status_code=409,
            )
        if not courier.strip():
            raise RuleViolation(field="courier", code="required", message=_("Name the courier."))
        now = now or timezone.now()
        box.state, box.handed_at, box.courier = BoxState.IN_TRANSIT, now, courier.strip()
        box.save(update_fields=["state", "handed_at", "courier", "updated_at"])
        CustodyEvent.objects.create(
            box=box, kind=CustodyEvent.Kind.HANDED, at=now, by=courier.strip()
        )
        return box


def receive_box(
    *, box: TransportBox, lab: Lab, actor, by: str, now: dt.datetime | None = None
) -> TransportBox:
    """The lab receives a box: its tubes become `received` and results may now be posted."""
    lab_ok = getattr(actor, "labs", None) is not None and actor.labs.filter(pk=lab.pk).exists()
    if not lab_ok:
        deny(
            actor=actor,
            action="record_results",
            area_code=box.area_code,
            object_type="box",
            object_id=box.code,
        )
    require_permission(
        actor=actor,
        action="record_results",
        area_code=box.area_code,
        object_type="box",
        object_id=box.code,
    )
    with transaction.atomic():
        if box.state != BoxState.IN_TRANSIT:
            raise RuleViolation(
                field="box",
                code="illegal_transition",
                message=_("Only a box in transit can be received."),
                status_code=409,
            )
        now = now or timezone.now()
        box.state, box.lab, box.received_at, box.received_by = BoxState.RECEIVED, lab, now, by
        box.save(update_fields=["state", "lab", "received_at", "received_by", "updated_at"])
        Tube.objects.filter(box=box, state=TubeState.BOXED).update(
            state=TubeState.RECEIVED, updated_at=now
        )
        CustodyEvent.objects.create(box=box, kind=CustodyEvent.Kind.RECEIVED, at=now, by=by)
        return box
