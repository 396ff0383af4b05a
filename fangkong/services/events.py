"""Events the services app publishes (see core.events); `command` turns them into timelines."""

from __future__ import annotations

from dataclasses import dataclass, field

from fangkong.core.events import DomainEvent


@dataclass(frozen=True)
class RequestsOverdue(DomainEvent):
    """Requests in one community that went overdue (or up a level) in one sweep."""

    kind = "services.requests_overdue"
    count: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    top_level: int = 1


@dataclass(frozen=True)
class MedicalTripClosed(DomainEvent):
    kind = "services.medical_trip_closed"
    trip_id: int = 0
    hospital: str = ""
    emergency: bool = False
    person: str = ""  # masked
