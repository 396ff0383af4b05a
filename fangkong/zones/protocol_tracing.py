"""The tracing rules of a protocol preset: investigation clocks, venue windows, household rules.

They live in the preset's `tracing:` mapping, beside the zone and contact rules, so a district
that changes protocol mid-outbreak changes these numbers with it. Venue-code scans record only
the entry time (2022 practice), so how long people stay is assumed per kind of venue.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

VenueKind = Literal[
    "supermarket",
    "restaurant",
    "pharmacy",
    "market",
    "office",
    "metro_station",
    "bus_station",
    "hospital",
    "school",
    "hotel",
    "gym",
    "entertainment",
    "other",
]
Minutes = Annotated[int, Field(ge=1, le=1440)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Clocks(_Model):
    report_within_hours: Annotated[int, Field(ge=1, le=72)]
    investigation_within_hours: Annotated[int, Field(ge=1, le=240)]


class VenueWindows(_Model):
    default_minutes: Minutes
    by_kind: dict[VenueKind, Minutes] = {}


class Household(_Model):
    co_residents: Literal["close", "secondary"] = "close"
    # Shanghai's rule for static-managed positives: the same floor and the floors above and
    # below are secondary contacts. A local option, off unless a preset turns it on.
    same_and_adjacent_floors: Literal["close", "secondary"] | None = None


class TracingRules(_Model):
    clocks: Clocks
    venue_windows: VenueWindows
    household: Household = Household()
    # A secondary contact is released only when its close contact's first N tests are negative.
    secondary_release_close_negative_tests: Annotated[int, Field(ge=0, le=10)] = 0


def tracing_rules(data: dict) -> dict | None:
    """The tracing rules of a stored preset (normalised form), or None if it has none."""
    return data.get("tracing")


def window_minutes(rules: dict, kind: str) -> int:
    """The minutes either side of an entry that count as being there at the same time."""
    windows = rules["venue_windows"]
    return windows["by_kind"].get(kind, windows["default_minutes"])
