"""Events the tracing app publishes (see core.events); `command` turns them into timelines."""

from __future__ import annotations

from dataclasses import dataclass

from fangkong.core.events import DomainEvent


@dataclass(frozen=True)
class CaseOpened(DomainEvent):
    kind = "tracing.case_opened"
    case_id: int = 0
    case_kind: str = ""
    area_code: str = ""
    person: str = ""  # masked
    by: str = ""


@dataclass(frozen=True)
class CaseClockOverdue(DomainEvent):
    kind = "tracing.case_clock_overdue"
    case_id: int = 0
    clock: str = ""  # report | investigation
    due_at: str = ""
    area_code: str = ""
    person: str = ""  # masked


@dataclass(frozen=True)
class OrderReleased(DomainEvent):
    kind = "tracing.order_released"
    order_id: int = 0
    order_kind: str = ""
    notice: str = ""  # the notice's number, e.g. 2022-0007
    end: str = ""
    tests: int = 0  # negative tests behind the release
    person: str = ""  # masked
