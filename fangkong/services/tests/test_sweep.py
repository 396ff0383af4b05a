"""The clock sweep: overdue requests become tasks up the area tree and timeline entries."""

from __future__ import annotations

import pytest

from devtools.fixtures import C11, C21, G111, S1
from fangkong.command.models import Incident, TimelineEntry
from fangkong.core.models import OutboxEvent
from fangkong.services.models import ServiceRequest
from fangkong.services.services.requests import acknowledge_request, cancel_request
from fangkong.services.services.sweep import TASK_KIND, sweep_overdue_requests
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
