"""Schedules: designation creates the zone's rounds (days, pooling, deadline, door-to-door
team at the community's sampling site) and its grid workers' daily tasks, idempotently."""

import datetime as dt

import pytest

from devtools.fixtures import C11, G111, G112
from fangkong.accounts.models import Role
from fangkong.testing import models as testing_models
from fangkong.testing.models import RoundKind, StationKind
from fangkong.work.models import Task
from fangkong.zones.protocols import get_preset, zone_rule
from fangkong.zones.services.schedules import ensure_daily_tasks

from .conftest import B1111, B1121, COMPOUND


@pytest.fixture
def at():
    return dt.datetime(2022, 6, 13, 4, 0, tzinfo=dt.UTC)


def test_a_sealed_zone_is_tested_on_its_days_by_single_tube(designate, people, at):
    zone = designate("sealed", [COMPOUND], designated_at=at)
    schedule = list(zone.schedule.select_related("round").order_by("day"))
    assert [s.day for s in schedule] == [1, 4, 7, 10, 14]
    first = schedule[0].round
    assert first.kind == RoundKind.ZONE_SCHEDULE and first.pool_size == 1
    assert first.pool_group == "sealed"
    assert first.starts_at == at and first.due_at == at + dt.timedelta(hours=24)
    assert schedule[1].round.starts_at == at + dt.timedelta(days=3)
    # The compound's two buildings, exactly: the round's coverage is the zone's people.
    assert first.scope_codes == [B1111, f"{G111}-002"]
    station = first.stations.get()
    assert station.kind == StationKind.DOOR_TO_DOOR
    assert station.site.place.code == f"{C11}-P01"  # 瓦屋李采样小屋


def test_a_controlled_zone_gets_ten_to_one_pools_and_48_hours(designate, people, at):
    zone = designate("controlled", [G111, G112], designated_at=at)
    first = zone.schedule.get(day=1).round
    assert (first.pool_size, first.pool_group) == (10, "controlled")
    assert first.due_at - first.starts_at == dt.timedelta(hours=48)
    assert first.scope_codes == [G111, G112]
    assert first.stations.get().kind == StationKind.BOOTH


@pytest.mark.parametrize(
    ("preset", "kind"),
    [
        ("cn-three-zones-2022", "sealed"),
        ("cn-three-zones-2022", "controlled"),
        ("cn-three-zones-2022", "precaution"),
        ("cn-9th-edition-2022", "high"),
        ("cn-9th-edition-2022", "medium"),
        ("cn-9th-edition-2022", "low"),
        ("cn-20-measures-2022-11", "high"),
        ("cn-20-measures-2022-11", "low"),
    ],
)
def test_every_zone_kind_is_scheduled_as_its_preset_says(designate, people, at, preset, kind):
    protocol = get_preset(preset)
    rule = zone_rule(protocol.data, kind)
    zone = designate(kind, [B1121], protocol=protocol, designated_at=at)
    rounds = {s.day: s.round for s in zone.schedule.select_related("round")}
    assert sorted(rounds) == rule["test_days"]
    for day, round_ in rounds.items():
        assert round_.starts_at == at + dt.timedelta(days=day - 1)
        assert round_.pool_size == rule["default_pool_size"]
    if rule["test_days"]:
        first = rounds[rule["test_days"][0]]
        assert first.due_at == at + dt.timedelta(hours=rule["first_round_within_hours"])


def test_a_standstill_gets_one_targeted_round(designate, people, at):
    zone = designate("standstill", [COMPOUND], designated_at=at)
    (only,) = zone.schedule.select_related("round")
    assert only.day == 1 and only.round.kind == RoundKind.TARGETED
    assert only.round.due_at == at + dt.timedelta(hours=24)


def test_grid_workers_get_a_task_a_day_and_again_changes_nothing(designate, people, make_user, at):
    w1 = make_user(Role.GRID_WORKER, G111)
    w2 = make_user(Role.GRID_WORKER, G111)
    zone = designate("sealed", [COMPOUND, B1121], designated_at=at)
    tasks = Task.objects.filter(kind="zone_daily")
    # 14 days × (two workers in grid 111 + an unassigned task for grid 112, which has none)
    assert tasks.count() == 14 * 3
    assert tasks.filter(assignee=w1).count() == 14 and tasks.filter(assignee=w2).count() == 14
    first = tasks.filter(assignee=w1).order_by("due_at").first()
    assert first.detail == {
        "zone_id": zone.pk,
        "day": 1,
        "grid": G111,
        "residents": 3,
        "elderly_alone": 1,
        "medical_trips": 0,
    }
    assert first.title.startswith(zone.name) and first.due_at > at
    assert first.area_code == G111
    assert tasks.filter(area_code=G112, assignee__isnull=True).first().detail["medical_trips"] == 1
    assert ensure_daily_tasks(zone, range(1, 15)) == 0
    assert ensure_daily_tasks(zone, [15]) == 3
    assert tasks.count() == 15 * 3


def test_rounds_are_listed_on_the_zone_page(client, commander, designate, people, at):
    zone = designate("sealed", [COMPOUND], designated_at=at)
    client.force_login(commander)
    html = client.get(f"/zones/{zone.pk}/").content.decode()
    assert 'data-testid="schedule"' in html
    assert html.count('data-testid="scheduled-round"') == 5
    assert testing_models.TestingRound.objects.count() == 5


def test_round_results_count_the_zone_people_only(designate, people, run_round, days_ago):
    from fangkong.zones.selectors import round_results

    zone = designate("sealed", [COMPOUND], designated_at=days_ago(5))
    inside = [people[n] for n in ("张伟", "王芳", "李娜")]
    run_round(zone, 1, inside, "negative")
    run_round(zone, 4, inside[:2], ["negative", "presumptive_positive"])
    rows = {r.day: r for r in round_results(zone)}
    assert (rows[1].inside, rows[1].sampled, rows[1].negative, rows[1].positive) == (3, 3, 3, 0)
    assert rows[1].complete and rows[1].all_negative and rows[1].percent == 100.0
    assert (rows[4].sampled, rows[4].negative, rows[4].positive) == (2, 1, 1)
    assert not rows[4].complete and not rows[4].all_negative
    assert rows[7].sampled == 0 and rows[7].pending == 0
