"""River chiefs: patrol plans by level, patrol logs that count, compliance, and a hazard
from the patrol to 销号 with a deadline the chief sets and escalation when it is missed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, G111, S1
from fangkong.accounts.models import Role
from fangkong.core.errors import RuleViolation
from fangkong.governance.models import Hazard, PatrolLog, River, Stage
from fangkong.governance.patrol_plans import patrol_plans, period
from fangkong.governance.river_selectors import chief_compliance
from fangkong.governance.services.rivers import (
    appoint_chief,
    assign_hazard,
    create_segment,
    log_patrol,
    report_hazard,
    track_length_m,
)
from fangkong.governance.services.sweep import sweep_overdue_cases
from fangkong.governance.services.workflow import (
    check_case,
    close_case,
    feed_back_case,
    start_handling,
)
from fangkong.work.models import Task

# About 2.2 km along a parallel near 34.8°N.
LONG_TRACK = [[113.55, 34.8], [113.56, 34.8], [113.574, 34.8]]


@pytest.fixture
def segment(district):
    river = River.objects.create(name="贾鲁河", code="jialu")
    return create_segment(river=river, name="瓦屋李段", area_code=G111)


@pytest.fixture
def village_chief(segment, make_user):
    user = make_user(Role.GRID_WORKER, G111, display_name="村级河长")
    return appoint_chief(segment=segment, user=user, level="village")


@pytest.mark.parametrize(
    ("level", "every"), [("county", "quarter"), ("township", "month"), ("village", "week")]
)
def test_the_henan_plan_is_the_shipped_data(level, every):
    plan = patrol_plans().levels[level]
    assert (plan.every, plan.times) == (every, 1)


@pytest.mark.parametrize(
    ("every", "day", "start", "end"),
    [
        ("week", dt.date(2026, 12, 6), dt.date(2026, 11, 30), dt.date(2026, 12, 6)),
        ("month", dt.date(2026, 2, 10), dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("quarter", dt.date(2026, 11, 5), dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
    ],
)
def test_plan_periods(every, day, start, end):
    assert period(every, day) == (start, end)


def test_a_patrol_counts_when_long_enough_in_time_and_way(village_chief):
    user = village_chief.user
    end = timezone.now() - dt.timedelta(hours=1)
    short = log_patrol(
        user=user,
        chief=village_chief,
        started_at=end - dt.timedelta(minutes=20),
        ended_at=end,
        track=LONG_TRACK,
    )
    long = log_patrol(
        user=user,
        chief=village_chief,
        started_at=end - dt.timedelta(minutes=45),
        ended_at=end,
        track=LONG_TRACK,
        problems="河岸有建筑垃圾",
    )
    assert 2000 < track_length_m(LONG_TRACK) < 2300
    assert (short.counts, long.counts) == (False, True)
    # The period of the day the patrol started: in the first hours of a week "now" is in the
    # next one, where this patrol rightly does not count.
    (row,) = chief_compliance(user=user, on=timezone.localdate(long.started_at))
    assert (row.required, row.done, row.compliant) == (1, 1, True)


def test_only_the_chief_logs_their_patrols(village_chief, commander):
    end = timezone.now()
    with pytest.raises(RuleViolation) as exc:
        log_patrol(
            user=commander,
            chief=village_chief,
            started_at=end - dt.timedelta(hours=1),
            ended_at=end,
        )
    assert exc.value.code == "not_yours"


def test_a_bad_track_is_refused(village_chief):
    end = timezone.now()
    with pytest.raises(RuleViolation):
        log_patrol(
            user=village_chief.user,
            chief=village_chief,
            started_at=end - dt.timedelta(hours=1),
            ended_at=end,
            track=[[200, 1]],
        )


def test_a_hazard_from_found_to_closed_off_the_list(village_chief, units, commander, segment):
    case = report_hazard(
        user=village_chief.user, segment=segment, category="dump", title="河岸倾倒建筑垃圾"
    )
    assert Hazard.objects.get(case=case).category == "dump"
    deadline = timezone.localdate() + dt.timedelta(days=7)
    case = assign_hazard(case=case, user=commander, unit=units["community"], deadline=deadline)
    assert case.stage == Stage.DISPATCHED
    assert timezone.localtime(case.due_at).date() == deadline
    case = start_handling(case=case, user=commander)
    case = feed_back_case(case=case, user=commander, resolved=True, note="已清运")
    case = check_case(case=case, user=commander, passed=True)
    case = close_case(case=case, user=commander, closure_type="normal")  # 销号
    assert (case.stage, case.resolved) == (Stage.CLOSED, True)


def test_a_missed_deadline_escalates_up_the_chain(village_chief, units, commander, segment):
    case = report_hazard(user=village_chief.user, segment=segment, category="occupy", title="圈占")
    deadline = timezone.localdate() + dt.timedelta(days=3)
    assign_hazard(case=case, user=commander, unit=units["community"], deadline=deadline)
    later = timezone.now() + dt.timedelta(days=5)
    sweep_overdue_cases(now=later)
    areas = sorted(Task.objects.filter(kind="case_overdue").values_list("area_code", flat=True))
    assert areas == sorted([G111, C11])  # a day late: the village, then the township's grid
    sweep_overdue_cases(now=later + dt.timedelta(days=1))
    assert S1 in set(Task.objects.values_list("area_code", flat=True))


def test_an_overdue_hazard_climbs_the_chain_of_river_chiefs(
    village_chief, units, commander, segment, make_user
):
    township = appoint_chief(
        segment=segment, user=make_user(Role.SUBDISTRICT_STAFF, S1), level="township"
    )
    county = appoint_chief(segment=segment, user=commander, level="county")
    case = report_hazard(user=village_chief.user, segment=segment, category="dump", title="堆土")
    deadline = timezone.localdate() + dt.timedelta(days=1)
    assign_hazard(case=case, user=commander, unit=units["community"], deadline=deadline)
    case.refresh_from_db()
    sweep_overdue_cases(now=case.due_at + dt.timedelta(days=2, hours=1))  # three levels late
    tasks = Task.objects.filter(kind="case_overdue", detail__case=case.pk)
    assigned = {t.detail["level"]: (t.assignee, t.detail.get("chief_level")) for t in tasks}
    assert assigned == {
        1: (village_chief.user, "village"),
        2: (township.user, "township"),
        3: (county.user, "county"),
    }


def test_the_phone_page_logs_a_patrol_and_reports_its_hazard(client, village_chief, units):
    client.force_login(village_chief.user)
    end = timezone.localtime() - dt.timedelta(minutes=5)
    response = client.post(
        reverse("governance:patrol"),
        {
            "chief": village_chief.pk,
            "started_at": (end - dt.timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": end.strftime("%Y-%m-%dT%H:%M"),
            "track": "[[113.55, 34.8], [113.574, 34.8]]",
            "problems": "河道内有采砂痕迹",
            "category": "extract",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    log = PatrolLog.objects.get()
    assert log.counts and log.hazards.get().case.title == "河道内有采砂痕迹"
    page = client.get(reverse("governance:rivers")).content.decode()
    assert "贾鲁河·瓦屋李段" in page  # the chief's row and the open hazard


def test_open_hazards_page_by_page(client, village_chief, units, commander, segment, monkeypatch):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for n in range(3):
        report_hazard(user=village_chief.user, segment=segment, category="dump", title=f"堆土{n}")
    client.force_login(commander)
    first = client.get(reverse("governance:rivers")).content.decode()
    assert first.count('data-testid="hazard"') == 2 and 'href="?page=2"' in first
    second = client.get(reverse("governance:rivers"), {"page": 2}).content.decode()
    assert second.count('data-testid="hazard"') == 1
