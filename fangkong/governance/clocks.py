"""Statutory clocks: when each stage of a case kind falls due, on the official calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from .calendar import OfficialCalendar, official_calendar
from .kinds import Clock, Kind

DAY_UNITS = ("days", "working_days")
UNIT_WORDS = {
    "days": "days",
    "working_days": "working days",
    "hours": "hours",
    "minutes": "minutes",
}


@dataclass(frozen=True)
class StageClock:
    stage: str
    due: dt.date | dt.datetime
    basis: str
    provisional: bool = False

    def as_dict(self) -> dict[str, str]:
        return {"stage": self.stage, "due": self.due.isoformat(), "basis": self.basis}


def due_date(*, unit: str, amount: int, start: dt.date, calendar: OfficialCalendar) -> dt.date:
    """The last day of a period of days starting after `start` (the day itself not counted)."""
    if unit == "working_days":
        return calendar.add_working_days(start, amount)
    if unit == "days":
        return calendar.add_calendar_days(start, amount)
    raise ValueError(f"{unit!r} is not a unit of days")


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of `day` in the district's time zone: a deadline day is kept whole."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def due_at(
    *, unit: str, amount: int, start: dt.datetime, calendar: OfficialCalendar | None = None
) -> dt.datetime:
    """When a clock of `amount` `unit`s started at `start` runs out (an aware datetime)."""
    if unit == "hours":
        return start + dt.timedelta(hours=amount)
    if unit == "minutes":
        return start + dt.timedelta(minutes=amount)
    day = timezone.localtime(start).date()
    return end_of_day(
        due_date(unit=unit, amount=amount, start=day, calendar=calendar or official_calendar())
    )


def _basis(clock: Clock, provisional: bool) -> str:
    text = f"{clock.amount} {UNIT_WORDS[clock.unit]} from {clock.start}; {clock.basis}"
    if provisional:
        text += " (provisional: that year's holiday arrangement is not published yet)"
    return text


def kind_clocks(
    *,
    kind: Kind,
    received: dt.date,
    accepted: dt.date | None = None,
    calendar: OfficialCalendar | None = None,
) -> list[StageClock]:
    """Every clock of `kind` for a matter received (and accepted) on the given days.

    Without an acceptance day the clocks that run from acceptance start on the day of
    receipt, the earliest they can, so no deadline shown is later than the law's. Chained
    clocks (an extension, a review window) start on the due day of the clock they follow.
    """
    calendar = calendar or official_calendar()
    starts: dict[str, dt.date] = {"received": received, "accepted": accepted or received}
    result: list[StageClock] = []
    for clock in kind.clocks:
        start = starts[clock.start]
        if clock.unit in DAY_UNITS:
            due: dt.date | dt.datetime = due_date(
                unit=clock.unit, amount=clock.amount, start=start, calendar=calendar
            )
            last = due
        else:
            begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
            due = due_at(unit=clock.unit, amount=clock.amount, start=begin)
            last = timezone.localtime(due).date()
        provisional = calendar.is_provisional(last)
        starts[clock.stage] = last
        result.append(StageClock(clock.stage, due, _basis(clock, provisional), provisional))
    return result
