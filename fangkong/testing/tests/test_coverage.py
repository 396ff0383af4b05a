"""Live coverage of a round: numbers, scoping, query count, overdue tubes, door-knocking."""

import datetime as dt

import pytest

from devtools.fixtures import C11, C21, G111, G112, G211, D
from fangkong.accounts.models import Role
from fangkong.core.errors import PermissionDeniedError
from fangkong.geo.models import Household
from fangkong.people.models import Residency, Resident, ResidentStatus
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing import selectors
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.testing.services.rounds import create_round, create_tubes


def sample(station, tablet, tube, people, now, visitor_document=None):
    items = [
        SampleItem(
            idempotency_key=f"{tube.barcode}-{p.pk}",
            tube_barcode=tube.barcode,
            taken_at=now - dt.timedelta(minutes=1),
            sampling_code=sampling_code_for(p.pk),
        )
        for p in people
    ]
    if visitor_document:
        items.append(
            SampleItem(
                idempotency_key=f"{tube.barcode}-visitor",
                tube_barcode=tube.barcode,
                taken_at=now - dt.timedelta(minutes=1),
                document_type="resident_id",
                document_number=visitor_document,
                name="过路访客",
            )
        )
    result = register_samples(station=station, items=items, actor=tablet, now=now)
    assert result.rejected == 0, [i.message for i in result.items if i.message]
    return result


@pytest.fixture
def people(residents):
    """The six residents, a floating resident in building 2 of grid 111, and one moved out."""
    home2 = Household.objects.filter(building__code=f"{G111}-002").order_by("code").first()
    floating = Resident.objects.create(
        name="赵敏",
        household=home2,
        area_code=G111,
        residency=Residency.FLOATING,
        phone_masked="135****0000",
    )
    moved = Resident.objects.create(
        name="孙悟", household=home2, area_code=G111, status=ResidentStatus.MOVED_OUT
    )
    return {r.name: r for r in [*residents, floating, moved]}


@pytest.fixture
def sampled(people, station, tablet, tubes, now, id_number):
    """张伟, 王芳 (grid 111) and 刘洋 (grid 112) tested, 张伟 twice; one visitor tested."""
    p = people
    sample(
        station,
        tablet,
        tubes[0],
        [p["张伟"], p["王芳"], p["刘洋"]],
        now,
        visitor_document=id_number("410172", "19880808", 77),
    )
    sample(station, tablet, tubes[1], [p["张伟"]], now)
    return p


def test_coverage_counts_residents_tested_and_visitors(sampled, commander, mass_round):
    cov = selectors.round_coverage(user=commander, round=mass_round)
    assert (cov.residents, cov.tested, cov.untested, cov.visitors_tested) == (7, 3, 4, 1)
    assert cov.percent == pytest.approx(42.9)
    by_grid = {g.code: (g.residents, g.tested, g.untested, g.visitors_tested) for g in cov.grids}
    assert by_grid == {G111: (4, 2, 2, 1), G112: (2, 1, 1, 0), G211: (1, 0, 1, 0)}
    assert [g.name for g in cov.grids] == ["第一网格", "第二网格", "第一网格"]
    assert cov.tubes_by_state["open"] == 5 and cov.tubes_total == 5


def _tallies(round_):
    from fangkong.testing.models import RoundMember, RoundTally

    return (
        sorted(
            RoundTally.objects.filter(round=round_).values_list("area_code", "tested", "visitors")
        ),
        sorted(RoundMember.objects.filter(round=round_).values_list("resident_id", "area_code")),
    )


def test_registration_keeps_the_tallies_that_a_recount_finds(
    sampled, station, tablet, tubes, now, mass_round, commander
):
    from fangkong.testing.services.tallies import rebuild_round_tallies

    # The visitor again, in a second batch: a known visitor, not a new one, still a visitor.
    visitor = Resident.objects.get(residency=Residency.VISITOR)
    sample(station, tablet, tubes[2], [visitor, sampled["王芳"]], now)
    kept = _tallies(mass_round)
    # 张伟 twice and 王芳 twice count once each; 刘洋 in grid 112; the visitor apart.
    assert kept[0] == [(G111, 2, 1), (G112, 1, 0)]
    assert len(kept[1]) == 4
    assert rebuild_round_tallies([mass_round.pk]) == 4
    assert _tallies(mass_round) == kept
    cov = selectors.round_coverage(user=commander, round=mass_round)
    assert (cov.tested, cov.visitors_tested) == (3, 1)


