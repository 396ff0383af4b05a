"""Designation: members, people counted at once, the shape, the event; overlaps resolve to
the strictest regime."""

import pytest
from django.utils import translation

from devtools.fixtures import C11, C21, G111, G112, G211
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction, AuditEntry, OutboxEvent
from fangkong.zones import selectors
from fangkong.zones.models import RiskZone, ZoneChange, ZoneStatus
from fangkong.zones.protocols import get_preset

from .conftest import B1111, B1112, B1121, COMPOUND


def test_designating_a_compound_counts_the_people_inside(designate, people, commander):
    zone = designate("sealed", [COMPOUND], reason="瓦屋李新居 1 号楼发现阳性")
    assert zone.name == "瓦屋李新居封控区"
    assert (zone.kind, zone.regime, zone.status) == ("sealed", "sealed", ZoneStatus.ACTIVE)
    assert zone.protocol == get_preset("cn-three-zones-2022")
    assert (zone.residents, zone.elderly_alone, zone.medical_trips) == (3, 1, 0)
    assert zone.area_code == C11 and zone.designated_by == commander
    assert [(m.node_type, m.code) for m in zone.members.all()] == [("compound", COMPOUND)]
    # The compound has no shape of its own: its two buildings' squares are drawn.
    assert zone.geometry["type"] == "MultiPolygon" and len(zone.geometry["coordinates"]) == 2
    change = ZoneChange.objects.get(zone=zone)
    assert (change.action, change.by, change.reason) == ("designate", commander, zone.reason)
    event = OutboxEvent.objects.get(kind="zones.zone_designated")
    assert event.area_code == C11 and event.payload["zone_id"] == zone.pk
    assert event.payload["residents"] == 3 and event.payload["members"] == [COMPOUND]


def test_a_controlled_zone_of_two_grids(designate, people):
    zone = designate("controlled", [G111, G112])
    assert zone.name == "第一网格等管控区"
    assert (zone.residents, zone.elderly_alone, zone.medical_trips) == (5, 1, 1)
    assert zone.area_code == C11 and len(zone.geometry["coordinates"]) == 2
    assert selectors.zone_grid_codes(zone.members.all()) == [G111, G112]


def test_people_are_counted_in_one_query(designate, people, django_assert_num_queries):
    zone = designate("controlled", [G112, B1111])
    members = list(zone.members.all())
    with django_assert_num_queries(1):
        assert selectors.count_people(members) == {
            "residents": 5,
            "elderly_alone": 1,
            "medical_trips": 1,
        }


def test_many_zones_are_counted_together_by_the_same_rule(designate, people):
    """The set-based reads behind the daily evaluation place people in zones exactly as the
    one-zone query does, including someone whose grid code disagrees with their building."""
    from fangkong.people.models import Resident
    from fangkong.zones.facts import gather

    Resident.objects.filter(pk=people["张伟"].pk).update(area_code=G112)  # lives in B1111
    zones = [
        designate("sealed", [COMPOUND]),
        designate("controlled", [G112, B1111]),
        designate("sealed", [B1111, B1121]),
        designate("precaution", [G111, G112, G211]),
        designate("standstill", [B1111, B1112]),
    ]
    facts = gather(RiskZone.objects.filter(pk__in=[z.pk for z in zones]), results="none")
    for zone in zones:
        members = list(zone.members.all())
        assert facts[zone.pk].people == selectors.count_people(members), zone.name
        assert facts[zone.pk].grids == selectors.zone_grid_codes(members)
        by_grid = Resident.objects.filter(selectors.residents_q(members)).values_list(
            "area_code", flat=True
        )
        assert {g: c["residents"] for g, c in facts[zone.pk].people_by_grid.items()} == {
            g: list(by_grid).count(g) for g in set(by_grid)
        }
    assert facts[zones[4].pk].people["residents"] == 2  # 王芳, 李娜: 张伟's grid is not G111


def test_a_zone_keeps_the_protocol_version_it_was_designated_under(designate, people):
    nine = get_preset("cn-9th-edition-2022")
    zone = designate("high", [B1121], protocol=nine)
    assert (zone.kind, zone.regime, zone.protocol_id) == ("high", "sealed", nine.pk)
    with pytest.raises(RuleViolation) as caught:
        designate("sealed", [B1121], protocol=nine)
    assert caught.value.field == "kind"


