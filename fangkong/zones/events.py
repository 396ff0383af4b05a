"""Events the zones app publishes (see core.events); `command` turns them into timelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from fangkong.core.events import DomainEvent


@dataclass(frozen=True)
class ZoneDesignated(DomainEvent):
    kind = "zones.zone_designated"
    zone_id: int = 0
    name: str = ""
    zone_kind: str = ""
    regime: str = ""
    protocol: str = ""
    members: list[str] = field(default_factory=list)
    residents: int = 0
    elderly_alone: int = 0
    medical_trips: int = 0
    rounds: int = 0
    by: str = ""


@dataclass(frozen=True)
class ZoneDowngraded(DomainEvent):
    kind = "zones.zone_downgraded"
    zone_id: int = 0
    name: str = ""
    from_kind: str = ""
    to_kind: str = ""
    new_zone_id: int = 0
    reason: str = ""
    by: str = ""


@dataclass(frozen=True)
class ZoneLifted(DomainEvent):
    kind = "zones.zone_lifted"
    zone_id: int = 0
    name: str = ""
    zone_kind: str = ""
    reason: str = ""
    by: str = ""