def test_coverage_is_scoped_to_the_user_and_the_node(
    sampled, commander, grid_worker, make_user, mass_round
):
    mine = selectors.round_coverage(user=grid_worker, round=mass_round)
    assert [g.code for g in mine.grids] == [G111] and (mine.residents, mine.tested) == (4, 2)
    # A grid worker asking for the whole district still sees only their grid.
    assert selectors.round_coverage(user=grid_worker, round=mass_round, area_code=D).residents == 4
    community = selectors.round_coverage(user=commander, round=mass_round, area_code=C11)
    assert (community.residents, community.tested) == (6, 3)
    assert [g.code for g in community.grids] == [G111, G112]
    village = make_user(Role.COMMUNITY_STAFF, C21)
    theirs = selectors.round_coverage(user=village, round=mass_round)
    assert (theirs.residents, theirs.tested, theirs.visitors_tested) == (1, 0, 0)
    assert theirs.tubes_total == 0  # the booth and its tubes are in grid 111
    elsewhere = selectors.round_coverage(user=village, round=mass_round, area_code=G111)
    assert elsewhere.residents == 0 and elsewhere.grids == []
    with pytest.raises(PermissionDeniedError):
        selectors.round_coverage(user=make_user(Role.SAMPLER, C11), round=mass_round)


def test_round_over_some_areas_counts_only_them(sampled, commander, grid_worker, make_user):
    round_ = create_round(name="两个网格", scope_codes=[G111, G211], user=commander)
    cov = selectors.round_coverage(user=commander, round=round_)
    assert [g.code for g in cov.grids] == [G111, G211] and cov.residents == 5
    assert cov.tested == 0  # samples of another round do not count
    assert round_ in selectors.rounds_for_user(grid_worker)
    other = make_user(Role.GRID_WORKER, G112)
    assert round_ not in selectors.rounds_for_user(other)
    assert selectors.get_round(user=other, pk=round_.pk) is None


def test_recount_command_repairs_the_kept_counts(sampled, mass_round):
    import io
    import json

    from django.core.management import CommandError, call_command

    from fangkong.testing.models import RoundTally

    RoundTally.objects.filter(round=mass_round, area_code=G111).update(tested=99)
    out = io.StringIO()
    call_command("coverage", "recount", "--round", str(mass_round.pk), "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert (figures["tested"], figures["visitors"], figures["tested_before"]) == (3, 1, 100)
    assert figures["corrected"] is True
    assert RoundTally.objects.get(round=mass_round, area_code=G111).tested == 2
    with pytest.raises(CommandError, match="不存在此编号的检测轮次"):  # in the user's language
        call_command("coverage", "recount", "--round", "999", stdout=io.StringIO())


def test_round_over_one_building_counts_its_people(people, commander, tablet, now):
    from fangkong.geo.models import Place
    from fangkong.testing.services.rounds import add_station

    building = f"{G111}-002"
    round_ = create_round(name="一栋楼", scope_codes=[building], user=commander)
    station = add_station(
        round=round_, place=Place.objects.get(code=f"{C11}-P01"), name="上门", devices=[tablet]
    )
    tube = create_tubes(round=round_, count=1)[0]
    sample(station, tablet, tube, [people["赵敏"], people["张伟"]], now)
    inside = Resident.objects.filter(
        household__building__code=building,
        status=ResidentStatus.ACTIVE,
        residency__in=[Residency.REGISTERED, Residency.FLOATING],
    )
    cov = selectors.round_coverage(user=commander, round=round_)
    assert cov.residents == inside.count()
    # 赵敏 lives in the building; 张伟 counts only if he does too.
    assert cov.tested == inside.filter(name__in=["赵敏", "张伟"]).count() >= 1


def test_coverage_query_count_does_not_grow_with_people(
    sampled, commander, mass_round, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        selectors.round_coverage(user=commander, round=mass_round)
    homes = list(Household.objects.filter(area_code=G211))
    Resident.objects.bulk_create(
        [Resident(name=f"居民{i}", household=homes[i % 12], area_code=G211) for i in range(200)]
    )
    with django_assert_max_num_queries(6):
        cov = selectors.round_coverage(user=commander, round=mass_round)
    assert cov.residents == 207  # the cached population follows new residents at once
    with django_assert_max_num_queries(5):  # unchanged people: counted from the cache
        selectors.round_coverage(user=commander, round=mass_round)
    leaving = Resident.objects.filter(area_code=G211).first()
    leaving.status = ResidentStatus.MOVED_OUT
    leaving.save()
    assert selectors.round_coverage(user=commander, round=mass_round).residents == 206


def test_untested_list_by_building(sampled, grid_worker, mass_round):
    groups = selectors.untested_by_building(user=grid_worker, round=mass_round)
    assert [(g.code, [r.name for r in g.residents]) for g in groups] == [
        (f"{G111}-001", ["李娜"]),
        (f"{G111}-002", ["赵敏"]),
    ]
