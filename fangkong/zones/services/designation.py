"""Designate a risk zone: its members, the people inside, its shape, and its event.

Everything is checked before anything is written; the zone, its members, its schedule and
its event are one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.events import publish
from fangkong.geo.models import Building, Compound, Grid
from fangkong.testing.services.rounds import common_area

from .. import selectors
from ..events import ZoneDesignated
from ..models import (
    MemberType,
    ProtocolPreset,
    RiskZone,
    ZoneChange,
    ZoneKind,
    ZoneMember,
)
from ..protocols import get_preset, zone_rule
from ..rules import STRICTNESS
from .schedules import create_schedule, ensure_daily_tasks, plan_days

COMPOUND_CODE = re.compile(r"^\d{6}-\d{3}-\d{3}-C\d+$")
GRID_CODE = re.compile(r"^\d{6}(-\d{3}){3}$")
BUILDING_CODE = re.compile(r"^\d{6}(-\d{3}){4}$")


@dataclass(frozen=True)
class Member:
    node_type: str
    code: str
    name: str
    area_code: str
    geometry: dict | None


def _bad(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


def resolve_members(codes: Sequence[str]) -> list[Member]:
    """The grids, compounds and buildings named by `codes`, in the order given (3 queries)."""
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if not wanted:
        raise _bad("members", "required", _("Pick at least one grid, compound or building."))
    by_type: dict[str, list[str]] = {"grid": [], "compound": [], "building": []}
    for code in wanted:
        if GRID_CODE.match(code):
            by_type["grid"].append(code)
        elif BUILDING_CODE.match(code):
            by_type["building"].append(code)
        elif COMPOUND_CODE.match(code):
            by_type["compound"].append(code)
        else:
            raise _bad(
                "members",
                "level",
                _("%(code)s is not a grid, compound or building.") % {"code": code},
            )
    found: dict[str, Member] = {}
    for g in Grid.objects.filter(code__in=by_type["grid"]):
        found[g.code] = Member(MemberType.GRID, g.code, g.name_zh, g.code, g.geometry)
    for c in Compound.objects.filter(code__in=by_type["compound"]).select_related("community"):
        found[c.code] = Member(MemberType.COMPOUND, c.code, c.name_zh, c.community.code, c.geometry)
    for b in Building.objects.filter(code__in=by_type["building"]).select_related(
        "compound", "grid__community"
    ):
        # As residents say it: the compound's building, else the grid's.
        where = (
            b.compound.name_zh if b.compound_id else f"{b.grid.community.name_zh}{b.grid.name_zh}"
        )
        label = f"{where}{b.name_zh}"
        found[b.code] = Member(MemberType.BUILDING, b.code, label, b.code, b.geometry)
    missing = [c for c in wanted if c not in found]
    if missing:
        raise _bad("members", "unknown", _("No area has the code %(code)s.") % {"code": missing[0]})
    return [found[c] for c in wanted]


def _polygons(geometry: dict | None) -> list:
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def union_geometry(members: Sequence[Member]) -> dict | None:
    """A MultiPolygon of the members' shapes; a compound without a shape lends its buildings'."""
    polygons = []
    bare = [m for m in members if not _polygons(m.geometry)]
    for m in members:
        polygons += _polygons(m.geometry)
    if bare:
        for geometry in selectors.zone_buildings(bare).values_list("geometry", flat=True):
            polygons += _polygons(geometry)
    return {"type": "MultiPolygon", "coordinates": polygons} if polygons else None


def default_name(kind_label: str, members: Sequence[Member]) -> str:
    first = members[0].name
    return f"{first}{'等' if len(members) > 1 else ''}{kind_label}"[:200]


def zone_label(rule: dict, lang: str = "zh") -> str:
    return rule["name"][lang]


def designate_zone(
    *,
    user,
    kind: str,
    members: Sequence[str],
    name: str = "",
    protocol: ProtocolPreset | None = None,
    designated_at: dt.datetime | None = None,
    reason: str = "",
) -> RiskZone:
    """Designate a zone of `kind` made of grids, compounds and buildings, under `protocol`
    (the default preset's latest version unless given).

    Counts the people inside at once, draws the union of the members' shapes, creates the
    zone's testing schedule and grid workers' daily tasks, and publishes ZoneDesignated.
    """
    protocol = protocol or get_preset()
    if protocol is None:
        raise _bad("protocol", "unknown", _("No protocol preset is loaded."))
    rule = zone_rule(protocol.data, kind)
    if kind not in ZoneKind.values or rule is None:
        raise _bad(
            "kind",
            "choice",
            _("%(kind)s is not a zone kind of %(protocol)s.")
            % {"kind": kind, "protocol": protocol},
        )
    resolved = resolve_members(members)
    for m in resolved:
        require_permission(
            actor=user,
            action="manage_zones",
            area_code=m.area_code,
            object_type="zone_member",
            object_id=m.code,
        )
    designated_at = designated_at or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        name = (name or "").strip() or default_name(zone_label(rule), resolved)
    with transaction.atomic():
        zone = write_zone(
            user=user,
            kind=kind,
            rule=rule,
            protocol=protocol,
            members=resolved,
            name=name,
            designated_at=designated_at,
            reason=reason,
        )
        publish(
            ZoneDesignated(
                area_code=zone.area_code,
                zone_id=zone.pk,
                name=zone.name,
                zone_kind=kind,
                regime=zone.regime,
                protocol=str(protocol),
                members=[m.code for m in resolved],
                residents=zone.residents,
                elderly_alone=zone.elderly_alone,
                medical_trips=zone.medical_trips,
                rounds=zone.schedule.count(),
                by=user.get_username(),
            ),
            occurred_at=designated_at,
        )
    return zone


def write_zone(
    *,
    user,
    kind: str,
    rule: dict,
    protocol: ProtocolPreset,
    members: Sequence[Member],
    name: str,
    designated_at: dt.datetime,
    reason: str,
    downgraded_from: RiskZone | None = None,
) -> RiskZone:
    """The zone row, its members, counts, shape, schedule and tasks (caller's transaction)."""
    counts = selectors.count_people(members)
    zone = RiskZone.objects.create(
        name=name[:200],
        kind=kind,
        regime=rule["regime"],
        strictness=STRICTNESS[rule["regime"]],
        protocol=protocol,
        area_code=common_area([m.area_code for m in members]),
        designated_at=designated_at,
        designated_by=user,
        reason=reason.strip(),
        geometry=union_geometry(members),
        downgraded_from=downgraded_from,
        **counts,
    )
    ZoneMember.objects.bulk_create(
        ZoneMember(
            zone=zone, node_type=m.node_type, code=m.code, name=m.name, area_code=m.area_code
        )
        for m in members
    )
    ZoneChange.objects.create(
        zone=zone,
        action=ZoneChange.Action.DESIGNATE,
        at=designated_at,
        by=user,
        by_name=user.get_username(),
        reason=zone.reason,
    )
    _after_designation(zone, rule, user)
    return zone


def _after_designation(zone: RiskZone, rule: dict, user) -> int:
    """The zone's testing rounds and its grid workers' daily tasks; returns the rounds made."""
    rounds = create_schedule(zone, rule, user)
    ensure_daily_tasks(zone, range(1, plan_days(rule) + 1))
    return len(rounds)
