"""Vulnerable residents first: the care list and the proactive tasks of a designation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from devtools.fixtures import C11, G111, G112
from fangkong.core.errors import RuleViolation
from fangkong.core.events import publish
from fangkong.services.models import CareProfile
from fangkong.services.selectors import vulnerable_residents
from fangkong.services.services.care import (
    DIALYSIS,
    MATERNITY,
    REFILL,
    WELFARE,
    WELFARE_DAYS,
    plan_care_tasks,
    set_care_profile,
)
from fangkong.work.models import Task
from fangkong.zones.events import ZoneLifted
from fangkong.zones.services.designation import designate_zone

from .conftest import at

pytestmark = pytest.mark.django_db
COMPOUND = f"{C11}-C01"  # buildings 1 and 2 of grid 111: 张伟, 王芳 (elderly, alone), 李娜


@pytest.fixture
def people(residents):
    return {r.name: r for r in residents}


def test_the_care_list_holds_tagged_people_and_those_without_a_smartphone(
    commander, grid_worker, people
):
    names = {r.name for r in vulnerable_residents(user=commander)}
    assert names == {"王芳", "李娜", "陈静"}  # elderly alone, infant, medical trips
    set_care_profile(user=commander, resident=people["刘洋"], no_smartphone=True)
    assert "刘洋" in {r.name for r in vulnerable_residents(user=commander)}
    # A grid worker sees only the grid's people.
    assert {r.name for r in vulnerable_residents(user=grid_worker)} == {"王芳", "李娜"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"refill_days": 91}, "refill_days"), ({"dialysis_days": [7]}, "dialysis_days")],
)
def test_a_bad_care_profile_is_refused_and_nothing_written(commander, people, extra, field):
    with pytest.raises(RuleViolation) as err:
        set_care_profile(user=commander, resident=people["王芳"], **extra)
    assert err.value.field == field
    assert not CareProfile.objects.exists()


def test_designation_lists_the_people_inside_with_their_proactive_tasks(
    commander, people, django_capture_on_commit_callbacks
):
    set_care_profile(user=commander, resident=people["王芳"], dialysis_days=[0, 2, 4])
    set_care_profile(user=commander, resident=people["李娜"], refill_days=90)
    with django_capture_on_commit_callbacks(execute=True):
        zone = designate_zone(
            user=commander, kind="sealed", members=[COMPOUND], designated_at=at("2026-06-13 08:00")
        )
    tasks = Task.objects.filter(key__startswith=f"care:{zone.pk}:")
    wang = tasks.filter(detail__resident=people["王芳"].pk)
    assert wang.filter(kind=WELFARE).count() == WELFARE_DAYS
    days = sorted(t.due_at.date() for t in wang.filter(kind=DIALYSIS))
    # 13 June 2026 is a Saturday: Mon, Wed, Fri of the next two weeks.
    assert days[:3] == [dt.date(2026, 6, 15), dt.date(2026, 6, 17), dt.date(2026, 6, 19)]
    assert tasks.filter(detail__resident=people["李娜"].pk, kind=REFILL).count() == 1
    assert not tasks.filter(kind=MATERNITY).exists()
    # Only people inside: 陈静 lives in grid 112, outside the compound.
    assert not tasks.filter(detail__resident=people["陈静"].pk).exists()
    assert set(tasks.values_list("area_code", flat=True)) == {G111}
    assert all("王芳" not in t.title for t in wang)  # names masked on the boards


def test_planning_twice_creates_nothing_twice(commander, people):
    first = plan_care_tasks(zone_id=1, residents=[people["王芳"]], start=dt.date(2026, 6, 13))
    again = plan_care_tasks(zone_id=1, residents=[people["王芳"]], start=dt.date(2026, 6, 13))
    assert (first, again) == (WELFARE_DAYS, 0)


def test_a_zone_elsewhere_plans_nothing_here(commander, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        designate_zone(user=commander, kind="sealed", members=[G112])
    assert not Task.objects.filter(key__startswith="care:", area_code=G111).exists()


def test_lifting_the_zone_cancels_the_care_tasks_of_later_days(
    commander, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        zone = designate_zone(
            user=commander, kind="sealed", members=[COMPOUND], designated_at=at("2026-06-13 08:00")
        )
    # The zones app publishes ZoneLifted when the protocol's conditions hold.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish(
            ZoneLifted(area_code=zone.area_code, zone_id=zone.pk),
            occurred_at=at("2026-06-14 10:00"),
        )
    welfare = Task.objects.filter(key__startswith=f"care:{zone.pk}:", kind=WELFARE)
    assert set(welfare.filter(state="open").values_list("due_at__date", flat=True)) <= {
        dt.date(2026, 6, 13),
        dt.date(2026, 6, 14),
    }
    assert welfare.filter(state="cancelled").count() == WELFARE_DAYS - 2
