"""Overdue tubes on a round's live coverage (testing's selector) once tubes travel: a tube
sealed but not received, a received tube with no result, each past its own time limit."""

import datetime as dt

import pytest

from devtools.fixtures import C21
from fangkong.accounts.models import Role
from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
from fangkong.testing import selectors
from fangkong.testing.services.rounds import create_tubes
from fangkong.testing.services.transport import seal_tube
from fangkong.testing.tests.test_coverage import people, sample

__all__ = ["people"]


@pytest.fixture
def in_transit(people, station, tablet, tubes, now, lab, mass_round):
    """At `now`: a pooled and a single tube received by the lab, another pooled tube sealed."""
    p = people
    single = create_tubes(round=mass_round, count=1, capacity=1)[0]
    sample(station, tablet, tubes[0], [p["张伟"], p["王芳"]], now)
    sample(station, tablet, tubes[1], [p["李娜"]], now)
    sample(station, tablet, single, [p["刘洋"]], now)  # full at one: sealed at once
    seal_tube(barcode=tubes[0].barcode, actor=tablet, now=now)
    seal_tube(barcode=tubes[1].barcode, actor=tablet, now=now)
    box = pack_box(
        code="B1",
        round=mass_round,
        barcodes=[tubes[0].barcode, single.barcode],
        actor=tablet,
        by="采样员",
        now=now,
    )
    hand_box_to_courier(box=box, courier="转运员", actor=tablet, now=now)
    receive_box(box=box, lab=lab, actor=lab.token, by="检验员", now=now)
    return {"pooled": tubes[0], "sealed": tubes[1], "single": single}


def test_overdue_tubes_follow_the_limits(in_transit, commander, mass_round, now, settings):
    def overdue(hours):
        cov = selectors.round_coverage(
            user=commander, round=mass_round, now=now + dt.timedelta(hours=hours)
        )
        return cov.overdue_count, {(t.barcode, t.reason) for t in cov.overdue}

    t = in_transit
    assert overdue(1) == (0, set())
    # 7 h: the single tube is past its 6 h, the sealed tube past 4 h without reaching the lab;
    # the received pooled tube still has until 24 h.
    assert overdue(7) == (
        2,
        {(t["single"].barcode, "no_result"), (t["sealed"].barcode, "not_received")},
    )
    assert overdue(25)[0] == 3
    settings.FANGKONG_RESULT_HOURS_SINGLE = 8
    assert overdue(7) == (1, {(t["sealed"].barcode, "not_received")})
    cov = selectors.round_coverage(user=commander, round=mass_round, now=now)
    assert cov.tubes_by_state == {
        "open": 3,
        "sealed": 1,
        "boxed": 0,
        "received": 2,
        "resulted": 0,
    }


def test_overdue_and_tubes_are_scoped(in_transit, grid_worker, make_user, mass_round, now):
    later = now + dt.timedelta(hours=30)
    mine = selectors.round_coverage(user=grid_worker, round=mass_round, now=later)
    assert mine.tubes_total == 3 and mine.overdue_count == 3  # the used tubes of grid 111
    village = make_user(Role.COMMUNITY_STAFF, C21)
    theirs = selectors.round_coverage(user=village, round=mass_round, now=later)
    assert theirs.tubes_total == 0 and theirs.overdue == []
