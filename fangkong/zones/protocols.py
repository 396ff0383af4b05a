"""Protocol presets as data: the schema of a preset file, its validation, and loading it.

A preset file is refused as a whole, before anything is written, with the file, the key
(`zones[1].lift.days_without_infection`) and the reason. What is stored is the normalised
form (every optional key present), which is also what `fangkong protocol show --json` prints.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from django.conf import settings
from django.db import transaction
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fangkong.protocols import preset_files

ZoneKind = Literal["sealed", "controlled", "precaution", "high", "medium", "low"]
Regime = Literal["sealed", "controlled", "precaution"]
Tier = Literal["close", "secondary"]
OrderKind = Literal["centralised_quarantine", "home_quarantine", "home_health_monitoring"]
Sampling = Literal["door_to_door", "booth"]
Day = Annotated[int, Field(ge=1, le=60)]

# Movement: a standstill counts as sealed. The higher, the stricter.
STRICTNESS = {"sealed": 3, "controlled": 2, "precaution": 1}
DEFAULT_PRESET = "cn-three-zones-2022"


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


def read_preset_file(path: str | Path) -> dict:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PresetError(str(path), "(file)", _("File not found.")) from None
    except yaml.YAMLError as exc:
        raise PresetError(
            str(path), "(file)", _("Not valid YAML: %(error)s") % {"error": exc}
        ) from None
    return validate_preset(data, file=str(path), expect_name=path.stem)


def checksum(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class LoadResult:
    name: str
    version: int
    status: str  # created | unchanged | updated


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path(settings.BASE_DIR).parent))
    except (ValueError, AttributeError):
        return str(path)


def load_presets(paths: list[Path] | None = None, *, model=None) -> list[LoadResult]:
    """Validate every file, then create or update its (name, version) row in one transaction.

    A version that zones were designated under never changes: a file whose content differs
    from such a stored version is refused (give it a new version). `model` lets a data
    migration pass its historical model.
    """
    from .models import ProtocolPreset

    model = model or ProtocolPreset
    files = [Path(p) for p in paths] if paths is not None else preset_files()
    parsed = [(f, read_preset_file(f)) for f in files]
    results = []
    with transaction.atomic():
        for path, data in parsed:
            digest = checksum(data)
            row = model.objects.filter(name=data["name"], version=data["version"]).first()
            if row is None:
                model.objects.create(
                    name=data["name"],
                    version=data["version"],
                    title=data["title"]["zh"],
                    data=data,
                    checksum=digest,
                    loaded_from=_display_path(path),
                )
                results.append(LoadResult(data["name"], data["version"], "created"))
            elif row.checksum == digest:
                results.append(LoadResult(data["name"], data["version"], "unchanged"))
            else:
                if hasattr(row, "zones") and row.zones.exists():
                    raise PresetError(
                        str(path),
                        "version",
                        _(
                            "The content changed but zones were designated under this version: "
                            "give the file a new version."
                        ),
                    )
                row.data, row.checksum, row.title = data, digest, data["title"]["zh"]
                row.loaded_from = _display_path(path)
                row.save()
                results.append(LoadResult(data["name"], data["version"], "updated"))
    return results


def ensure_presets_loaded() -> None:
    """Load the shipped presets when the table is empty (a fresh or flushed database)."""
    from .models import ProtocolPreset

    if not ProtocolPreset.objects.exists():
        load_presets()


def default_preset_name() -> str:
    return getattr(settings, "FANGKONG_DEFAULT_PROTOCOL", DEFAULT_PRESET)


def get_preset(name: str | None = None, version: int | None = None):
    """The preset of that name (its latest version unless given), or None."""
    from .models import ProtocolPreset

    ensure_presets_loaded()
    qs = ProtocolPreset.objects.filter(name=name or default_preset_name())
    if version is not None:
        qs = qs.filter(version=version)
    return qs.order_by("-version").first()


# ---------------------------------------------------------------------------------------------
# Reading rules out of a stored preset (plain dicts, the normalised form above)


def zone_kinds(data: dict) -> list[str]:
    return [z["kind"] for z in data["zones"]]


def zone_rule(data: dict, kind: str) -> dict | None:
    """The rule of a zone kind; a standstill reads as sealed with the standstill's schedule."""
    if kind == "standstill":
        s = data.get("standstill")
        if s is None:
            return None
        return {
            **s,
            "kind": "standstill",
            "regime": "sealed",
            "lift": {
                "days_without_infection": None,
                "final_round_days_before_lift": None,
                "contacts_past_exposure_days": None,
                "after_downgrade_days_without_infection": None,
                "requires_lifted": [],
            },
            "downgrade_to": None,
        }
    return next((z for z in data["zones"] if z["kind"] == kind), None)


def contact_rule(data: dict, tier: str) -> dict | None:
    return next((c for c in data.get("contacts", []) if c["tier"] == tier), None)


# ---------------------------------------------------------------------------------------------
# A district's own copy, edited in the back office


def preset_in_use(preset) -> bool:
    """True once a zone was designated under this version: it may no longer change."""
    related = getattr(preset, "zones", None)
    return bool(preset.pk) and related is not None and related.exists()


def copy_preset(preset, *, district_code: str, user=None):
    """A new, editable preset for the district: `<name>-<district>`, next version."""
    from .models import ProtocolPreset

    name = preset.name if preset.district_code else f"{preset.name}-{district_code}"
    last = ProtocolPreset.objects.filter(name=name).order_by("-version").first()
    version = (last.version + 1) if last else 1
    data = {**preset.data, "name": name, "version": version}
    data = validate_preset(data, file=f"{name} v{version}")
    who = user.get_username() if user is not None else ""
    return ProtocolPreset.objects.create(
        name=name,
        version=version,
        title=data["title"]["zh"],
        data=data,
        checksum=checksum(data),
        district_code=district_code,
        loaded_from=f"copy of {preset.name} v{preset.version}" + (f" by {who}" if who else ""),
    )


def parse_preset_yaml(text: str, *, name: str, version: int) -> dict:
    """Rules edited as YAML in the back office: the name and version are the row's own."""
    label = f"{name} v{version}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PresetError(
            label, "(file)", _("Not valid YAML: %(error)s") % {"error": exc}
        ) from None
    if isinstance(data, dict):
        data = {**data, "name": name, "version": version}
    return validate_preset(data, file=label)


def preset_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
