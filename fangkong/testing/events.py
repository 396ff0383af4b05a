"""Events the testing app publishes (see core.events)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fangkong.core.events import DomainEvent


@dataclass(frozen=True)
class PoolPositive(DomainEvent):
    """A pooled (or single) tube came back positive or presumptive positive."""

    kind = "testing.pool_positive"
    tube_id: int = 0
    barcode: str = ""
    result: str = ""
    round_id: int = 0
    station: str = ""
    members: int = 0
    retest_orders: int = 0
    household_codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PoolCleared(DomainEvent):
    """Every member of a positive pool re-tested negative."""

    kind = "testing.pool_cleared"
    tube_id: int = 0
    barcode: str = ""


@dataclass(frozen=True)
class PersonPositive(DomainEvent):
    """A single-tube retest came back positive: a case to investigate."""

    kind = "testing.person_positive"
    resident_id: int = 0
    tube_id: int = 0
    barcode: str = ""
