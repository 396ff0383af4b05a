"""The official calendar: working days under the State Council's holiday arrangement.

Statutory periods count in two ways. A period in working days skips weekends and holidays
but counts make-up working days (调休 Saturdays and Sundays). A period in calendar days counts
every day, and when its last day is a rest day it ends on the first working day after it.
In both the day of receipt is not counted (民事诉讼法 §85 and the rules that follow it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation

from .calendars import CALENDAR_DIR

DEFAULT_CALENDAR = "cn-state-council"
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class OfficialCalendar:
    """Rest days and make-up working days for a run of years, as the data file gives them."""

    version: str
    rest: frozenset[dt.date]
    work: frozenset[dt.date]
    years: tuple[int, ...]
    provisional_years: frozenset[int]

    def _check(self, day: dt.date) -> None:
        if day.year not in self.years:
            raise RuleViolation(
                field="date",
                code="calendar_out_of_range",
                message=_(
                    "The official calendar covers %(first)s to %(last)s; %(day)s is outside it."
                )
                % {"first": self.years[0], "last": self.years[-1], "day": day.isoformat()},
            )

    def is_working_day(self, day: dt.date) -> bool:
        self._check(day)
        if day in self.work:
            return True
        return day.weekday() < 5 and day not in self.rest

    def is_provisional(self, day: dt.date) -> bool:
        """True when the year's arrangement is not published yet (statutory days only)."""
        return day.year in self.provisional_years

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (`start` itself not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        while count:
            day += _ONE_DAY
            if self.is_working_day(day):
                count -= 1
        return day

    def add_calendar_days(self, start: dt.date, count: int) -> dt.date:
        """`count` days after `start`, moved to the next working day when that is a rest day."""
        if count < 0:
            raise ValueError("count must not be negative")
        return self.next_working_day(start + dt.timedelta(days=count))

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def load_calendar(path: Path) -> OfficialCalendar:
    """Read a calendar file; refuse one whose ranges are reversed or whose days clash."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    rest: set[dt.date] = set()
    work: set[dt.date] = set()
    provisional: set[int] = set()
    for year, block in data["years"].items():
        if not block.get("published", False):
            provisional.add(int(year))
        for span in block.get("rest", []):
            if span["to"] < span["from"]:
                raise ValueError(f"{path.name}: {year}: {span['name']} ends before it starts")
            rest.update(_days(span["from"], span["to"]))
        for entry in block.get("work", []):
            work.add(entry["date"])
    clash = rest & work
    if clash:
        raise ValueError(f"{path.name}: days both rest and work: {sorted(clash)}")
    return OfficialCalendar(
        version=str(data["version"]),
        rest=frozenset(rest),
        work=frozenset(work),
        years=tuple(sorted(int(y) for y in data["years"])),
        provisional_years=frozenset(provisional),
    )


@lru_cache(maxsize=4)
def official_calendar(name: str = DEFAULT_CALENDAR) -> OfficialCalendar:
    return load_calendar(CALENDAR_DIR / f"{name}.yaml")
