"""A retest round counts the people ordered, not the residents of their grids: its 应检, its
not-yet-tested list, its door-knocking and its planner act on those people only; its window
is the retest deadline (a setting, in hours)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11
from fangkong.geo.models import Place
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.selectors import round_coverage, untested_residents
from fangkong.testing.services.doorknock import generate_doorknock_tasks
from fangkong.testing.services.pools import respond_to_pool
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.testing.services.rounds import add_station, create_round, create_tubes


def register(station, tablet, tube, people, now):
    items = [
        SampleItem(
            idempotency_key=f"{tube.barcode}-{p.pk}",
            tube_barcode=tube.barcode,
            taken_at=now,
            sampling_code=sampling_code_for(p.pk),
        )
        for p in people
    ]
    assert register_samples(station=station, items=items, actor=tablet).accepted == len(items)


@pytest.fixture
def retest(mass_round, tablet, residents, now):
    """A pool of 张伟, 王芳 (grid 111) and 刘洋 (grid 112) came back positive: three orders
    in a retest round over two grids where five residents live."""
    people = {r.name: r for r in residents}
    station = add_station(
        round=mass_round, place=Place.objects.get(code=f"{C11}-P01"), name="1号台", devices=[tablet]
    )
    (tube,) = create_tubes(round=mass_round, count=1)
    register(station, tablet, tube, [people["张伟"], people["王芳"], people["刘洋"]], now)
    respond_to_pool(tube=tube, result="positive", at=now - dt.timedelta(hours=1), events=[])
    round_ = mass_round.retest_rounds.get()
    return round_, people


def test_a_retest_round_expects_the_people_ordered_not_their_grids(retest, commander, tablet, now):
    round_, people = retest
    coverage = round_coverage(user=commander, round=round_)
    assert (coverage.residents, coverage.tested, coverage.only_listed) == (3, 0, True)
    assert {r.name for r in untested_residents(user=commander, round=round_)} == {
        "张伟",
        "王芳",
        "刘洋",
    }

    team = round_.stations.get()
    (single,) = create_tubes(round=round_, count=1)
    register(team, tablet, single, [people["张伟"]], now)
    coverage = round_coverage(user=commander, round=round_)
    assert (coverage.residents, coverage.tested) == (3, 1)
    assert {(g.residents, g.tested) for g in coverage.grids} == {(2, 1), (1, 0)}


def test_door_knocking_of_a_retest_round_goes_after_the_people_ordered_only(retest, commander):
    round_, _people = retest
    result = generate_doorknock_tasks(round=round_, user=commander)
    assert result.people == 3


def test_the_retest_page_plans_for_the_people_ordered(client, retest, commander):
    round_, _people = retest
    client.force_login(commander)
    page = client.get(reverse("testing:round", args=[round_.pk]))
    assert page.context["plan"].population == 3
    assert page.context["coverage"].residents == 3
    assert 'data-testid="rosters"' not in page.content.decode()


def test_the_retest_deadline_is_a_setting_in_hours(retest, settings):
    round_, _people = retest
    assert round_.due_at - round_.starts_at == dt.timedelta(hours=12)
    settings.FANGKONG_RETEST_DEADLINE_HOURS = 6
    later = create_round(
        name="复检",
        scope_codes=round_.scope_codes,
        user=None,
        kind="retest",
        pool_size=1,
        starts_at=timezone.now(),
    )
    assert later.due_at - later.starts_at == dt.timedelta(hours=6)
