"""The clock sweep: overdue cases become tasks once, and climb the area tree as they stay so."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from devtools.fixtures import C11, G111, S1
from fangkong.governance.services.clock_control import extend_case, pause_case
from fangkong.governance.services.sweep import sweep_overdue_cases
from fangkong.governance.services.workflow import accept_case
from fangkong.work.models import Task

from .conftest import at


def _tasks():
    return list(Task.objects.filter(kind="case_overdue").order_by("key"))


def test_a_case_not_yet_due_makes_no_task(report):
    report()
    result = sweep_overdue_cases(now=at("2026-10-10 20:00"))
    assert result.overdue == 0 and _tasks() == []


def test_an_overdue_case_becomes_one_task_in_its_area_however_often_the_sweep_runs(report):
    case = report()  # due at the end of 10 October 2026
    for _ in range(3):
        sweep_overdue_cases(now=at("2026-10-11 09:00"))
    (task,) = _tasks()
    assert task.area_code == G111
    assert task.detail["case"] == case.pk and task.detail["level"] == 1
    case.refresh_from_db()
    assert case.escalation_level == 1


def test_it_escalates_one_level_a_day_up_to_the_district(report):
    case = report()
    sweep_overdue_cases(now=at("2026-10-11 09:00"))
    sweep_overdue_cases(now=at("2026-10-12 09:00"))
    assert [t.area_code for t in _tasks()] == [G111, C11]
    # A sweep that missed days writes every level it skipped, once.
    result = sweep_overdue_cases(now=at("2026-10-20 09:00"))
    assert result.tasks_created == 2
    assert sorted(t.area_code for t in _tasks()) == sorted([G111, C11, S1, "410172"])
    case.refresh_from_db()
    assert case.escalation_level == 4


def test_a_case_already_at_its_level_is_not_read_again(report):
    report()  # a grid's case: four levels, grid to district
    assert sweep_overdue_cases(now=at("2026-10-11 09:00")).overdue == 1
    assert sweep_overdue_cases(now=at("2026-10-11 18:00")).overdue == 0  # still level 1
    assert sweep_overdue_cases(now=at("2026-10-12 09:00")).overdue == 1  # level 2 has come
    assert sweep_overdue_cases(now=at("2027-03-01 09:00")).tasks_created == 2  # to the top
    assert sweep_overdue_cases(now=at("2027-06-01 09:00")).overdue == 0  # nothing above it


def test_a_paused_or_extended_clock_is_not_overdue(report, commander):
    paused = pause_case(case=report(), user=commander, reason="等待仲裁")
    accepted = accept_case(case=report(), user=commander, now=at("2026-09-29 09:00"))
    extended = extend_case(case=accepted, user=commander, reason="证据调取")
    # The investigation was due on 28 December 2026; extended, on 11 February 2027.
    result = sweep_overdue_cases(now=at("2027-01-05 09:00"))
    assert result.overdue == 0
    assert paused.paused_at and extended.extended


def test_a_new_clock_starts_the_ladder_again(report, commander):
    case = report()
    sweep_overdue_cases(now=at("2026-10-11 09:00"))
    accept_case(case=case, user=commander, now=at("2026-10-11 10:00"))
    result = sweep_overdue_cases(now=at("2027-02-01 09:00"))  # investigation overdue too
    assert result.escalated == 1
    assert len({t.detail["due_at"] for t in _tasks()}) == 2


def test_the_sweep_command_reports_its_counts(report):
    report(kind="grid_matter", title="井盖缺失", now=at("2020-01-01 09:00"))
    out = StringIO()
    call_command("governance", "sweep", stdout=out)
    assert "overdue 1" in out.getvalue()
