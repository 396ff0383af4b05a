"""River-chief patrol plans as data (catalogue/river-patrols.yaml), and their periods."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import yaml

from .catalogue import CATALOGUE_DIR

Every = Literal["week", "month", "quarter", "half_year", "year"]


@dataclass(frozen=True)
class LevelPlan:
    every: Every
    times: int


@dataclass(frozen=True)
class PatrolPlans:
    version: str
    min_minutes: int
    min_km: float
    levels: dict[str, LevelPlan]


@lru_cache(maxsize=2)
def patrol_plans(name: str = "river-patrols") -> PatrolPlans:
    data = yaml.safe_load((CATALOGUE_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    levels = {
        level: LevelPlan(every=plan["every"], times=int(plan["times"]))
        for level, plan in data["levels"].items()
    }
    for plan in levels.values():
        if plan.every not in ("week", "month", "quarter", "half_year", "year") or plan.times < 1:
            raise ValueError(f"{name}.yaml: bad plan {plan}")
    return PatrolPlans(
        str(data["version"]), int(data["min_minutes"]), float(data["min_km"]), levels
    )


def period(every: Every, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the plan's period that holds `day`."""
    if every == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    months = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[every]
    first_month = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first_month, 1)
    end_month = first_month + months
    end = (
        dt.date(day.year + 1, 1, 1) if end_month > 12 else dt.date(day.year, end_month, 1)
    ) - dt.timedelta(days=1)
    return start, end
