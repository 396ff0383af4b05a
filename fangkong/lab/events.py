"""Events the lab app publishes (see core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from fangkong.core.events import DomainEvent


@dataclass(frozen=True)
class ResultFlagged(DomainEvent):
    """A tube's accepted result has a Ct in the grey zone: the district CDC reviews it."""

    kind = "lab.result_flagged"
    result_id: int = 0
    tube_id: int = 0
    barcode: str = ""
    result: str = ""
    flag: str = ""
    ct_orf1ab: str = ""
    ct_n: str = ""
    round_id: int = 0
    members: int = 0


@dataclass(frozen=True)
class ResultReviewed(DomainEvent):
    """The district CDC recorded its decision on a flagged result."""

    kind = "lab.result_reviewed"
    result_id: int = 0
    barcode: str = ""
    flag: str = ""
    decision: str = ""
    retest_orders: int = 0
    reviewer: str = ""
