"""The clock sweep: overdue requests become tasks up the area tree and timeline entries."""

from __future__ import annotations

import datetime as dt

import pytest

from devtools.fixtures import C11, C21, G111, S1, D
from devtools.races import at_once
from fangkong.command.models import Incident, TimelineEntry
from fangkong.core.models import OutboxEvent
from fangkong.services.models import ServiceRequest
from fangkong.services.services.requests import acknowledge_request, cancel_request
from fangkong.services.services.sweep import TASK_KIND, sweep_overdue_requests, task_key
from fangkong.work.models import Task

from .conftest import at

pytestmark = pytest.mark.django_db


def test_a_request_not_yet_due_is_left_alone(raise_for):
    raise_for()
    result = sweep_overdue_requests(now=at("2026-06-13 12:59"))
    assert result.overdue == 0
    assert not Task.objects.exists()


def test_overdue_request_climbs_the_area_tree_once_per_level(raise_for):
    request = raise_for()  # acknowledge by 13:00
    first = sweep_overdue_requests(now=at("2026-06-13 13:01"))
    assert (first.overdue, first.escalated, first.tasks_created) == (1, 1, 1)
    assert list(Task.objects.filter(kind=TASK_KIND).values_list("area_code", flat=True)) == [G111]
    again = sweep_overdue_requests(now=at("2026-06-13 13:30"))
    # Already at its level until 14:00: not even read.
    assert (again.overdue, again.tasks_created) == (0, 0)
    later = sweep_overdue_requests(now=at("2026-06-13 15:30"))  # 2.5 h overdue: sub-district
    assert later.tasks_created == 2
    areas = set(Task.objects.filter(kind=TASK_KIND).values_list("area_code", flat=True))
    assert areas == {G111, C11, S1}
    request.refresh_from_db()
    assert request.escalation_level == 3


def test_acknowledging_starts_the_ladder_again(raise_for, grid_worker):
    request = raise_for()
    sweep_overdue_requests(now=at("2026-06-13 13:01"))
    acknowledge_request(user=grid_worker, request=request, now=at("2026-06-13 13:05"))
    assert sweep_overdue_requests(now=at("2026-06-13 14:00")).overdue == 0
    request.refresh_from_db()
    assert request.escalation_level == 0
    # The fulfil clock (48 h from 09:00) runs out on the 15th.
    result = sweep_overdue_requests(now=at("2026-06-15 09:01"))
    assert result.tasks_created == 1


def test_a_finished_request_is_never_swept(raise_for, grid_worker):
    cancel_request(user=grid_worker, request=raise_for(), reason="已自行解决")
    assert sweep_overdue_requests(now=at("2026-06-20 09:00")).overdue == 0


def test_one_event_per_sweep_puts_one_entry_on_each_communitys_incident(
    raise_for, django_capture_on_commit_callbacks
):
    Incident.objects.create(title="瓦屋李", area_code=C11, opened_at=at("2026-06-13 08:00"))
    raise_for()
    raise_for(kind="medicine", lines=[])
    with django_capture_on_commit_callbacks(execute=True):
        sweep_overdue_requests(now=at("2026-06-13 13:01"))
    event = OutboxEvent.objects.get(kind="services.requests_overdue")
    assert event.area_code == C11
    figures = event.payload["communities"][C11]
    assert figures["count"] == 2
    assert figures["by_kind"] == {"medicine": 1, "supplies": 1}
    entry = TimelineEntry.objects.get(kind="requests_overdue")
    assert "瓦屋李社区" in entry.text
    assert ServiceRequest.objects.filter(escalation_level__gte=1).count() == 2


def test_a_sweep_over_two_communities_publishes_one_event(make_user, raise_for, residents):
    raise_for()
    raise_for(resident=residents[5], user=make_user())  # 杨磊, in 大里村 (sub-district 2)
    sweep_overdue_requests(now=at("2026-06-13 13:01"))
    event = OutboxEvent.objects.get(kind="services.requests_overdue")
    assert sorted(event.payload["communities"]) == [C11, C21]


def test_a_backlog_sweep_leaves_the_tasks_a_sweep_every_hour_would_have(raise_for):
    """Found two hours late, the request gets the grid's, the community's and the
    sub-district's task at once, each with its own key, area and level."""
    request = raise_for()  # acknowledge by 13:00
    result = sweep_overdue_requests(now=at("2026-06-13 15:01"))
    assert (result.overdue, result.escalated, result.tasks_created) == (1, 1, 3)
    due = at("2026-06-13 13:00")
    tasks = Task.objects.filter(kind=TASK_KIND).order_by("id")
    assert [(t.key, t.area_code, t.detail["level"]) for t in tasks] == [
        (task_key(request.pk, due, 1), G111, 1),
        (task_key(request.pk, due, 2), C11, 2),
        (task_key(request.pk, due, 3), S1, 3),
    ]
    for task in tasks:
        assert task.title == f"SQ{request.pk:07d}"
        detail = dict(task.detail)
        assert dt.datetime.fromisoformat(detail.pop("due_at")) == due
        assert detail == {"request": request.pk, "kind": "supplies", "level": detail["level"]}
        assert (task.state, task.assignee_id) == ("open", None)
        assert task.due_at == at("2026-06-13 16:01")
        assert task.created_at == at("2026-06-13 15:01")
    request.refresh_from_db()
    assert (request.escalation_level, request.updated_at) == (3, at("2026-06-13 15:01"))
    # The district's task comes with the next hour, and only it.
    assert sweep_overdue_requests(now=at("2026-06-13 15:30")).tasks_created == 0
    assert sweep_overdue_requests(now=at("2026-06-13 16:01")).tasks_created == 1
    assert Task.objects.filter(kind=TASK_KIND, area_code=D).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_write_each_task_once(make_user, raise_for, residents):
    raise_for()
    raise_for(kind="medicine", lines=[], resident=residents[5], user=make_user())
    now = at("2026-06-13 15:30")
    outcomes = at_once(
        lambda: sweep_overdue_requests(now=now), lambda: sweep_overdue_requests(now=now)
    )
    assert outcomes == ["done", "done"]
    keys = list(Task.objects.filter(kind=TASK_KIND).values_list("key", flat=True))
    # The supplies request is 2.5 hours late (three levels), the medicine one, due at 10:00,
    # 5.5 hours (all four).
    assert len(keys) == len(set(keys)) == 7
    levels = ServiceRequest.objects.order_by("kind").values_list("kind", "escalation_level")
    assert list(levels) == [("medicine", 4), ("supplies", 3)]
