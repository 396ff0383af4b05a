"""Protocol presets: the shipped files hold the documented numbers, load, print, and a broken
file is refused with its file, key and reason."""

import datetime as dt
import io
import json
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import translation

from fangkong.protocols import PRESET_DIR, preset_files
from fangkong.zones import rules
from fangkong.zones.models import ProtocolPreset
from fangkong.zones.protocol_lab import ct_thresholds
from fangkong.zones.protocol_schema import PresetError, validate_preset
from fangkong.zones.protocols import (
    checksum,
    copy_preset,
    get_preset,
    load_presets,
    parse_preset_yaml,
    read_preset_file,
    zone_rule,
)

NAMES = ["cn-20-measures-2022-11", "cn-9th-edition-2022", "cn-three-zones-2022"]
# The files as the loader reads them (normalised: every optional key present).
FILES = {p.stem: read_preset_file(p) for p in preset_files()}
ZONES = [(name, z["kind"]) for name, data in FILES.items() for z in data["zones"]]
SCHEDULED = [
    (name, z["kind"], day)
    for name, data in FILES.items()
    for z in data["zones"]
    for day in z["test_days"]
]


def show(name: str) -> dict:
    out = io.StringIO()
    call_command("protocol", "show", name, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_exactly_the_three_presets_ship():
    assert sorted(FILES) == NAMES


# --- the numbers of PROTOCOL_FACTS.md, stated once here so a changed file is noticed -----------

FACTS = {
    # name: {kind: (test_days, first_round_h, pool, days_clean, final_round_before, downgrade_to)}
    "cn-three-zones-2022": {
        "sealed": ([1, 4, 7, 10, 14], 24, 1, 14, 2, None),
        "controlled": ([1, 4, 7, 10, 14], 48, 10, 14, 2, None),
        "precaution": ([], None, 20, None, None, None),
    },
    "cn-9th-edition-2022": {
        "high": ([1, 2, 3, 5, 7], 24, 1, 7, 0, "medium"),
        "medium": ([1, 4, 7], 48, 10, 7, 0, "low"),
        "low": ([], None, 20, None, None, None),
    },
    "cn-20-measures-2022-11": {
        "high": ([1, 2, 3, 4, 5], 24, 1, 5, None, "low"),
        "low": ([], None, 20, None, None, None),
    },
}
CONTACTS = {
    "cn-three-zones-2022": {
        "close": ([("centralised_quarantine", 14), ("home_health_monitoring", 7)], [1, 4, 7, 14]),
        "secondary": ([("centralised_quarantine", 7)], [1, 4, 7]),
    },
    "cn-9th-edition-2022": {
        "close": (
            [("centralised_quarantine", 7), ("home_health_monitoring", 3)],
            [1, 2, 3, 5, 7, 10],
        ),
        "secondary": ([("home_quarantine", 7)], [1, 4, 7]),
    },
    "cn-20-measures-2022-11": {
        "close": ([("centralised_quarantine", 5), ("home_quarantine", 3)], [1, 2, 3, 5, 6, 8]),
    },
}


@pytest.mark.parametrize("name", NAMES)
def test_show_json_prints_the_documented_numbers(db, name):
    data = show(name)
    assert data["name"] == name and data["version"] == 3
    zones = {
        z["kind"]: (
            z["test_days"],
            z["first_round_within_hours"],
            z["default_pool_size"],
            z["lift"]["days_without_infection"],
            z["lift"]["final_round_days_before_lift"],
            z["downgrade_to"],
        )
        for z in data["zones"]
    }
    assert zones == FACTS[name]
    contacts = {
        c["tier"]: ([(o["kind"], o["days"]) for o in c["orders"]], c["test_days"])
        for c in data["contacts"]
    }
    assert contacts == CONTACTS[name]


def test_precaution_and_low_zones_wait_for_the_stricter_ones(db):
    assert show("cn-three-zones-2022")["zones"][2]["lift"]["requires_lifted"] == [
        "sealed",
        "controlled",
    ]
    low = show("cn-9th-edition-2022")["zones"][2]
    assert low["lift"]["requires_lifted"] == ["high", "medium"]
    assert low["leave_city_negative_test_hours"] == 48
    medium = show("cn-9th-edition-2022")["zones"][1]
    assert medium["lift"]["after_downgrade_days_without_infection"] == 3


def test_close_contacts_of_the_ninth_edition_look_back_four_days(db):
    nine = show("cn-9th-edition-2022")
    assert nine["contacts"][0]["lookback_days_before_onset"] == 4
    assert show("cn-three-zones-2022")["contacts"][0]["lookback_days_before_onset"] == 2
    arrivals = {a["from"]: a for a in nine["arrivals"]}
    assert arrivals["high"]["orders"] == [
        {"kind": "centralised_quarantine", "days": 7, "test_days": [1, 2, 3, 5, 7]}
    ]
    assert arrivals["low"]["tests"] == {"count": 2, "within_days": 3}


def test_twenty_measures_test_the_district_daily_and_pause_after_three_clean_rounds(db):
    c = show("cn-20-measures-2022-11")
    assert c["district_testing"] == {
        "daily": True,
        "clean_rounds_before_pause": 3,
        "pause_days": 3,
        "final_rounds": 1,
    }
    assert c["zones"][0]["normal_extent"] == "building"
    assert [t["tier"] for t in c["contacts"]] == ["close"]  # no secondary contacts any more


# --- rule tables, straight from the files ------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), ZONES)
def test_every_zone_kind_loads_as_written(db, name, kind):
    stored = zone_rule(get_preset(name).data, kind)
    written = next(z for z in FILES[name]["zones"] if z["kind"] == kind)
    for key in ("regime", "test_days", "first_round_within_hours", "default_pool_size"):
        assert stored[key] == written[key]
    assert stored["measures"]["zh"] and len(stored["measures"]["zh"]) == len(
        stored["measures"]["en"]
    )


@pytest.mark.parametrize(("name", "kind", "day"), SCHEDULED)
def test_each_scheduled_day_becomes_a_round_at_that_offset(name, kind, day):
    rule = next(z for z in FILES[name]["zones"] if z["kind"] == kind)
    at = dt.datetime(2022, 6, 13, 4, 0, tzinfo=dt.UTC)
    times = {d: (s, due) for d, s, due in rules.round_times(rule, at)}
    starts, due = times[day]
    assert starts == at + dt.timedelta(days=day - 1)
    if day == rule["test_days"][0]:
        assert due == at + dt.timedelta(hours=rule["first_round_within_hours"])
    else:
        assert due - starts == dt.timedelta(hours=24)


@pytest.mark.parametrize(("name", "kind"), ZONES)
def test_lifting_needs_the_clean_days_and_the_final_round(name, kind):
    rule = next(z for z in FILES[name]["zones"] if z["kind"] == kind)
    days = rule["lift"]["days_without_infection"]
    before = rule["lift"]["final_round_days_before_lift"]
    if days is None:
        blocked = rules.lifting_checks(rule, rules.Facts(clean_day=99, blocking_zones=1))
        assert rules.proposal(rule, blocked) is None
        clear = rules.lifting_checks(rule, rules.Facts(clean_day=99, blocking_zones=0))
        assert rules.proposal(rule, clear) == "lift"
        return
    final_day = days - (before or 0)
    good = rules.Facts(
        clean_day=days,
        final_round_day=final_day,
        final_round_complete=True,
        final_round_negative=True,
    )
    expected = "downgrade" if rule["downgrade_to"] else "lift"
    assert rules.proposal(rule, rules.lifting_checks(rule, good)) == expected
    one_day_short = rules.Facts(**{**good.__dict__, "clean_day": days - 1})
    assert rules.proposal(rule, rules.lifting_checks(rule, one_day_short)) is None
    if before is not None:
        early = rules.Facts(**{**good.__dict__, "final_round_day": final_day - 1})
        assert rules.proposal(rule, rules.lifting_checks(rule, early)) is None
        positive = rules.Facts(**{**good.__dict__, "final_round_negative": False})
        assert rules.proposal(rule, rules.lifting_checks(rule, positive)) is None
        missed = rules.Facts(**{**good.__dict__, "final_round_complete": False})
        assert rules.proposal(rule, rules.lifting_checks(rule, missed)) is None


def test_a_medium_area_reached_by_downgrade_needs_three_more_clean_days():
    medium = FILES["cn-9th-edition-2022"]["zones"][1]
    checks = rules.lifting_checks(medium, rules.Facts(clean_day=3, via_downgrade=True))
    assert [c.code for c in checks] == ["days_without_infection"]
    assert rules.proposal(medium, checks) == "downgrade"
    assert rules.proposal(medium, rules.lifting_checks(medium, rules.Facts(clean_day=3))) is None


# --- loading ----------------------------------------------------------------------------------


def test_loading_again_changes_nothing(db):
    assert {r.status for r in load_presets()} == {"unchanged"}
    assert ProtocolPreset.objects.count() == 3
    assert get_preset().name == "cn-three-zones-2022"  # the demo's default
    assert get_preset().loaded_from.endswith("fangkong/protocols/cn-three-zones-2022.yaml")


def test_presets_load_on_first_use_after_a_flush(db):
    ProtocolPreset.objects.all().delete()
    assert get_preset("cn-9th-edition-2022").version == 3
    assert ProtocolPreset.objects.count() == 3


def test_cli_list_and_load(db):
    out = io.StringIO()
    call_command("protocol", "list", stdout=out)
    assert "cn-three-zones-2022 v3 *" in out.getvalue()
    out = io.StringIO()
    call_command("protocol", "load", stdout=out)
    assert out.getvalue().count("unchanged") == 3
    out = io.StringIO()
    call_command("protocol", "show", "cn-9th-edition-2022", stdout=out)
    assert "high" in out.getvalue() and "7 days clean" in out.getvalue()
    with pytest.raises(CommandError, match="cn-none"):
        call_command("protocol", "show", "cn-none")


def _broken(tmp_path: Path, mutate, name: str = "cn-three-zones-2022") -> Path:
    data = yaml.safe_load((PRESET_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / f"{data.get('name', name)}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


BROKEN = [
    ("missing key", lambda d: d["zones"][0].pop("test_days"), "zones[0].test_days", "required"),
    (
        "text for a number",
        lambda d: d["zones"][1]["lift"].update(days_without_infection="14"),
        "zones[1].lift.days_without_infection",
        "integer",
    ),
    (
        "unknown zone kind",
        lambda d: d["zones"][2].update(kind="orange"),
        "zones[2].kind",
        "sealed",
    ),
    ("misspelt key", lambda d: d["zones"][0].update(test_dayz=[1]), "zones[0].test_dayz", "xtra"),
    (
        "days out of order",
        lambda d: d["zones"][0].update(test_days=[1, 7, 4]),
        "zones[0].test_days",
        "increasing",
    ),
    (
        "downgrade to a stricter zone",
        lambda d: d["zones"][1].update(downgrade_to="sealed"),
        "zones[1].downgrade_to",
        "less strict",
    ),
    (
        "same kind twice",
        lambda d: d["zones"].append(dict(d["zones"][0])),
        "zones[3].kind",
        "twice",
    ),
    (
        "contact test days disagree with the orders",
        lambda d: d["contacts"][0].update(test_days=[1, 4, 7]),
        "contacts[0].test_days",
        "orders",
    ),
    (
        "pool too large",
        lambda d: d["zones"][2].update(default_pool_size=30),
        "zones[2].default_pool_size",
        "20",
    ),
    (
        "lift that never comes",
        lambda d: d["zones"][2]["lift"].update(requires_lifted=[]),
        "zones[2].lift",
        "ends",
    ),
]


@pytest.mark.parametrize(("label", "mutate", "key", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_preset_is_refused_with_file_key_and_reason(tmp_path, label, mutate, key, reason):
    path = _broken(tmp_path, mutate)
    with translation.override("en"), pytest.raises(PresetError) as caught:
        read_preset_file(path)
    err = caught.value
    assert (err.file, err.key) == (str(path), key)
    with translation.override("en"):
        assert reason in str(err.reason)
    assert str(err).startswith(f"{path}: {key}: ")


def test_the_name_must_be_the_file_name(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text((PRESET_DIR / "cn-three-zones-2022.yaml").read_text(encoding="utf-8"))
    with pytest.raises(PresetError, match="name"):
        read_preset_file(path)


def test_not_yaml_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("zones: [unclosed", encoding="utf-8")
    with pytest.raises(PresetError) as caught:
        read_preset_file(path)
    assert caught.value.key == "(file)"


def test_cli_load_of_a_broken_file_stores_nothing(db, tmp_path):
    good = _broken(tmp_path, lambda d: d.update(name="cn-good", version=1))
    bad = _broken(tmp_path, lambda d: (d.update(name="cn-bad"), d["zones"][0].pop("lift")))
    with pytest.raises(CommandError, match=r"cn-bad\.yaml: zones\[0\]\.lift: "):
        call_command("protocol", "load", str(good), str(bad))
    assert not ProtocolPreset.objects.filter(name__in=["cn-good", "cn-bad"]).exists()
    call_command("protocol", "load", str(good), stdout=io.StringIO())
    assert ProtocolPreset.objects.get(name="cn-good").loaded_from.endswith("cn-good.yaml")


def test_a_changed_file_with_the_same_version_updates_an_unused_preset(db, tmp_path):
    path = _broken(tmp_path, lambda d: d["zones"][0].update(test_days=[1, 3, 5, 7, 10, 14]))
    assert load_presets([path])[0].status == "updated"
    assert get_preset().data["zones"][0]["test_days"] == [1, 3, 5, 7, 10, 14]


# --- the district's own copy, in the back office -----------------------------------------------


def test_copy_for_the_district_is_a_new_editable_version(db):
    original = get_preset()
    copy = copy_preset(original, district_code="410172")
    assert (copy.name, copy.version) == ("cn-three-zones-2022-410172", 1)
    assert copy.data["zones"] == original.data["zones"]
    again = copy_preset(copy, district_code="410172")
    assert (again.name, again.version) == ("cn-three-zones-2022-410172", 2)
    with pytest.raises(PresetError, match=r"zones\[0\]\.regime"):
        parse_preset_yaml(
            "zones: [{kind: sealed}]\ntitle: {zh: a, en: b}",
            name=copy.name,
            version=1,
        )


def test_admin_copies_and_edits_a_preset(client, make_user):
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    admin_client = client
    original = get_preset()
    url = "/admin/zones/protocolpreset/"
    response = admin_client.post(
        url, {"action": "copy_for_district", "_selected_action": [original.pk]}
    )
    assert response.status_code == 302
    copy = ProtocolPreset.objects.exclude(district_code="").get()
    # The shipped preset is read-only: it changes only through its file.
    assert admin_client.get(f"{url}{original.pk}/change/").status_code == 200
    assert b'name="rules"' not in admin_client.get(f"{url}{original.pk}/change/").content
    page = admin_client.get(f"{url}{copy.pk}/change/")
    assert b'name="rules"' in page.content
    text = yaml.safe_dump(
        {**copy.data, "zones": [{**copy.data["zones"][0], "test_days": [1, 3, 5, 7, 14]}]},
        allow_unicode=True,
    )
    form = {"name": copy.name, "version": 1, "district_code": "410172", "rules": text}
    response = admin_client.post(f"{url}{copy.pk}/change/", form)
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.data["zones"][0]["test_days"] == [1, 3, 5, 7, 14]
    bad = admin_client.post(f"{url}{copy.pk}/change/", {**form, "rules": "zones: 3"})
    assert bad.status_code == 200 and b"zones" in bad.content


def test_a_database_holding_the_first_versions_loads_the_new_ones_on_first_use(db):
    # A database set up before the lab thresholds (and, for the earliest, the tracing rules):
    # only version 1 of each preset, as it was stored then.
    ProtocolPreset.objects.all().delete()
    for path in preset_files():
        data = read_preset_file(path)
        old = {k: v for k, v in data.items() if k not in ("lab", "tracing")}
        old = validate_preset({**old, "version": 1}, file=path.name)
        ProtocolPreset.objects.create(
            name=old["name"], version=1, title=old["title"]["zh"], data=old, checksum=checksum(old)
        )
    first = ProtocolPreset.objects.get(name="cn-three-zones-2022", version=1)

    preset = get_preset()
    assert (preset.name, preset.version) == ("cn-three-zones-2022", 3)
    assert ct_thresholds(preset.data) == {"ORF1ab": (37.0, 40.0), "N": (37.0, 40.0)}
    assert ProtocolPreset.objects.count() == 6
    # The first versions, and what was designated under them, are left as they were.
    assert ProtocolPreset.objects.get(pk=first.pk).checksum == first.checksum
    assert ct_thresholds(first.data) == {}
    assert {r.status for r in load_presets()} == {"unchanged"}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda lab: lab["ct_thresholds"].append(dict(lab["ct_thresholds"][0])), "gene"),
        (lambda lab: lab["ct_thresholds"][0].update(positive_below=41), "positive_below"),
        (lambda lab: lab["ct_thresholds"][0].update(gene="S"), "gene"),
        (lambda lab: lab["ct_thresholds"][0].update(negative_from=51), "negative_from"),
    ],
)
def test_lab_thresholds_that_make_no_sense_are_refused(change, key):
    data = read_preset_file(preset_files()[0])
    change(data["lab"])
    with pytest.raises(PresetError) as exc:
        validate_preset(data, file="x.yaml")
    assert exc.value.key.startswith("lab.ct_thresholds[") and exc.value.key.endswith(key)
