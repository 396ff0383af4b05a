"""One set of rounds, one set of figures: the round page, the dashboard, the daily bulletin
(figures and text) and the zones' lifting facts read testing's published selectors, so they
report the same numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.command.services.bulletins import write_daily_bulletin
from fangkong.lab.services.boxes import hand_box_to_courier, pack_box, receive_box
from fangkong.lab.services.results import ResultIn, record_results
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.models import RetestOrder, RetestState, Tube, TubeState
from fangkong.testing.selectors import bulletin_phrase
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.testing.services.rounds import create_tubes
from fangkong.testing.services.transport import record_environment_tube, seal_tube
from fangkong.zones.facts import gather
from fangkong.zones.services.designation import designate_zone

from .conftest import G111, G112, D

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def sampler(commander):
    token, _clear = create_device_token(
        name="采样平板", role=Role.SAMPLER, scope_code=D, created_by=commander
    )
    return token


def collect(*, station, sampler, lab, tubes_people, at, received_at, box):
    """Each (tube, people) registered at `at`, sealed, boxed and received at `received_at`."""
    items = [
        SampleItem(
            idempotency_key=f"{tube.barcode}-{p.pk}",
            tube_barcode=tube.barcode,
            taken_at=at,
            sampling_code=sampling_code_for(p.pk),
        )
        for tube, people in tubes_people
        for p in people
    ]
    batch = register_samples(
        station=station, items=items, actor=sampler, now=at + dt.timedelta(minutes=1)
    )
    assert batch.accepted == len(items), batch.items
    barcodes = [tube.barcode for tube, _people in tubes_people]
    for tube in Tube.objects.filter(barcode__in=barcodes, state=TubeState.OPEN):
        seal_tube(barcode=tube.barcode, actor=sampler, now=at)
    packed = pack_box(
        code=box, round=station.round, barcodes=barcodes, actor=sampler, by="采样员", now=at
    )
    hand_box_to_courier(box=packed, courier="转运员", actor=sampler, now=at)
    receive_box(box=packed, lab=lab, actor=lab.token, by="检验员", now=received_at)


@pytest.fixture
def rounds(commander, residents, lab, sampler, django_capture_on_commit_callbacks):
    """A controlled zone over grids 111 and 112 and its first round, ten hours old:

    - pool A (10:1): 张伟 and 王芳, positive; both re-tested negative: cleared;
    - pool B (10:1): 刘洋 and 陈静, positive; 刘洋 re-tested negative, 陈静 not yet: uncleared;
    - a single tube: 李娜, received by the lab 6.5 h ago with no result yet: overdue;
    - an environmental tube of 10 swab points, sealed 5 h ago, never received: overdue.
    """
    people = {r.name: r for r in residents}
    now = timezone.now()
    t0 = now - 10 * HOUR
    zone = designate_zone(
        kind="controlled", members=[G111, G112], user=commander, designated_at=t0, reason="测试"
    )
    round_ = zone.schedule.order_by("day").first().round
    station = round_.stations.first()
    station.devices.add(sampler)
    pool_a, pool_b = create_tubes(round=round_, count=2, capacity=10)
    (single,) = create_tubes(round=round_, count=1, capacity=1)
    (env,) = create_tubes(round=round_, count=1, kind="environment", swab_points=10)
    collect(
        station=station,
        sampler=sampler,
        lab=lab,
        tubes_people=[
            (pool_a, [people["张伟"], people["王芳"]]),
            (pool_b, [people["刘洋"], people["陈静"]]),
        ],
        at=t0 + HOUR,
        received_at=t0 + 2 * HOUR,
        box="BOX-A",
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab,
            items=[ResultIn(pool_a.barcode, "positive"), ResultIn(pool_b.barcode, "positive")],
            actor=lab.token,
            now=t0 + 3 * HOUR,
        )
    collect(
        station=station,
        sampler=sampler,
        lab=lab,
        tubes_people=[(single, [people["李娜"]])],
        at=now - 7 * HOUR,
        received_at=now - 6.5 * HOUR,
        box="BOX-S",
    )
    record_environment_tube(barcode=env.barcode, swab_points=10, actor=sampler, now=now - 5 * HOUR)

    # Single-tube retests at home: three of the four members negative.
    orders = RetestOrder.objects.select_related("station__round", "resident")
    retested = [o for o in orders if o.resident.name in ("张伟", "王芳", "刘洋")]
    retest_round = retested[0].station.round
    retest_tubes = create_tubes(round=retest_round, count=3, capacity=1)
    collect(
        station=retested[0].station,
        sampler=sampler,
        lab=lab,
        tubes_people=[(t, [o.resident]) for t, o in zip(retest_tubes, retested, strict=True)],
        at=t0 + 5 * HOUR,
        received_at=t0 + 6 * HOUR,
        box="BOX-R",
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_results(
            lab=lab,
            items=[ResultIn(t.barcode, "negative") for t in retest_tubes],
            actor=lab.token,
            now=t0 + 7 * HOUR,
        )
    assert RetestOrder.objects.filter(state=RetestState.NEGATIVE).count() == 3
    return {"zone": zone, "round": round_, "now": now, "overdue": {single.barcode, env.barcode}}


EXPECTED_STATS = {
    "people": [
        {"capacity": 10, "tubes": 2, "people": 4},
        {"capacity": 1, "tubes": 1, "people": 1},
    ],
    "environment": {"tubes": 1, "points": 10},
    "people_tubes": 3,
    "people_total": 5,
    "tubes_total": 4,
}


def test_every_page_reports_the_same_figures_of_a_round(client, commander, rounds):
    round_ = rounds["round"]
    client.force_login(commander)

    # The round page.
    page = client.get(reverse("testing:round", args=[round_.pk]))
    assert page.status_code == 200
    stats, coverage = page.context["stats"], page.context["coverage"]
    assert {k: v for k, v in stats.items() if k != "round_id"} == EXPECTED_STATS
    assert coverage.tested == 5
    assert (coverage.tubes.positive_pools, coverage.tubes.uncleared_pools) == (2, 1)
    assert coverage.overdue_count == 2
    assert {t.barcode for t in coverage.overdue} == rounds["overdue"]
    assert 'data-testid="positive-pools"' in page.content.decode()
    assert "阳性混管：2 管，尚未经单管复检阴性解除：1 管" in page.content.decode()

    # The dashboard: the same round, the same figures.
    live = client.get(reverse("command:dashboard_live"))
    board = live.context["board"]
    (row,) = [r for r in board.rounds if r.round.pk == round_.pk]
    assert row.stats == stats and row.phrase == page.context["phrase"]
    assert row.tubes == coverage.tubes
    assert row.tested == coverage.tested and row.residents == coverage.residents
    assert {t.barcode for t in board.overdue_tubes} == rounds["overdue"]
    assert board.overdue_tube_count == coverage.overdue_count
    assert 'data-testid="uncleared-pools"><span class="tag warn">1</span>' in live.content.decode()

    # The day's bulletin: figures kept with it, and its text.
    bulletin = write_daily_bulletin(
        day=timezone.localdate(rounds["now"]), scope_code=D, user=commander
    )
    (figures,) = [r for r in bulletin.figures["rounds"] if r["id"] == round_.pk]
    assert figures["stats"] == stats
    assert figures["tubes"] == coverage.tubes.results()
    assert figures["tubes"] == {
        "collected": 4,
        "resulted": 2,
        "negative": 0,
        "alarm": 2,
        "invalid": 0,
    }
    assert figures["pools"] == {"positive": 2, "cleared": 1}
    assert figures["phrase_zh"] == bulletin_phrase(stats, "zh-hans")
    assert figures["phrase_zh"] in bulletin.text_zh
    assert "已出结果2管，其中初筛阳性2管，其余2管正在检测。" in bulletin.text_zh

    # The zone's lifting facts: the round's people, a cleared member counted negative.
    facts = gather([rounds["zone"]], now=rounds["now"], results="all")[rounds["zone"].pk]
    (result,) = [r for r in facts.rounds if r.round_id == round_.pk]
    assert result.sampled == coverage.tested == stats["people_total"]
    assert (result.negative, result.positive, result.pending) == (3, 1, 1)
