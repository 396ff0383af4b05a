"""Events the services app publishes (see core.events); `command` turns them into timelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from fangkong.core.events import DomainEvent


@dataclass(frozen=True)
class RequestsOverdue(DomainEvent):
    """Requests that went overdue (or up a level) in one sweep, community by community:
    {community code: {"count", "by_kind": {kind: n}, "top_level"}}. One event per sweep,
    so its delivery costs one transaction however many communities it names."""

    kind = "services.requests_overdue"
    communities: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class MedicalTripClosed(DomainEvent):
    kind = "services.medical_trip_closed"
    trip_id: int = 0
    hospital: str = ""
    emergency: bool = False
    person: str = ""  # masked
