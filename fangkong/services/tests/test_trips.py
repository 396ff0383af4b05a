"""Medical trips: the pass for exactly the window, the escort rule, the 120 hand-over."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devtools.fixtures import C11, PASSWORD, S1
from fangkong.accounts.models import Role
from fangkong.command.models import Incident, TimelineEntry
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.services.models import MedicalTrip, RequestState, TripState
from fangkong.services.services.trips import (
    hand_over_to_120,
    plan_trip,
    record_trip_step,
    set_designated_hospital,
)
from fangkong.zones.models import Pass
from fangkong.zones.services.checkpoints import set_up_checkpoint
from fangkong.zones.services.designation import designate_zone
from fangkong.zones.services.gate import decide_passage
from fangkong.zones.services.passes import pass_code

from .conftest import at

pytestmark = pytest.mark.django_db
COMPOUND = f"{C11}-C01"


@pytest.fixture
def staff(make_user):
    return make_user(Role.COMMUNITY_STAFF, C11)


@pytest.fixture
def trip_request(raise_for, commander):
    set_designated_hospital(
        user=commander, area_code=S1, name="郑州大学第一附属医院", hotline="0371-120"
    )
    return raise_for(kind="dialysis", now=at("2026-06-13 07:00"))


def _plan(staff, request, **extra):
    extra.setdefault("escort", "李医生")
    extra.setdefault("leaves_at", at("2026-06-13 08:00"))
    extra.setdefault("returns_by", at("2026-06-13 13:00"))
    return plan_trip(user=staff, request=request, **extra)


def test_a_trip_out_of_a_zone_carries_a_pass_for_exactly_its_window(staff, commander, trip_request):
    zone = designate_zone(
        user=commander, kind="sealed", members=[COMPOUND], designated_at=at("2026-06-13 06:00")
    )
    trip = _plan(staff, trip_request, vehicle_plate="豫A12345")
    assert trip.hospital == "郑州大学第一附属医院"
    issued = Pass.objects.get(pk=trip.pass_id)
    assert (issued.zone_id, issued.purpose, issued.subject) == (zone.pk, "medical", "vehicle")
    assert (issued.valid_from, issued.valid_until) == (trip.leaves_at, trip.returns_by)


def test_a_trip_without_an_escort_gets_no_pass_and_nothing_is_written(
    staff, commander, trip_request
):
    designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    with pytest.raises(RuleViolation) as err:
        _plan(staff, trip_request, escort=" ")
    assert (err.value.field, err.value.code) == ("escort", "required")
    assert not MedicalTrip.objects.exists()
    assert not Pass.objects.exists()


def test_a_grid_worker_cannot_issue_the_pass_and_leaves_no_trip(
    grid_worker, commander, trip_request
):
    designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    with pytest.raises(PermissionDeniedError):
        _plan(grid_worker, trip_request)
    assert not MedicalTrip.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"returns_by": at("2026-06-13 07:00")}, "returns_by", "order"),
        ({"returns_by": at("2026-06-15 08:00")}, "returns_by", "too_long"),
    ],
)
def test_a_bad_window_is_refused(staff, trip_request, extra, field, code):
    with pytest.raises(RuleViolation) as err:
        _plan(staff, trip_request, **extra)
    assert (err.value.field, err.value.code) == (field, code)


def test_supplies_make_no_trip(staff, raise_for):
    with pytest.raises(RuleViolation) as err:
        _plan(staff, raise_for())
    assert err.value.code == "not_a_trip"


def test_a_trip_made_and_closed_fulfils_its_request_and_reaches_the_timeline(
    staff, trip_request, django_capture_on_commit_callbacks
):
    Incident.objects.create(title="瓦屋李", area_code=C11, opened_at=at("2026-06-13 06:00"))
    trip = _plan(staff, trip_request)
    with pytest.raises(RuleViolation) as err:
        record_trip_step(user=staff, trip=trip, step="return")
    assert err.value.code == "order"
    record_trip_step(user=staff, trip=trip, step="leave", now=at("2026-06-13 08:05"))
    record_trip_step(user=staff, trip=trip, step="arrive", now=at("2026-06-13 08:40"))
    with django_capture_on_commit_callbacks(execute=True):
        trip = record_trip_step(user=staff, trip=trip, step="return", now=at("2026-06-13 12:30"))
    assert trip.state == TripState.BACK
    trip_request.refresh_from_db()
    assert trip_request.state == RequestState.FULFILLED
    assert TimelineEntry.objects.filter(kind="medical_trip").exists()


def test_an_emergency_is_handed_to_120_with_its_reference(staff, trip_request):
    trip = _plan(staff, trip_request)
    with pytest.raises(RuleViolation) as err:
        hand_over_to_120(user=staff, trip=trip, ambulance_ref="")
    assert err.value.field == "ambulance_ref"
    trip = hand_over_to_120(user=staff, trip=trip, ambulance_ref="120-0613-031")
    assert (trip.state, trip.ambulance_ref) == (TripState.HANDED_OVER, "120-0613-031")
    trip_request.refresh_from_db()
    assert trip_request.state == RequestState.FULFILLED


def test_the_pass_opens_the_zones_checkpoint_only_in_the_window(staff, commander, trip_request):
    zone = designate_zone(
        user=commander, kind="sealed", members=[COMPOUND], designated_at=at("2026-06-13 06:00")
    )
    gate = set_up_checkpoint(zone=zone, user=commander, name="东门")
    trip = _plan(staff, trip_request)
    code = pass_code(Pass.objects.get(pk=trip.pass_id))

    def decide(when: str) -> str:
        return decide_passage(
            checkpoint=gate, code=code, direction="out", actor=commander, now=at(when)
        )

    assert decide("2026-06-13 07:59").rule == "pass_not_yet_valid"
    assert decide("2026-06-13 08:30").decision == "allow"
    assert decide("2026-06-13 13:00").rule == "pass_expired"


def test_a_trip_is_planned_and_closed_from_the_request_page(client, staff, trip_request):
    client.login(username=staff.username, password=PASSWORD)
    page = reverse("services:request", args=[trip_request.pk])
    assert 'data-testid="trip-form"' in client.get(page).content.decode()
    refused = client.post(
        reverse("services:trip_plan", args=[trip_request.pk]),
        {"escort": "", "leaves_at": "2026-06-13T08:00", "returns_by": "2026-06-13T13:00"},
        follow=True,
    )
    assert "escort" in refused.content.decode()
    assert not MedicalTrip.objects.exists()
    client.post(
        reverse("services:trip_plan", args=[trip_request.pk]),
        {"escort": "李医生", "leaves_at": "2026-06-13T08:00", "returns_by": "2026-06-13T13:00"},
    )
    for step in ("leave", "arrive", "return"):
        client.post(reverse("services:trip_step", args=[trip_request.pk, step]))
    assert MedicalTrip.objects.get().state == TripState.BACK
    assert 'data-testid="trip-state"' in client.get(page).content.decode()