@pytest.mark.parametrize(
    ("members", "field", "code"),
    [
        ([], "members", "required"),
        ([C11], "members", "level"),
        ([f"{G111}-009"], "members", "unknown"),
        ([f"{C11}-C09"], "members", "unknown"),
    ],
)
def test_bad_members_are_refused(designate, members, field, code):
    with pytest.raises(RuleViolation) as caught:
        designate("sealed", members)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert not RiskZone.objects.exists()


def test_only_the_command_designates(designate, make_user):
    worker = make_user(Role.GRID_WORKER, G111)
    with pytest.raises(PermissionDeniedError):
        designate("sealed", [B1111], user=worker)
    assert AuditEntry.objects.filter(user=worker, action=AuditAction.PERMISSION_DENIED).exists()
    assert not RiskZone.objects.exists()


# --- overlaps: the strictest regime applies ----------------------------------------------------

OVERLAPS = [
    # (outer kind over grid 111, inner kind over building 1111, regime in 1111, regime in 1112)
    ("controlled", "sealed", "sealed", "controlled"),
    ("sealed", "controlled", "sealed", "sealed"),
    ("precaution", "controlled", "controlled", "precaution"),
    ("controlled", "precaution", "controlled", "controlled"),
    ("controlled", "standstill", "sealed", "controlled"),
    ("precaution", "precaution", "precaution", "precaution"),
]


@pytest.mark.parametrize(("outer", "inner", "in_1111", "in_1112"), OVERLAPS)
def test_overlapping_zones_resolve_to_the_strictest(
    designate, people, outer, inner, in_1111, in_1112
):
    from fangkong.geo.models import Building

    designate(outer, [G111])
    designate(inner, [B1111])
    b1111, b1112 = Building.objects.get(code=B1111), Building.objects.get(code=B1112)
    assert selectors.applicable_zone_for_building(b1111).regime == in_1111
    assert selectors.applicable_zone_for_building(b1112).regime == in_1112
    assert selectors.applicable_zone_for_resident(people["王芳"]).regime == in_1111
    assert selectors.applicable_zone_for_resident(people["杨磊"]).regime is None


def test_the_regime_of_a_building_takes_one_query(designate, people, django_assert_num_queries):
    designate("controlled", [G111])
    designate("sealed", [COMPOUND])
    with django_assert_num_queries(1):
        found = selectors.applicable_zone(
            building_code=B1112, grid_code=G111, compound_code=COMPOUND
        )
    assert (found.regime, found.zone_kind) == ("sealed", "sealed")


def test_a_lifted_zone_no_longer_applies(designate, people):
    zone = designate("sealed", [G112])
    assert selectors.applicable_zone(grid_code=G112).zone == zone
    RiskZone.objects.filter(pk=zone.pk).update(
        status=ZoneStatus.LIFTED, ended_at=zone.designated_at
    )
    assert selectors.applicable_zone(grid_code=G112).regime is None


def test_users_see_the_zones_of_their_area(designate, make_user, people):
    zone = designate("sealed", [B1111])
    other = designate("controlled", [G211])
    assert {z.pk for z in selectors.zones_for_user(make_user(Role.GRID_WORKER, G111))} == {zone.pk}
    assert selectors.zones_for_user(make_user(Role.COMMUNITY_STAFF, C21)) == [other]
    assert len(selectors.zones_for_user(make_user())) == 2
    with pytest.raises(PermissionDeniedError):
        selectors.get_zone(user=make_user(Role.GRID_WORKER, G112), pk=zone.pk)
    assert selectors.get_zone(user=make_user(Role.GRID_WORKER, G112), pk=zone.pk + 99) is None
    with pytest.raises(PermissionDeniedError):
        selectors.zones_for_user(make_user(Role.SAMPLER, C11))


def test_the_name_is_written_in_the_site_language(designate, people):
    with translation.override("en"):
        zone = designate("precaution", [G111, G112])
    assert zone.name == "第一网格等防范区"


def test_the_open_incident_gets_a_timeline_entry(
    designate, people, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from fangkong.command.models import Incident, TimelineEntry

    incident = Incident.objects.create(
        title="瓦屋李采样小屋 20混1 疑似阳性", area_code=C11, opened_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        zone = designate("sealed", [COMPOUND])
    entry = TimelineEntry.objects.get(incident=incident, kind="zone_designated")
    assert zone.name in entry.text and "3" in entry.text
