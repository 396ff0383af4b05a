"""The schema of a protocol preset file and its validation.

A preset file is refused as a whole, before anything is written, with the file, the key
(`zones[1].lift.days_without_infection`) and the reason. What validation returns is the
normalised form (every optional key present), which is what is stored.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .protocol_lab import LabRules, check_lab_rules
from .protocol_tracing import TracingRules
from .rules import STRICTNESS

ZoneKind = Literal["sealed", "controlled", "precaution", "high", "medium", "low"]
Regime = Literal["sealed", "controlled", "precaution"]
Tier = Literal["close", "secondary"]
OrderKind = Literal["centralised_quarantine", "home_quarantine", "home_health_monitoring"]
Sampling = Literal["door_to_door", "booth"]
Day = Annotated[int, Field(ge=1, le=60)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class Text(_Model):
    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]


class Texts(_Model):
    zh: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    en: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class Lift(_Model):
    days_without_infection: Annotated[int, Field(ge=1, le=60)] | None = None
    final_round_days_before_lift: Annotated[int, Field(ge=0, le=60)] | None = None
    contacts_past_exposure_days: Annotated[int, Field(ge=1, le=60)] | None = None
    after_downgrade_days_without_infection: Annotated[int, Field(ge=1, le=60)] | None = None
    requires_lifted: list[ZoneKind] = []


class ZoneRule(_Model):
    kind: ZoneKind
    regime: Regime
    name: Text
    measures: Texts
    sampling: Sampling
    test_days: list[Day]
    first_round_within_hours: Annotated[int, Field(ge=1, le=240)] | None
    default_pool_size: Annotated[int, Field(ge=1, le=20)]
    lift: Lift
    downgrade_to: ZoneKind | None = None
    on_infection_becomes: ZoneKind | None = None
    normal_extent: Literal["building", "compound", "grid"] | None = None
    leave_city_negative_test_hours: Annotated[int, Field(ge=1, le=240)] | None = None


class StandstillRule(_Model):
    name: Text
    measures: Texts
    sampling: Sampling
    test_days: Annotated[list[Day], Field(min_length=1)]
    first_round_within_hours: Annotated[int, Field(ge=1, le=240)]
    default_pool_size: Annotated[int, Field(ge=1, le=20)]


class Order(_Model):
    kind: OrderKind
    days: Annotated[int, Field(ge=1, le=60)]
    test_days: list[Day] = []


class ContactRule(_Model):
    tier: Tier
    orders: Annotated[list[Order], Field(min_length=1)]
    test_days: list[Day]
    lookback_days_before_onset: Annotated[int, Field(ge=0, le=30)] | None = None
    note: Text | None = None


class TestCount(_Model):
    count: Annotated[int, Field(ge=1, le=10)]
    within_days: Annotated[int, Field(ge=1, le=30)]


class ArrivalRule(_Model):
    from_kind: ZoneKind = Field(alias="from")
    within_days: Annotated[int, Field(ge=1, le=60)]
    orders: list[Order]
    test_days: list[Day]
    tests: TestCount | None = None


class DistrictTesting(_Model):
    daily: bool
    clean_rounds_before_pause: Annotated[int, Field(ge=1, le=30)]
    pause_days: Annotated[int, Field(ge=0, le=30)]
    final_rounds: Annotated[int, Field(ge=0, le=10)]


class PresetSchema(_Model):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{2,79}$")]
    version: Annotated[int, Field(ge=1)]
    title: Text
    source: str = ""
    zones: Annotated[list[ZoneRule], Field(min_length=1)]
    standstill: StandstillRule | None = None
    contacts: list[ContactRule] = []
    arrivals: list[ArrivalRule] = []
    district_testing: DistrictTesting | None = None
    tracing: TracingRules | None = None
    lab: LabRules | None = None


class PresetError(Exception):
    """A preset file was refused: which file, which key, and why."""

    def __init__(self, file: str, key: str, reason):
        self.file, self.key, self.reason = file, key, reason
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {force_str(self.reason)}"


def _key(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def _increasing(days: list[int]) -> bool:
    return all(a < b for a, b in itertools.pairwise(days))


def _check_semantics(p: PresetSchema, file: str) -> None:
    """Rules a type schema cannot say: references between zones, orderings, sums."""

    def fail(key: str, reason) -> PresetError:
        return PresetError(file, key, reason)

    kinds = [z.kind for z in p.zones]
    for i, z in enumerate(p.zones):
        at = f"zones[{i}]"
        if kinds.index(z.kind) != i:
            raise fail(f"{at}.kind", _("This zone kind appears twice."))
        if not _increasing(z.test_days):
            raise fail(f"{at}.test_days", _("Test days must be in increasing order, each once."))
        if z.first_round_within_hours is not None and not z.test_days:
            raise fail(
                f"{at}.first_round_within_hours",
                _("A first-round deadline needs at least one test day."),
            )
        if z.test_days and z.first_round_within_hours is None:
            raise fail(
                f"{at}.first_round_within_hours",
                _("A zone with test days needs a first-round deadline in hours."),
            )
        if len(z.measures.zh) != len(z.measures.en):
            raise fail(
                f"{at}.measures", _("The Chinese and English measures must be the same number.")
            )
        lift = z.lift
        if lift.days_without_infection is None and not lift.requires_lifted:
            raise fail(
                f"{at}.lift",
                _("Say when the zone ends: days without infection or zones that must be lifted."),
            )
        if (
            lift.final_round_days_before_lift is not None
            and lift.days_without_infection is not None
            and lift.final_round_days_before_lift > lift.days_without_infection
        ):
            raise fail(
                f"{at}.lift.final_round_days_before_lift",
                _("The final round cannot come before the days without infection begin."),
            )
        if lift.final_round_days_before_lift is not None and not z.test_days:
            raise fail(
                f"{at}.lift.final_round_days_before_lift",
                _("A final round is required but the zone has no test days."),
            )
        for j, kind in enumerate(lift.requires_lifted):
            if kind not in kinds or kind == z.kind:
                raise fail(
                    f"{at}.lift.requires_lifted[{j}]",
                    _("Not another zone kind of this preset."),
                )
        for field in ("downgrade_to", "on_infection_becomes"):
            target = getattr(z, field)
            if target is None:
                continue
            if target not in kinds or target == z.kind:
                raise fail(f"{at}.{field}", _("Not another zone kind of this preset."))
            other = p.zones[kinds.index(target)]
            stricter = STRICTNESS[other.regime] > STRICTNESS[z.regime]
            if field == "downgrade_to" and (stricter or other.regime == z.regime):
                raise fail(f"{at}.{field}", _("A downgrade must go to a less strict zone."))
            if field == "on_infection_becomes" and not stricter:
                raise fail(f"{at}.{field}", _("An infection can only make a zone stricter."))
    if p.standstill is not None and not _increasing(p.standstill.test_days):
        raise fail("standstill.test_days", _("Test days must be in increasing order, each once."))
    tiers = [c.tier for c in p.contacts]
    for i, c in enumerate(p.contacts):
        if tiers.index(c.tier) != i:
            raise fail(f"contacts[{i}].tier", _("This contact tier appears twice."))
        _check_orders(c.orders, c.test_days, f"contacts[{i}]", fail)
    for i, a in enumerate(p.arrivals):
        if a.from_kind not in kinds:
            raise fail(f"arrivals[{i}].from", _("Not a zone kind of this preset."))
        _check_orders(a.orders, a.test_days, f"arrivals[{i}]", fail)
    if p.lab is not None:
        check_lab_rules(p.lab, fail)


def _check_orders(orders: list[Order], test_days: list[int], at: str, fail) -> None:
    if not _increasing(test_days):
        raise fail(f"{at}.test_days", _("Test days must be in increasing order, each once."))
    offset, union = 0, []
    for j, order in enumerate(orders):
        if not _increasing(order.test_days) or any(d > order.days for d in order.test_days):
            raise fail(
                f"{at}.orders[{j}].test_days",
                _("Test days must increase and fall within the order's days."),
            )
        union += [offset + d for d in order.test_days]
        offset += order.days
    if any(o.test_days for o in orders) and union != test_days:
        raise fail(
            f"{at}.test_days",
            _("Must list the orders' test days counted from the first order's day 1."),
        )
    if test_days and test_days[-1] > offset:
        raise fail(f"{at}.test_days", _("A test day falls after the last order ends."))


def validate_preset(data: Any, *, file: str = "<data>", expect_name: str | None = None) -> dict:
    """The normalised preset, or PresetError naming the file, key and reason."""
    if not isinstance(data, dict):
        raise PresetError(file, "(top)", _("A preset is a mapping of keys to values."))
    try:
        preset = PresetSchema.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise PresetError(file, _key(err["loc"]), err["msg"]) from None
    if expect_name is not None and preset.name != expect_name:
        raise PresetError(file, "name", _("The name must be the file name without .yaml."))
    _check_semantics(preset, file)
    return preset.model_dump(mode="json", by_alias=True)
