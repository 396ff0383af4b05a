"""Protocol presets as data: reading and loading preset files, the stored presets, the rules
read out of one, and a district's own edited copy.

The schema and its validation are in `protocol_schema`. What is stored is the normalised form
(every optional key present), which is also what `fangkong protocol show --json` prints.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.protocols import preset_files

from .models import ProtocolPreset
from .protocol_schema import (
    PresetError,
    validate_preset,
)

DEFAULT_PRESET = "cn-three-zones-2022"


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


@functools.cache
def _shipped_versions() -> dict[tuple[str, int], Path]:
    """(name, version) → file of every shipped preset; the files do not change while the
    process runs."""
    versions = {}
    for path in preset_files():
        data = read_preset_file(path)
        versions[(data["name"], data["version"])] = path
    return versions


def ensure_presets_loaded() -> None:
    """Load every shipped preset version the database does not hold yet: all of them on a
    fresh or flushed database, a new version on a database that holds the earlier ones
    (whose rows, and the zones designated under them, stay as they are)."""

    shipped = _shipped_versions()
    stored = set(
        ProtocolPreset.objects.filter(name__in={name for name, _v in shipped}).values_list(
            "name", "version"
        )
    )
    missing = [path for key, path in shipped.items() if key not in stored]
    if missing:
        load_presets(missing)


def default_preset_name() -> str:
    return getattr(settings, "FANGKONG_DEFAULT_PROTOCOL", DEFAULT_PRESET)


def get_preset(name: str | None = None, version: int | None = None):
    """The preset of that name (its latest version unless given), or None."""

    ensure_presets_loaded()
    qs = ProtocolPreset.objects.filter(name=name or default_preset_name())
    if version is not None:
        qs = qs.filter(version=version)
    return qs.order_by("-version").first()


# ---------------------------------------------------------------------------------------------
# Reading rules out of a stored preset (plain dicts, the normalised form of `protocol_schema`)


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


# ---------------------------------------------------------------------------------------------
# A district's own copy, edited in the back office


def preset_in_use(preset) -> bool:
    """True once a zone was designated under this version: it may no longer change."""
    related = getattr(preset, "zones", None)
    return bool(preset.pk) and related is not None and related.exists()


def copy_preset(preset, *, district_code: str, user=None):
    """A new, editable preset for the district: `<name>-<district>`, next version."""

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
