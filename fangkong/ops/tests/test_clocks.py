"""The worker keeps the clocks: overdue cases and requests become tasks without anyone
running a sweep by hand, once each, and the daily jobs run once a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from devtools.fixtures import C11, G111
from fangkong.governance.services.intake import create_unit, report_case
from fangkong.ops.worker import run_clocks
from fangkong.work.models import Task


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_worker_turns_overdue_cases_into_tasks_once(district, grid_worker):
    create_unit(code="wawuli", name="瓦屋李社区", area_code=C11)
    long_ago = timezone.now() - dt.timedelta(days=40)
    case = report_case(
        user=grid_worker,
        kind="rubbish",
        source="grid_patrol",
        title="河岸垃圾",
        area_code=G111,
        now=long_ago,
    )
    done: set = set()
    run_clocks(today_done=done)
    tasks = Task.objects.filter(kind="case_overdue", detail__case=case.pk)
    assert tasks.count() >= 1 and done == {timezone.localdate()}
    before = tasks.count()
    run_clocks(today_done=done)
    assert tasks.count() == before  # idempotent: nothing written twice
