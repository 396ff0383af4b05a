"""The trips, volunteers and stock API: scoped and role-checked like the pages, and the
issue's bad input refused as 4xx JSON naming the field and the rule, nothing half-written."""

from __future__ import annotations

import pytest

from devtools.fixtures import C11, C21, G111, G211, S1
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.core.models import IdempotencyKey
from fangkong.services.models import (
    Allocation,
    Assignment,
    HandoverState,
    MedicalTrip,
    RequestLine,
    StockLot,
    StockMovement,
    TripState,
    Volunteer,
)
from fangkong.services.services.deliveries import allocate_package
from fangkong.services.services.requests import LineIn
from fangkong.services.services.stock import create_item, create_stock_point
from fangkong.services.services.trips import set_designated_hospital
from fangkong.zones.models import Pass
from fangkong.zones.services.designation import designate_zone

pytestmark = pytest.mark.django_db
COMPOUND = f"{C11}-C01"
VALID = "2026-06-20T00:00:00+08:00"


@pytest.fixture
def api(client, commander):
    """POST and GET with a device token of `role` over `scope`."""

    class Api:
        def __init__(self, scope: str = C11, role: str = Role.COMMUNITY_STAFF):
            _token, clear = create_device_token(
                name=f"{role}-{scope}", role=role, scope_code=scope, created_by=commander
            )
            self.headers = {"Authorization": f"Bearer {clear}"}

        def post(self, path: str, body: dict | None = None):
            return client.post(
                f"/api/v1/services{path}",
                body or {},
                content_type="application/json",
                headers=self.headers,
            )

        def get(self, path: str):
            return client.get(f"/api/v1/services{path}", headers=self.headers)

    return Api


def refusal(response) -> tuple[int, str, str]:
    error = response.json()["errors"][0]
    assert error["message"]
    return response.status_code, error["field"], error["code"]


@pytest.fixture
def trip_request(raise_for, commander):
    set_designated_hospital(user=commander, area_code=S1, name="郑大一附院")
    designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    return raise_for(kind="dialysis")


def _trip(key: str = "trip-1", **extra) -> dict:
    return {
        "idempotency_key": key,
        "escort": "李医生",
        "leaves_at": "2026-06-13T08:00:00+08:00",
        "returns_by": "2026-06-13T13:00:00+08:00",
        "vehicle_plate": "豫A12345",
        **extra,
    }


def test_a_trip_goes_out_in_and_back_through_the_api_with_its_pass(api, trip_request):
    staff = api()
    planned = staff.post(f"/requests/{trip_request.pk}/trip", _trip())
    assert planned.status_code == 201
    trip = planned.json()
    assert (trip["hospital"], trip["state"]) == ("郑大一附院", TripState.PLANNED)
    assert Pass.objects.get(pk=trip["pass_id"]).purpose == "medical"
    # A retry of the same plan gets the same answer and writes nothing.
    assert staff.post(f"/requests/{trip_request.pk}/trip", _trip()).json() == trip
    assert MedicalTrip.objects.count() == Pass.objects.count() == 1
    for step, state in (("leave", "out"), ("arrive", "at_hospital"), ("return", "back")):
        moved = staff.post(f"/trips/{trip['id']}/steps", {"step": step})
        assert (moved.status_code, moved.json()["state"]) == (200, state)
    assert refusal(staff.post(f"/trips/{trip['id']}/steps", {"step": "leave"})) == (
        422,
        "step",
        "order",
    )
    trip_request.refresh_from_db()
    assert trip_request.state == "fulfilled"


def test_an_emergency_is_handed_to_120_and_recorded(api, trip_request):
    staff = api()
    trip = staff.post(f"/requests/{trip_request.pk}/trip", _trip()).json()
    assert refusal(staff.post(f"/trips/{trip['id']}/handover-120", {"ambulance_ref": " "})) == (
        422,
        "ambulance_ref",
        "required",
    )
    handed = staff.post(f"/trips/{trip['id']}/handover-120", {"ambulance_ref": "120-0613-07"})
    assert (handed.json()["state"], handed.json()["ambulance_ref"]) == (
        TripState.HANDED_OVER,
        "120-0613-07",
    )


def test_a_pass_for_a_trip_without_an_escort_is_refused_and_nothing_is_written(api, trip_request):
    staff = api()
    refused = staff.post(f"/requests/{trip_request.pk}/trip", _trip(escort=" "))
    assert refusal(refused) == (422, "escort", "required")
    assert not MedicalTrip.objects.exists()
    assert not Pass.objects.exists()
    assert not IdempotencyKey.objects.exists()
    # The refusal kept nothing: the same key with an escort now plans the trip.
    assert staff.post(f"/requests/{trip_request.pk}/trip", _trip()).status_code == 201


def test_trips_are_scoped_and_role_checked(api, trip_request):
    trip = api().post(f"/requests/{trip_request.pk}/trip", _trip()).json()
    elsewhere = api(G211, Role.GRID_WORKER)
    assert refusal(elsewhere.post(f"/trips/{trip['id']}/steps", {"step": "leave"}))[:2] == (
        404,
        "trip",
    )
    guard = api(C11, Role.CHECKPOINT_GUARD)
    assert guard.post(f"/trips/{trip['id']}/steps", {"step": "leave"}).status_code == 403
    assert MedicalTrip.objects.get().state == TripState.PLANNED


def _volunteer(key: str, grid: str = G111, **extra) -> dict:
    return {
        "idempotency_key": key,
        "name": "赵志愿",
        "phone": "13800001111",
        "grid_code": grid,
        "skills": ["delivery"],
        "test_valid_until": VALID,
        "approve": True,
        **extra,
    }


