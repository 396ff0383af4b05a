"""The dashboard tells the truth about rounds: scheduled rounds are not active, a retest round
counts the people ordered and a school round its roster, as the round page does; the coverage
map shows the latest round with activity by default, and any active round on request."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from fangkong.geo.models import Community, Grid, Place
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.selectors import round_coverage
from fangkong.testing.services.pools import respond_to_pool
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.testing.services.rosters import attach_roster, import_roster
from fangkong.testing.services.rounds import add_station, create_round, create_tubes

from .conftest import C11, G111, G112, D

HOUR = dt.timedelta(hours=1)


def register(station, tablet, people, at):
    (tube,) = create_tubes(round=station.round, count=1, capacity=min(20, station.round.pool_size))
    items = [
        SampleItem(
            idempotency_key=f"{tube.barcode}-{p.pk}",
            tube_barcode=tube.barcode,
            taken_at=at,
            sampling_code=sampling_code_for(p.pk),
        )
        for p in people
    ]
    assert register_samples(station=station, items=items, actor=tablet).accepted == len(items)
    return tube


@pytest.fixture
def board(commander, mass_round, station, tablet, people, id_number):
    """The routine round over the district (one person sampled two hours ago), a school round
    (its roster of three, one of them sampled an hour ago), a retest round of three people
    and a round that starts tomorrow."""
    now = timezone.now()
    pool = register(
        station, tablet, [people["张伟"], people["王芳"], people["刘洋"]], now - 2 * HOUR
    )
    respond_to_pool(tube=pool, result="positive", at=now - 2 * HOUR, events=[])
    school = Place.objects.create(
        code=f"{C11}-P02",
        name_zh="高新区实验学校",
        kind="school",
        community=Community.objects.get(code=C11),
        grid=Grid.objects.get(code=G112),
        area_code=G112,
    )
    school_round = create_round(
        name="实验学校定向筛查",
        scope_codes=[G112],
        user=commander,
        kind="targeted",
        starts_at=now - 3 * HOUR,
    )
    book = Workbook()
    book.active.append(["姓名", "证件号码", "班级"])
    for n, name in enumerate(["赵小明", "钱小红", "孙小刚"]):
        book.active.append([name, id_number("410172", "20150301", 70 + n), "三年级一班"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    roster = import_roster(place=school, source=data, filename="名单.xlsx", user=commander).roster
    attach_roster(round=school_round, roster=roster, user=commander)
    school_station = add_station(
        round=school_round, place=school, name="学校采样点", devices=[tablet]
    )
    pupil = roster.members.get(resident__name="赵小明").resident
    register(school_station, tablet, [pupil], now - HOUR)
    future = create_round(
        name="第4天区域筛查", scope_codes=[D], user=commander, starts_at=now + 24 * HOUR
    )
    return {
        "routine": mass_round,
        "school": school_round,
        "retest": mass_round.retest_rounds.get(),
        "future": future,
    }


def test_the_dashboard_counts_the_active_rounds_as_their_pages_do(client, commander, board):
    client.force_login(commander)
    live = client.get(reverse("command:dashboard_live"))
    rows = {r.round.pk: r for r in live.context["board"].rounds}
    assert board["future"].pk not in rows
    assert set(rows) == {board["routine"].pk, board["school"].pk, board["retest"].pk}
    assert 'data-testid="active-rounds">3<' in live.content.decode()
    for key in ("routine", "school", "retest"):
        coverage = round_coverage(user=commander, round=board[key])
        row = rows[board[key].pk]
        assert (row.residents, row.tested) == (coverage.residents, coverage.tested), key
    assert (rows[board["retest"].pk].residents, rows[board["retest"].pk].tested) == (3, 0)
    # The school: 陈静 and 刘洋 live in grid 112, plus three pupils, one sampled.
    assert (rows[board["school"].pk].residents, rows[board["school"].pk].tested) == (5, 1)


def test_the_map_shows_the_latest_round_with_activity_and_any_round_chosen(
    client, commander, board
):
    client.force_login(commander)
    page = client.get(reverse("command:dashboard"))
    primary = page.context["board"].primary
    assert primary.round.pk == board["school"].pk
    html = page.content.decode()
    assert f'<option value="{board["school"].pk}" selected>' in html
    assert f'<option value="{board["future"].pk}"' not in html
    (school_grid,) = page.context["map_rows"]
    assert (school_grid["code"], school_grid["residents"], school_grid["tested"]) == (G112, 5, 1)

    chosen = client.get(reverse("command:dashboard"), {"round": board["routine"].pk})
    assert chosen.context["board"].primary.round.pk == board["routine"].pk
    rows = {r["code"]: r for r in chosen.context["map_rows"]}
    assert rows[G111]["tested"] == 2
    assert f"?round={board['routine'].pk}" in chosen.content.decode()  # the polls keep it
    live = client.get(reverse("command:dashboard_live"), {"round": board["retest"].pk})
    rows = {r["code"]: (r["residents"], r["tested"]) for r in live.context["map_rows"]}
    assert rows == {G111: (2, 0), G112: (1, 0)}
