"""The transport box and its chain of custody: packing → in transit → received.

Every transition locks the box's row (`select_for_update`) inside the service's transaction
and checks the state on the locked row, not on the caller's copy: a hand-over and a receipt
of one box run one after the other, and a stale copy cannot send a received box back into
transit. The tubes' own states are testing's (`testing.services.transport`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import deny, require_permission
from fangkong.core.errors import RuleViolation
from fangkong.testing.models import TestingRound
from fangkong.testing.services.transport import authorise_round, box_tubes, receive_boxed_tubes

from ..models import BoxState, CustodyEvent, Lab, TransportBox


def _locked(box: TransportBox) -> TransportBox:
    """The box's row as it is now, locked until the transaction ends."""
    return TransportBox.objects.select_for_update().get(pk=box.pk)


def _refresh(box: TransportBox, locked: TransportBox) -> TransportBox:
    """The caller's copy takes what was written, so it can be passed on to the next step."""
    for name in ("state", "lab_id", "handed_at", "courier", "received_at", "received_by"):
        setattr(box, name, getattr(locked, name))
    box.updated_at = locked.updated_at
    return box


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
        now = now or timezone.now()
        box = TransportBox.objects.create(
            code=code, round=round, area_code=round.area_code, packed_at=now
        )
        # Refused tubes roll the new box back with them.
        box_tubes(round=round, barcodes=barcodes, box_id=box.pk, now=now)
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
        locked = _locked(box)
        if locked.state != BoxState.PACKING:
            raise RuleViolation(
                field="box",
                code="illegal_transition",
                message=_("This box was already handed over."),
                status_code=409,
            )
        if not courier.strip():
            raise RuleViolation(field="courier", code="required", message=_("Name the courier."))
        now = now or timezone.now()
        locked.state, locked.handed_at, locked.courier = BoxState.IN_TRANSIT, now, courier.strip()
        locked.save(update_fields=["state", "handed_at", "courier", "updated_at"])
        CustodyEvent.objects.create(
            box=locked, kind=CustodyEvent.Kind.HANDED, at=now, by=courier.strip()
        )
        return _refresh(box, locked)


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
        locked = _locked(box)
        if locked.state != BoxState.IN_TRANSIT:
            raise RuleViolation(
                field="box",
                code="illegal_transition",
                message=_("Only a box in transit can be received."),
                status_code=409,
            )
        now = now or timezone.now()
        locked.state, locked.lab, locked.received_at, locked.received_by = (
            BoxState.RECEIVED,
            lab,
            now,
            by,
        )
        locked.save(update_fields=["state", "lab", "received_at", "received_by", "updated_at"])
        receive_boxed_tubes(box_id=locked.pk, now=now)
        CustodyEvent.objects.create(box=locked, kind=CustodyEvent.Kind.RECEIVED, at=now, by=by)
        return _refresh(box, locked)
