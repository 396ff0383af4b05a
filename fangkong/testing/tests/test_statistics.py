"""Round statistics in the bulletin's form, from the rows of a round."""

import datetime as dt

import pytest

from devtools.fixtures import G111
from fangkong.geo.models import Household
from fangkong.people.models import Resident
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.selectors import bulletin_phrase, round_statistics
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.testing.services.rounds import create_tubes
from fangkong.testing.services.transport import record_environment_tube

SEED = {
    "people": [{"capacity": 20, "tubes": 360, "people": 6799}],
    "environment": {"tubes": 8, "points": 80},
}


def test_the_seed_pages_sentence():
    assert bulletin_phrase(SEED, "zh-hans") == "采集20:1标本360管6799人，外环境样本8管80个点位"
    assert bulletin_phrase(SEED, "en") == (
        "Collected 360 tubes of 20:1 pooled samples from 6,799 people, "
        "plus 8 environmental tubes from 80 swab points"
    )


@pytest.mark.parametrize(
    ("stats", "zh", "en"),
    [
        (
            {
                "people": [
                    {"capacity": 20, "tubes": 360, "people": 6799},
                    {"capacity": 1, "tubes": 12, "people": 12},
                ],
                "environment": {"tubes": 0, "points": 0},
            },
            "采集20:1标本360管6799人、单采单检12管12人",
            "Collected 360 tubes of 20:1 pooled samples from 6,799 people and "
            "12 single tubes from 12 people",
        ),
        (
            {"people": [], "environment": {"tubes": 1, "points": 10}},
            "采集外环境样本1管10个点位",
            "Collected 1 environmental tube from 10 swab points",
        ),
        ({"people": [], "environment": {"tubes": 0, "points": 0}}, "尚未采集样本", None),
    ],
)
def test_phrase_variants(stats, zh, en):
    assert bulletin_phrase(stats, "zh") == zh
    if en:
        assert bulletin_phrase(stats, "en") == en


@pytest.fixture
def neighbours(district):
    """45 residents of grid 111, registered without documents (sampled by sampling code)."""
    homes = list(Household.objects.filter(area_code=G111))
    return Resident.objects.bulk_create(
        [
            Resident(name=f"居民{i:02d}", household=homes[i % len(homes)], area_code=G111)
            for i in range(45)
        ]
    )


def register(station, tablet, tube, people, now):
    items = [
        SampleItem(
            idempotency_key=f"{tube.barcode}-{p.pk}",
            tube_barcode=tube.barcode,
            taken_at=now - dt.timedelta(minutes=1),
            sampling_code=sampling_code_for(p.pk),
        )
        for p in people
    ]
    assert register_samples(station=station, items=items, actor=tablet, now=now).accepted == len(
        items
    )


def test_statistics_from_real_rows(neighbours, station, tablet, mass_round, now):
    tubes = create_tubes(round=mass_round, count=4)  # 20:1; the fourth stays unused
    register(station, tablet, tubes[0], neighbours[:20], now)
    register(station, tablet, tubes[1], neighbours[20:40], now)
    register(station, tablet, tubes[2], neighbours[40:], now)
    env = create_tubes(round=mass_round, count=3, kind="environment", swab_points=10)
    for tube in env[:2]:  # the third was printed but not used
        record_environment_tube(barcode=tube.barcode, swab_points=10, actor=tablet)
    stats = round_statistics(round_ids=[mass_round.pk])[mass_round.pk]
    assert stats["people"] == [{"capacity": 20, "tubes": 3, "people": 45}]
    assert stats["environment"] == {"tubes": 2, "points": 20}
    assert stats["tubes_total"] == 5 and stats["people_total"] == 45
    assert bulletin_phrase(stats, "zh-hans") == "采集20:1标本3管45人，外环境样本2管20个点位"
    assert bulletin_phrase(stats, "en") == (
        "Collected 3 tubes of 20:1 pooled samples from 45 people, "
        "plus 2 environmental tubes from 20 swab points"
    )

    singles = create_tubes(round=mass_round, count=2, capacity=1)
    register(station, tablet, singles[0], neighbours[:1], now)
    register(station, tablet, singles[1], neighbours[1:2], now)
    assert (
        bulletin_phrase(round_statistics(round_ids=[mass_round.pk])[mass_round.pk], "zh-hans")
        == "采集20:1标本3管45人、单采单检2管2人，外环境样本2管20个点位"
    )


def test_empty_round(mass_round):
    stats = round_statistics(round_ids=[mass_round.pk])[mass_round.pk]
    assert stats["people"] == [] and stats["environment"] == {"tubes": 0, "points": 0}
    assert bulletin_phrase(stats, "zh-hans") == "尚未采集样本"
