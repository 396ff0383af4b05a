"""13 June: the standstill compound's people who need care are looked after.

Each elderly person living alone in 瓦屋李新居 gets the day's welfare check (a proactive
request, visited and closed, and the designation's care task done), and one resident is
taken to the sub-district's designated hospital and back home: a medical trip made and
closed, with the checkpoint pass the zone issued for its window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fangkong.command.services.tasks import set_task_state
from fangkong.core.areas import AreaCode
from fangkong.people.models import ResidentStatus
from fangkong.services.models import MedicalTrip
from fangkong.services.selectors import vulnerable_in
from fangkong.services.services.requests import complete_request, raise_request
from fangkong.services.services.trips import (
    designated_hospital,
    plan_trip,
    record_trip_step,
    set_designated_hospital,
)
from fangkong.work.models import Task, TaskState
from fangkong.zones.selectors import residents_q

from .kit import deliver_new_events, last_event_id

HOSPITAL = "高新区人民医院"  # the demo sub-district's designated hospital, if none is set
VISITED = "网格员上门探视：身体状况良好，生活物资充足，已留联系电话。"


@dataclass(frozen=True)
class CareDay:
    welfare_checks: int
    trip_id: int | None
    request_ids: list[int]  # what a drill's wipe removes


def care_for_standstill(*, user, zone, at: Callable[..., dt.datetime], note) -> CareDay:
    """Welfare checks for the compound's elderly living alone and one medical trip, closed."""
    before = last_event_id()
    people = list(
        vulnerable_in(residents_q(zone.members.all())).filter(status=ResidentStatus.ACTIVE)
    )
    alone = [p for p in people if any(t.tag == "elderly_alone" for t in p.tags.all())]
    request_ids = []
    for i, person in enumerate(alone):
        check = raise_request(
            user=user, kind="welfare_check", channel="proactive", resident=person, now=at(7, 30)
        )
        request_ids.append(check.pk)
        complete_request(user=user, request=check, outcome=VISITED, now=at(9, 0 + min(i, 59)))
    for task in Task.objects.filter(
        key__startswith=f"care:{zone.pk}:",
        kind="welfare_check",
        state=TaskState.OPEN,
        due_at__lt=at(0, days=1),
    ):
        set_task_state(task=task, user=user, state=TaskState.DONE, now=at(10, 0))
    note(at(10, 0), f"{zone.name}独居老人{len(alone)}人今日探视关怀全部完成。")
    trip_id = _one_trip(user=user, zone=zone, people=people, at=at)
    if trip_id is not None:
        request_ids.append(MedicalTrip.objects.get(pk=trip_id).request_id)
    deliver_new_events(before)
    return CareDay(welfare_checks=len(alone), trip_id=trip_id, request_ids=request_ids)


def _one_trip(*, user, zone, people, at) -> int | None:
    """The first person needing medical trips (else the first elderly one) goes and comes back."""

    def tagged(tag: str):
        return next((p for p in people if any(t.tag == tag for t in p.tags.all())), None)

    patient = tagged("medical_trips") or tagged("elderly_alone")
    if patient is None:
        return None
    subdistrict = AreaCode(zone.area_code).subdistrict
    if designated_hospital(zone.area_code) is None:
        set_designated_hospital(user=user, area_code=subdistrict, name=HOSPITAL)
    request = raise_request(
        user=user,
        kind="medical_trip",
        channel="grid_worker",
        resident=patient,
        priority=3,
        description="定期复诊",
        now=at(8, 0),
    )
    trip = plan_trip(
        user=user,
        request=request,
        escort="社区医生",
        vehicle_plate="豫A9X120",
        leaves_at=at(9, 30),
        returns_by=at(13, 0),
        now=at(8, 10),
    )
    for step, when in (("leave", at(9, 35)), ("arrive", at(10, 5)), ("return", at(12, 20))):
        trip = record_trip_step(user=user, trip=trip, step=step, now=when)
    return trip.pk
