"""Recurring care kept as templates and extended each day while the zone stands."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from devtools.fixtures import C11
from fangkong.core.events import publish
from fangkong.people.models import Resident, ResidentStatus
from fangkong.services.models import CareTemplate
from fangkong.services.services.care import DIALYSIS, REFILL, WELFARE, set_care_profile
from fangkong.services.services.care_templates import extend_care_templates
from fangkong.work.models import Task
from fangkong.zones.events import ZoneLifted
from fangkong.zones.services.designation import designate_zone

from .conftest import at

pytestmark = pytest.mark.django_db
COMPOUND = f"{C11}-C01"  # 张伟, 王芳 (elderly, alone), 李娜
D = dt.date


@pytest.fixture
def people(residents):
    return {r.name: r for r in residents}


@pytest.fixture
def zone(commander, people, django_capture_on_commit_callbacks):
    """Sealed on Saturday 13 June; 王芳 on dialysis Mon/Wed/Fri, 李娜 refilled every 30 days."""
    set_care_profile(user=commander, resident=people["王芳"], dialysis_days=[0, 2, 4])
    set_care_profile(user=commander, resident=people["李娜"], refill_days=30)
    with django_capture_on_commit_callbacks(execute=True):
        return designate_zone(
            user=commander, kind="sealed", members=[COMPOUND], designated_at=at("2026-06-13 08:00")
        )


def _days(zone, resident, kind) -> list[dt.date]:
    tasks = Task.objects.filter(
        key__startswith=f"care:{zone.pk}:{resident.pk}:{kind}:", state="open"
    )
    return sorted(dt.date.fromisoformat(t.detail["day"]) for t in tasks)


def test_designation_keeps_a_template_per_recurring_need(zone, people):
    kept = {(t.resident.name, t.kind) for t in CareTemplate.objects.filter(zone_id=zone.pk)}
    assert kept == {("王芳", WELFARE), ("王芳", DIALYSIS), ("李娜", REFILL)}


def test_the_daily_extension_plans_the_next_days_of_each_template(zone, people):
    wang, li = people["王芳"], people["李娜"]
    assert _days(zone, wang, WELFARE)[-1] == D(2026, 6, 19)  # a week from designation
    result = extend_care_templates(today=D(2026, 6, 20))
    welfare = _days(zone, wang, WELFARE)
    assert welfare == [D(2026, 6, 13) + dt.timedelta(days=n) for n in range(14)]
    dialysis = _days(zone, wang, DIALYSIS)
    assert dialysis[-1] == D(2026, 7, 3) and {d.weekday() for d in dialysis} == {0, 2, 4}
    assert _days(zone, li, REFILL) == [D(2026, 6, 13)]  # the next is 13 July
    assert result.tasks_created == len(welfare) - 7 + len(dialysis) - 6
    extend_care_templates(today=D(2026, 7, 8))
    assert _days(zone, li, REFILL) == [D(2026, 6, 13), D(2026, 7, 13)]


def test_extending_twice_the_same_day_creates_nothing(zone):
    extend_care_templates(today=D(2026, 6, 20))
    again = extend_care_templates(today=D(2026, 6, 20))
    assert again.tasks_created == 0


def test_lifting_the_zone_ends_its_templates(zone, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(
            ZoneLifted(area_code=zone.area_code, zone_id=zone.pk),
            occurred_at=at("2026-06-16 10:00"),
        )
    assert not CareTemplate.objects.filter(active=True).exists()
    before = Task.objects.count()
    assert extend_care_templates(today=D(2026, 6, 20)).tasks_created == 0
    assert Task.objects.count() == before


def test_a_person_who_moved_away_gets_no_more_care_here(zone, people):
    Resident.objects.filter(pk=people["王芳"].pk).update(status=ResidentStatus.MOVED_OUT)
    result = extend_care_templates(today=D(2026, 6, 20))
    assert result.ended == 2
    assert _days(zone, people["王芳"], WELFARE)[-1] == D(2026, 6, 19)


def test_the_command_runs_the_daily_extension(zone):
    out = StringIO()
    call_command("services", "extend-care", stdout=out)
    call_command("services", "sweep", stdout=out)
    assert out.getvalue().count("tasks created") == 2


def test_days_the_worker_missed_are_not_planned_after_the_fact(zone, people):
    extend_care_templates(today=D(2026, 6, 25))
    welfare = _days(zone, people["王芳"], WELFARE)
    assert D(2026, 6, 24) not in welfare and D(2026, 6, 25) in welfare