def _shift(key: str, start: str, end: str) -> dict:
    return {
        "idempotency_key": key,
        "kind": "delivery",
        "area_code": G111,
        "starts_at": f"2026-06-13T{start}:00+08:00",
        "ends_at": f"2026-06-13T{end}:00+08:00",
        "skill": "delivery",
        "capacity": 3,
    }


def test_a_volunteer_is_registered_assigned_checked_in_and_out(api, residents):
    staff = api()
    volunteer = staff.post("/volunteers", _volunteer("v-1")).json()
    assert (volunteer["status"], volunteer["phone_masked"]) == ("approved", "138****1111")
    assert "13800001111" not in str(volunteer)
    shift = staff.post("/shifts", _shift("s-1", "08:00", "12:00")).json()
    assert [v["id"] for v in staff.get(f"/shifts/{shift['id']}/suggestions").json()] == [
        volunteer["id"]
    ]
    placed = staff.post(
        f"/shifts/{shift['id']}/assignments",
        {"idempotency_key": "a-1", "volunteer_id": volunteer["id"]},
    )
    assert placed.status_code == 201
    assignment = placed.json()["id"]
    assert refusal(staff.post(f"/assignments/{assignment}/check-out")) == (
        422,
        "assignment",
        "not_checked_in",
    )
    assert staff.post(f"/assignments/{assignment}/check-in").json()["checked_in_at"]
    assert staff.post(f"/assignments/{assignment}/check-out").json()["checked_out_at"]
    # A grid worker does not manage volunteers; a community elsewhere does not see the shift.
    assert (
        api(G111, Role.GRID_WORKER).post("/shifts", _shift("s-2", "13:00", "14:00")).status_code
        == 403
    )
    assert api(C21).get(f"/shifts/{shift['id']}/suggestions").status_code == 404


def test_a_volunteer_on_two_shifts_at_once_is_refused_and_nothing_is_written(api, residents):
    staff = api()
    volunteer = staff.post("/volunteers", _volunteer("v-1")).json()["id"]
    morning = staff.post("/shifts", _shift("s-1", "08:00", "12:00")).json()["id"]
    noon = staff.post("/shifts", _shift("s-2", "10:00", "14:00")).json()["id"]
    first = {"idempotency_key": "a-1", "volunteer_id": volunteer}
    assert staff.post(f"/shifts/{morning}/assignments", first).status_code == 201
    second = {"idempotency_key": "a-2", "volunteer_id": volunteer}
    assert refusal(staff.post(f"/shifts/{noon}/assignments", second)) == (
        422,
        "volunteer",
        "double_booked",
    )
    assert list(Assignment.objects.values_list("shift_id", flat=True)) == [morning]
    assert IdempotencyKey.objects.filter(key="a-2").count() == 0


def test_a_bad_registration_names_the_field_and_writes_nothing(api, residents):
    refused = api().post("/volunteers", _volunteer("v-1", phone="12345"))
    assert refusal(refused) == (422, "phone", "invalid")
    assert not Volunteer.objects.exists()


@pytest.fixture
def stock(commander):
    item = create_item(code="rice", name="大米", unit="袋")
    point = create_stock_point(
        user=commander, code="c11", name="社区物资站", kind="station", area_code=C11
    )
    return point, item


def test_stock_in_and_out_through_the_api_never_below_zero(api, stock):
    point, _item = stock
    staff = api()
    received = staff.post(
        f"/stock-points/{point.pk}/receive",
        {
            "idempotency_key": "in-1",
            "item_code": "rice",
            "quantity": 649,
            "kind": "donation",
            "donor": "区总工会",
        },
    )
    assert received.json() == {"point": "c11", "item": "rice", "moved": 649, "available": 649}
    issue = {"idempotency_key": "out-1", "item_code": "rice", "quantity": 600, "reason": "3号楼"}
    assert staff.post(f"/stock-points/{point.pk}/issue", issue).json()["available"] == 49
    too_many = {**issue, "idempotency_key": "out-2", "quantity": 50}
    assert refusal(staff.post(f"/stock-points/{point.pk}/issue", too_many)) == (
        422,
        "quantity",
        "negative_stock",
    )
    assert StockLot.objects.get().quantity == 49
    assert StockMovement.objects.count() == 2
    assert not IdempotencyKey.objects.filter(key="out-2").exists()
    # A station of another area is not found.
    assert (
        api(G211, Role.GRID_WORKER).post(f"/stock-points/{point.pk}/issue", issue).status_code
        == 404
    )


def test_over_allocation_on_any_line_writes_no_line(api, raise_for):
    request = raise_for(lines=[LineIn("大米", 2, "袋"), LineIn("食用油", 1, "桶")])
    rice, oil = request.lines.order_by("id")
    refused = api(G111, Role.GRID_WORKER).post(
        f"/requests/{request.pk}/progress",
        {
            "lines": [
                {"line_id": rice.pk, "committed": 2},
                {"line_id": oil.pk, "committed": 5},
            ]
        },
    )
    assert refusal(refused) == (422, "progress[1].committed", "over_allocation")
    assert list(RequestLine.objects.order_by("id").values_list("committed", flat=True)) == [0, 0]


def test_a_delivery_to_a_household_outside_the_run_is_refused_and_nothing_is_written(
    api, commander, residents
):
    zone = designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    run = allocate_package(user=commander, zone=zone, name="保供包", days=3).runs.get()
    refused = api(G111).post(
        f"/runs/{run.pk}/handover",
        {"idempotency_key": "scan-1", "household_code": f"{G111}-002-1-101"},
    )
    assert refusal(refused) == (422, "household_code", "outside_run")
    assert not Allocation.objects.exclude(state=HandoverState.PENDING).exists()
    assert not IdempotencyKey.objects.exists()
