"""The presets gained a tracing section in version 2 (and lab Ct thresholds in version 3): a
database that holds version 1 (with zones designated under it) loads the shipped version beside
it, and tracing reads the shipped version."""

from __future__ import annotations

import importlib

import pytest
import yaml
from django.apps import apps

from devtools.fixtures import C11
from fangkong.protocols import preset_files
from fangkong.tracing.protocol import tracing_protocol
from fangkong.zones.models import ProtocolPreset
from fangkong.zones.protocol_schema import PresetError
from fangkong.zones.protocols import checksum, get_preset, load_presets, read_preset_file
from fangkong.zones.services.designation import designate_zone

NAMES = sorted(p.stem for p in preset_files())


def _as_released_v1(tmp_path, path, *, tracing: bool = False):
    """The file as version 1 shipped it: the same content without the tracing section."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["version"] = 1
    data.pop("lab", None)
    if not tracing:
        data.pop("tracing")
    out = tmp_path / path.name
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


@pytest.fixture
def v1_in_use(db, tmp_path, district, commander):
    """A database migrated before version 2: version 1 only, a zone designated under it."""
    ProtocolPreset.objects.all().delete()
    load_presets([_as_released_v1(tmp_path, p) for p in preset_files()])
    v1 = get_preset("cn-three-zones-2022", version=1)
    designate_zone(user=commander, kind="sealed", members=[f"{C11}-C01"], protocol=v1)
    return v1


def test_the_shipped_presets_are_version_3():
    assert {read_preset_file(p)["version"] for p in preset_files()} == {3}


def test_a_database_holding_v1_loads_v2_beside_it(v1_in_use):
    before = v1_in_use.checksum
    # The shipped version was loaded beside version 1 on first use (reading a preset);
    # loading the files again finds it unchanged.
    assert set(ProtocolPreset.objects.filter(version=3).values_list("name", flat=True)) == set(
        NAMES
    )
    results = load_presets()
    assert sorted((r.name, r.version, r.status) for r in results) == [
        (name, 3, "unchanged") for name in NAMES
    ]
    v1_in_use.refresh_from_db()
    assert v1_in_use.checksum == before and v1_in_use.data.get("tracing") is None
    assert v1_in_use.zones.count() == 1  # the zone keeps the version it was designated under
    rules = tracing_protocol()
    assert (rules.name, rules.version) == ("cn-three-zones-2022", 3)
    assert rules.rules["clocks"]["investigation_within_hours"] == 24


def test_the_tracing_section_under_version_1_is_refused_where_zones_use_it(v1_in_use, tmp_path):
    """Why the version moved: the same content change under version 1 is refused."""
    changed = _as_released_v1(tmp_path, preset_files()[-1], tracing=True)
    with pytest.raises(PresetError) as caught:
        load_presets([changed])
    assert caught.value.key == "version"


def test_the_migration_loads_v2_into_a_v1_database(v1_in_use):
    migration = importlib.import_module(
        "fangkong.tracing.migrations.0012_load_presets_with_tracing_rules"
    )
    migration.load(apps, None)
    assert set(ProtocolPreset.objects.filter(version=3).values_list("name", flat=True)) == set(
        NAMES
    )
    migration.load(apps, None)  # run again (a re-applied migration): nothing changes
    assert ProtocolPreset.objects.count() == 2 * len(NAMES)


def test_a_released_version_never_changes_content():
    """Whoever changes a preset file gives it a new version and records its checksum here."""
    released = {
        (
            "cn-20-measures-2022-11",
            2,
        ): "29879bd19a5bcb0df7f4b78dfd51949400f3eef49f6f051e25528d9ee1fde136",
        (
            "cn-9th-edition-2022",
            2,
        ): "35072e435d06def952223e9c304fb637be6aa70f13625cfc2ae208ca763a4546",
        (
            "cn-three-zones-2022",
            2,
        ): "d36bd18ff306cb65c774e9a549c48b390121b61b32463fd26413ebffa0c780b2",
        ("cn-20-measures-2022-11", 3): (
            "121f95002e80b5877aa77d633feb45eee839d1914dcd5ce37039116756b3600e"
        ),
        ("cn-9th-edition-2022", 3): (
            "841859be4608073dc8de11a37108d781dcb0c3ca9689f16236b609b0fc305f4e"
        ),
        ("cn-three-zones-2022", 3): (
            "733702cb6da5b584e1cac3875f44ac21d9da589207765f68d436af795417a965"
        ),
    }
    for path in preset_files():
        data = read_preset_file(path)
        assert released.get((data["name"], data["version"])) == checksum(data), path.name
