"""Checkpoints on a zone's boundary, their guards and duty log. Passes are in `passes`, the
decision at the gate in `gate`.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import DeviceToken, Role, User
from fangkong.accounts.services import deny, require_permission
from fangkong.core.areas import AreaCode
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Community, Place, PlaceKind

from ..models import (
    Checkpoint,
    DutyKind,
    DutyLogEntry,
    RiskZone,
)


def _bad(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


def _boundary_point(zone: RiskZone) -> dict | None:
    """A corner of the zone's shape (the southernmost vertex): where a gate would stand."""
    polygons = (zone.geometry or {}).get("coordinates") or []
    vertices = [pt for poly in polygons for ring in poly[:1] for pt in ring]
    if not vertices:
        return None
    lon, lat = min(vertices, key=lambda p: (p[1], p[0]))
    return {"type": "Point", "coordinates": [lon, lat]}


def _new_place(zone: RiskZone, name: str) -> Place:
    community_code = AreaCode(zone.area_code).community
    if community_code.count("-") != 2:
        first = zone.members.order_by("code").first()
        community_code = AreaCode(first.area_code).community
    community = Community.objects.get(code=community_code)
    taken = Place.objects.filter(code__startswith=community_code + "-P").aggregate(m=Max("code"))
    last = taken["m"]
    number = int(re.sub(r"\D", "", last.rsplit("-P", 1)[1]) or 0) + 1 if last else 1
    return Place.objects.create(
        code=f"{community_code}-P{number:02d}",
        name_zh=name,
        kind=PlaceKind.CHECKPOINT,
        community=community,
        area_code=community_code,
        geometry=_boundary_point(zone),
    )


def set_up_checkpoint(
    *, zone: RiskZone, user, place: Place | None = None, name: str = "", guards=()
) -> Checkpoint:
    """A checkpoint of the zone at a checkpoint place (a new place on the boundary if none)."""
    require_permission(
        actor=user,
        action="manage_zones",
        area_code=zone.area_code,
        object_type="risk_zone",
        object_id=zone.pk,
    )
    if not zone.is_active:
        raise _bad("zone", "ended", _("This zone has already ended."))
    name = (name or "").strip()
    if place is not None and place.kind != PlaceKind.CHECKPOINT:
        raise _bad("place", "kind", _("Checkpoints stand at places of kind checkpoint."))
    if place is None and not name:
        raise _bad("name", "required", _("Name the new checkpoint or pick a checkpoint place."))
    with transaction.atomic():
        place = place or _new_place(zone, name)
        checkpoint, _created = Checkpoint.objects.get_or_create(
            zone=zone,
            place=place,
            defaults={"name": name or place.name_zh, "area_code": place.area_code},
        )
        for guard in guards:
            assign_guard(checkpoint=checkpoint, guard=guard, user=user)
    return checkpoint


def assign_guard(*, checkpoint: Checkpoint, guard: User, user) -> None:
    require_permission(
        actor=user,
        action="manage_zones",
        area_code=checkpoint.area_code,
        object_type="checkpoint",
        object_id=checkpoint.pk,
    )
    if guard.role != Role.CHECKPOINT_GUARD:
        raise _bad("guard", "role", _("Only checkpoint guards can be put on a checkpoint."))
    checkpoint.guards.add(guard)


def authorise_guard(*, checkpoint: Checkpoint, actor) -> None:
    """A guard of this checkpoint, or a guard device whose area holds it; refusals audited."""
    require_permission(
        actor=actor,
        action="guard_checkpoint",
        area_code=checkpoint.area_code,
        object_type="checkpoint",
        object_id=checkpoint.pk,
    )
    if not isinstance(actor, DeviceToken) and not checkpoint.guards.filter(pk=actor.pk).exists():
        deny(
            actor=actor,
            action="guard_checkpoint",
            area_code=checkpoint.area_code,
            object_type="checkpoint",
            object_id=checkpoint.pk,
        )


def log_duty(
    *,
    checkpoint: Checkpoint,
    actor,
    kind: str,
    note: str = "",
    quantity: int | None = None,
    counterpart: str = "",
    now: dt.datetime | None = None,
) -> DutyLogEntry:
    authorise_guard(checkpoint=checkpoint, actor=actor)
    if kind not in DutyKind.values:
        raise _bad("kind", "choice", _("Unknown duty log entry."))
    if kind == DutyKind.SUPPLY_HANDOVER and not quantity:
        raise _bad("quantity", "required", _("How many packages were handed over?"))
    return DutyLogEntry.objects.create(
        checkpoint=checkpoint,
        kind=kind,
        at=now or timezone.now(),
        by=actor if isinstance(actor, User) else None,
        by_name=actor.get_username(),
        note=(note or "").strip()[:300],
        quantity=quantity,
        counterpart=(counterpart or "").strip()[:100],
    )
