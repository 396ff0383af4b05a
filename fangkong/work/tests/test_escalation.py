"""The escalation ladder the sweeps share, and the set-based task write, on both databases."""

import datetime as dt

import pytest
from django.db.models import IntegerField, Value
from django.db.models.functions import Length
from django.utils import timezone

from fangkong.work.escalation import (
    Climb,
    NewTask,
    due_for_escalation,
    escalation_area,
    ladder_areas,
    target_level,
    write_climbs,
    write_tasks,
)
from fangkong.work.models import Task

GRID = "410172-001-002-003"
STEP = dt.timedelta(hours=1)
NOW = dt.datetime(2026, 6, 13, 12, 0, tzinfo=dt.UTC)


def test_each_level_is_the_next_node_up():
    assert [escalation_area(GRID, level) for level in range(1, 5)] == [
        GRID,
        "410172-001-002",
        "410172-001",
        "410172",
    ]

    assert ladder_areas(GRID) == [escalation_area(GRID, level) for level in range(1, 5)]


@pytest.mark.parametrize(
    ("late", "level"), [(dt.timedelta(minutes=1), 1), (dt.timedelta(minutes=61), 2), (STEP * 9, 4)]
)
def test_the_level_rises_a_step_at_a_time_up_to_the_areas_depth(late, level):
    assert target_level(GRID, NOW - late, NOW, STEP) == level
    assert target_level("410172-001", NOW - late, NOW, STEP) == min(level, 2)


@pytest.mark.django_db
def test_only_tasks_whose_next_level_has_come_are_read():
    def task(key, area, late, level):
        return Task.objects.create(
            key=key, kind="other", title=key, area_code=area, due_at=NOW - late
        ), level

    rows = [
        task("new", GRID, dt.timedelta(minutes=5), 0),  # overdue, never escalated: due
        task("at-level", GRID, dt.timedelta(minutes=30), 1),  # level 2 comes at 60 min
        task("next", GRID, dt.timedelta(minutes=90), 1),  # level 2 has come
        task("top", "410172-001", STEP * 5, 2),  # a sub-district's top is level 2
        task("early", GRID, -dt.timedelta(minutes=5), 0),  # not yet overdue
    ]
    # Task has no level of its own: read the ladder over its `due_at` with levels given here.
    due = set()
    for row, level in rows:
        matched = (
            Task.objects.filter(pk=row.pk)
            .alias(code_length=Length("area_code"))
            .annotate(escalation_level=Value(level, output_field=IntegerField()))
            .filter(due_for_escalation(NOW, STEP))
            .exists()
        )
        if matched:
            due.add(row.key)
    assert due == {"new", "next"}


@pytest.mark.django_db
def test_written_tasks_read_back_as_the_orm_wrote_them_and_a_known_key_is_left_alone(
    django_user_model,
):
    chief = django_user_model.objects.create_user(username="chief", password="x" * 12)
    Task.objects.create(key="k1", kind="other", title="first", area_code=GRID)
    write_tasks(
        [
            NewTask(key="k1", kind="other", title="again", area_code=GRID, due_at=NOW),
            NewTask(
                key="k2",
                kind="request_overdue",
                title="SQ0000042",
                area_code="410172-001",
                due_at=NOW,
                detail={"request": 42, "level": 3, "note": "独居老人"},
                assignee_id=chief.pk,
            ),
            NewTask(key="k2", kind="request_overdue", title="dup", area_code=GRID, due_at=NOW),
        ],
        now=NOW - STEP,
    )
    assert Task.objects.get(key="k1").title == "first"
    new = Task.objects.get(key="k2")
    assert (new.title, new.area_code, new.assignee_id, new.state) == (
        "SQ0000042",
        "410172-001",
        chief.pk,
        "open",
    )
    assert new.detail == {"request": 42, "level": 3, "note": "独居老人"}
    assert (new.due_at, new.created_at) == (NOW, NOW - STEP)
    assert Task.objects.filter(due_at=NOW, area_code="410172-001").count() == 1
    assert Task.objects.filter(detail__level=3).get() == new
    assert timezone.is_aware(new.due_at)


@pytest.mark.django_db
def test_a_climb_writes_one_task_per_level_it_passed_and_leaves_a_known_key_alone():
    Task.objects.create(key="c1:2", kind="other", title="first", area_code=GRID)
    write_climbs(
        [
            Climb("c1", "SQ0000042", ladder_areas(GRID), 2, 4, {"request": 42, "note": "独居老人"}),
            Climb("c2", "SQ0000043", ladder_areas("410172-001"), 1, 1, {}),
        ],
        kind="request_overdue",
        due_at=NOW,
        now=NOW - STEP,
    )
    assert Task.objects.get(key="c1:2").title == "first"
    rows = Task.objects.filter(kind="request_overdue").order_by("key")
    assert [(t.key, t.area_code, t.detail) for t in rows] == [
        ("c1:3", "410172-001", {"request": 42, "note": "独居老人", "level": 3}),
        ("c1:4", "410172", {"request": 42, "note": "独居老人", "level": 4}),
        ("c2:1", "410172-001", {"level": 1}),
    ]
    for task in rows:
        assert (task.state, task.assignee_id, task.due_at) == ("open", None, NOW)
        assert task.created_at == task.updated_at == NOW - STEP
