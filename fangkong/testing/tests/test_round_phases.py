"""Rounds that close and tell the truth: a round not started yet is scheduled (未开始), not
sampling, and not active; sampling closes at the end of its window or by hand; a closed round
whose every used tube has its result is complete."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, D
from fangkong.geo.models import Place
from fangkong.people.sampling_codes import sampling_code_for
from fangkong.testing.models import RoundStatus, Tube, TubeState
from fangkong.testing.selectors import RoundPhase, active_rounds, round_phase
from fangkong.testing.services.registration import SampleItem, register_samples
from fangkong.testing.services.rounds import (
    add_station,
    close_due_rounds,
    close_round,
    create_round,
    create_tubes,
)

HOUR = dt.timedelta(hours=1)


def item(tube, person, at):
    return SampleItem(
        idempotency_key=f"{tube.barcode}-{person.pk}",
        tube_barcode=tube.barcode,
        taken_at=at,
        sampling_code=sampling_code_for(person.pk),
    )


@pytest.fixture
def future_round(district, commander):
    return create_round(
        name="第4天区域筛查", scope_codes=[D], user=commander, starts_at=timezone.now() + 24 * HOUR
    )


def test_a_round_not_started_is_scheduled_and_not_active(future_round, mass_round, commander):
    now = timezone.now()
    assert round_phase(round=future_round, now=now) == RoundPhase.SCHEDULED
    assert round_phase(round=mass_round, now=now) == RoundPhase.SAMPLING
    assert [r.pk for r, _p in active_rounds(user=commander, limit=30)] == [mass_round.pk]
    assert round_phase(round=future_round, now=now + 25 * HOUR) == RoundPhase.SAMPLING


def test_the_round_list_says_scheduled_in_chinese(client, future_round, commander):
    client.force_login(commander)
    html = client.get(reverse("testing:rounds")).content.decode()
    assert 'data-phase="scheduled">未开始<' in html
    assert 'data-phase="sampling">' not in html


def test_the_round_list_names_its_areas_with_their_codes_as_hints(client, future_round, commander):
    from fangkong.geo.selectors import get_node

    client.force_login(commander)
    html = client.get(reverse("testing:rounds")).content.decode()
    assert f'{get_node(D).name_zh} <code class="muted">{D}</code>' in html
    assert f"<td><code>{D}</code></td>" not in html


def test_sampling_closes_at_the_end_of_its_window(
    district, commander, residents, tablet, django_assert_max_num_queries
):
    start = timezone.now() - 30 * HOUR
    round_ = create_round(
        name="2022年6月13日筛查", scope_codes=[D], user=commander, starts_at=start
    )
    assert round_.due_at == start + 24 * HOUR
    now = timezone.now()
    assert round_phase(round=round_, now=now) == RoundPhase.CLOSED
    assert active_rounds(user=commander, limit=30) == []

    station = add_station(
        round=round_, place=Place.objects.get(code=f"{C11}-P01"), name="1号台", devices=[tablet]
    )
    (tube,) = create_tubes(round=round_, count=1)
    late = register_samples(station=station, items=[item(tube, residents[0], now)], actor=tablet)
    assert [(o.status, o.code) for o in late.items] == [("rejected", "window_closed")]

    # A tablet's offline queue still brings the swabs taken inside the window.
    on_time = register_samples(
        station=station, items=[item(tube, residents[1], round_.due_at - HOUR)], actor=tablet
    )
    assert on_time.accepted == 1

    assert close_due_rounds(now=now) == 0  # late uploads may still come
    now += 12 * HOUR
    assert close_due_rounds(now=now) == 1
    round_.refresh_from_db()
    assert (round_.status, round_.closed_at) == (RoundStatus.CLOSED, round_.due_at)
    assert close_due_rounds(now=now) == 0  # a job: re-running closes nothing twice


def test_the_command_line_closes_due_rounds(district, commander):
    create_round(
        name="旧轮次", scope_codes=[D], user=commander, starts_at=timezone.now() - 72 * HOUR
    )
    out = io.StringIO()
    call_command("rounds", "close-due", stdout=out)
    assert "1" in out.getvalue()


def test_a_round_closed_by_hand_is_complete_once_every_used_tube_has_its_result(
    mass_round, station, tablet, residents, commander, now
):
    pool, _unused = create_tubes(round=mass_round, count=2)
    (env,) = create_tubes(round=mass_round, count=1, kind="environment", swab_points=10)
    batch = register_samples(
        station=station, items=[item(pool, p, now) for p in residents[:3]], actor=tablet
    )
    assert batch.accepted == 3
    close_round(round=mass_round, user=commander)
    assert round_phase(round=mass_round, now=timezone.now()) == RoundPhase.CLOSED
    # The lab's answer (how it arrives is the lab's tests' business).
    Tube.objects.filter(pk=pool.pk).update(state=TubeState.RESULTED, result="negative")
    # An unused tube and a never-collected environmental tube keep nobody waiting.
    assert Tube.objects.get(pk=env.pk).state == TubeState.OPEN
    assert round_phase(round=mass_round, now=timezone.now()) == RoundPhase.COMPLETE


def test_the_round_page_shows_the_phase_and_closes_by_hand(client, mass_round, commander):
    client.force_login(commander)
    page = client.get(reverse("testing:round", args=[mass_round.pk])).content.decode()
    assert 'data-phase="sampling">采样中<' in page and 'data-testid="round-close-form"' in page
    client.post(reverse("testing:round_close", args=[mass_round.pk]))
    page = client.get(reverse("testing:round", args=[mass_round.pk])).content.decode()
    assert 'data-phase="closed">采样结束<' in page
    assert 'data-testid="round-close-form"' not in page


def test_the_new_round_form_schedules_a_round_with_its_sampling_window(client, commander):
    client.force_login(commander)
    url = reverse("testing:round_new")
    start = timezone.localtime() + 24 * HOUR
    fields = {"name": "明日筛查", "areas": [D], "pool_group": "general", "kind": "targeted"}
    refused = client.post(
        url,
        {
            **fields,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "due_at": (start - HOUR).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert refused.status_code == 422 and "采样截止时间须晚于开始时间" in refused.content.decode()
    made = client.post(
        url,
        {
            **fields,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "due_at": (start + 6 * HOUR).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert made.status_code == 302
    page = client.get(made["Location"]).content.decode()
    assert 'data-phase="scheduled">未开始<' in page


def test_the_round_list_pages_a_campaigns_rounds(client, district, commander, monkeypatch):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for day in (4, 5, 6):
        create_round(
            name=f"第{day}天区域筛查",
            scope_codes=[D],
            user=commander,
            starts_at=timezone.now() + day * 24 * HOUR,
        )
    client.force_login(commander)
    first = client.get(reverse("testing:rounds")).content.decode()
    assert first.count('data-testid="round-phase"') == 2 and 'href="?page=2"' in first
    second = client.get(reverse("testing:rounds"), {"page": 2}).content.decode()
    assert second.count('data-testid="round-phase"') == 1 and 'href="?page=1"' in second
