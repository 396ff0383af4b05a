"""Supplies through the pages and the courier's scan API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11, G111, PASSWORD
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Building, Household
from fangkong.services.models import (
    Allocation,
    GroupOrder,
    HandoverState,
    StockMovement,
    SupplyPackage,
)
from fangkong.services.services.deliveries import allocate_package, open_group_order
from fangkong.services.services.stock import (
    available,
    create_item,
    create_stock_point,
    issue_stock,
    receive_stock,
)
from fangkong.zones.services.designation import designate_zone

pytestmark = pytest.mark.django_db
COMPOUND = f"{C11}-C01"


@pytest.fixture
def logged_in(client, commander):
    client.login(username=commander.username, password=PASSWORD)
    return client


def test_stock_is_received_and_a_package_allocated_from_the_page(logged_in, commander, residents):
    item = create_item(code="rice", name="大米", unit="袋")
    point = create_stock_point(
        user=commander,
        code="wh",
        name="区物资仓库",
        kind="warehouse",
        area_code=commander.scope_code,
    )
    zone = designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    url = reverse("services:supplies")
    refused = logged_in.post(
        url,
        {"receive": "1", "point": point.pk, "item": item.pk, "quantity": 649, "kind": "donation"},
    )
    assert refused.status_code == 200  # the donor is missing: shown on the form
    logged_in.post(
        url,
        {
            "receive": "1",
            "point": point.pk,
            "item": item.pk,
            "quantity": 649,
            "kind": "donation",
            "donor": "区总工会",
        },
    )
    assert "649" in logged_in.get(url).content.decode()
    response = logged_in.post(url, {"allocate": "1", "zone": zone.pk, "name": "保供包", "days": 3})
    package = SupplyPackage.objects.get()
    assert response["Location"] == reverse("services:package", args=[package.pk])
    run = package.runs.get()
    page = logged_in.get(reverse("services:run", args=[run.pk])).content.decode()
    assert 'data-testid="handover-form"' in page


@pytest.fixture
def run(commander, residents):
    zone = designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    return allocate_package(user=commander, zone=zone, name="保供包", days=3).runs.get()


def test_the_couriers_scan_is_idempotent_and_refuses_a_household_outside_the_run(
    client, commander, run
):
    _token, clear = create_device_token(
        name="courier", role=Role.COMMUNITY_STAFF, scope_code=G111, created_by=commander
    )
    headers = {"Authorization": f"Bearer {clear}"}
    code = run.allocations.select_related("household").first().household.code
    url = f"/api/v1/services/runs/{run.pk}/handover"
    body = {"idempotency_key": "scan-1", "household_code": code}
    first = client.post(url, body, content_type="application/json", headers=headers)
    assert first.status_code == 200 and first.json()["state"] == "delivered"
    assert (
        client.post(url, body, content_type="application/json", headers=headers).json()
        == first.json()
    )
    outside = client.post(
        url,
        {"idempotency_key": "scan-2", "household_code": f"{G111}-002-1-101"},
        content_type="application/json",
        headers=headers,
    )
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["code"] == "outside_run"
    assert Allocation.objects.filter(state=HandoverState.DELIVERED).count() == 1


def test_a_resent_partial_receipt_answers_the_same_and_a_reused_key_writes_nothing(
    client, commander, run
):
    _token, clear = create_device_token(
        name="courier", role=Role.COMMUNITY_STAFF, scope_code=G111, created_by=commander
    )
    headers = {"Authorization": f"Bearer {clear}"}
    first_home, second_home = run.allocations.select_related("household").order_by("id")[:2]
    url = f"/api/v1/services/runs/{run.pk}/handover"

    def scan(body: dict):
        return client.post(url, body, content_type="application/json", headers=headers)

    part = {"idempotency_key": "scan-1", "household_code": first_home.household.code}
    part["received_kg"] = "1.50"
    answer = scan(part)
    assert answer.status_code == 200 and answer.json()["state"] == "partial"
    resent = scan(part)
    assert (resent.status_code, resent.json()) == (200, answer.json())
    # The same key at another door: refused, and that door's package is not handed over.
    reused = scan({"idempotency_key": "scan-1", "household_code": second_home.household.code})
    assert reused.status_code == 409
    assert reused.json()["errors"][0]["field"] == "idempotency_key"
    second_home.refresh_from_db()
    assert second_home.state == HandoverState.PENDING
    returned = {"idempotency_key": "scan-2", "household_code": second_home.household.code}
    returned["returned"] = True
    assert scan(returned).json()["state"] == "returned"
    assert scan(returned).json()["state"] == "returned"
    # A fresh key at a door already handed over is refused by the rule, not replayed.
    again = scan({"idempotency_key": "scan-3", "household_code": first_home.household.code})
    assert (again.status_code, again.json()["errors"][0]["code"]) == (422, "handed_over")


def test_stock_goes_out_from_the_page_with_its_reason_and_never_below_zero(logged_in, commander):
    item = create_item(code="oil", name="食用油", unit="桶")
    point = create_stock_point(
        user=commander, code="st", name="社区物资站", kind="station", area_code=C11
    )
    receive_stock(user=commander, point=point, item=item, quantity=10, kind="purchase")
    url = reverse("services:supplies")
    form = {"issue": "1", "point": point.pk, "item": item.pk, "quantity": 4}
    no_reason = logged_in.post(url, form)
    assert no_reason.status_code == 200 and available(point=point, item=item) == 10
    too_many = logged_in.post(url, {**form, "quantity": 11, "reason": "配送"})
    assert 'data-testid="issue-form"' in too_many.content.decode()
    assert available(point=point, item=item) == 10
    done = logged_in.post(url, {**form, "reason": "3号楼配送"})
    assert done.status_code == 302 and available(point=point, item=item) == 6
    assert StockMovement.objects.get(kind="issue").note == "3号楼配送"


def test_an_issue_without_a_reason_is_refused_by_the_rule(commander):
    item = create_item(code="oil", name="食用油", unit="桶")
    point = create_stock_point(
        user=commander, code="st", name="社区物资站", kind="station", area_code=C11
    )
    receive_stock(user=commander, point=point, item=item, quantity=10, kind="purchase")
    with pytest.raises(RuleViolation) as err:
        issue_stock(user=commander, point=point, item=item, quantity=1, reason=" ")
    assert (err.value.field, err.value.code) == ("reason", "required")
    assert available(point=point, item=item) == 10


@pytest.fixture
def group_order(grid_worker, residents):
    return open_group_order(
        user=grid_worker,
        building_code=f"{G111}-001",
        supplier="丹尼斯",
        cut_off_at=timezone.now() + dt.timedelta(hours=6),
    )


def test_a_grid_worker_adds_a_households_line_before_the_cut_off(client, grid_worker, group_order):
    client.login(username=grid_worker.username, password=PASSWORD)
    url = reverse("services:group_order", args=[group_order.pk])
    page = client.get(url).content.decode()
    building = Building.objects.get(code=group_order.building_code)
    assert f"{building.name}</h1>" in page and 'data-testid="group-line-form"' in page
    home = Household.objects.filter(building=building).order_by("code").first()
    added = client.post(url, {"household": home.pk, "item": "鸡蛋", "quantity": 2})
    assert added.status_code == 302
    line = group_order.lines.get()
    assert (line.household, line.item, line.quantity) == (home, "鸡蛋", 2)
    assert home.label in client.get(url).content.decode()


def test_a_household_of_another_building_is_not_offered(client, grid_worker, group_order):
    client.login(username=grid_worker.username, password=PASSWORD)
    url = reverse("services:group_order", args=[group_order.pk])
    elsewhere = Household.objects.exclude(building__code=group_order.building_code).first()
    refused = client.post(url, {"household": elsewhere.pk, "item": "鸡蛋", "quantity": 2})
    assert "household" in refused.context["form"].errors
    assert not group_order.lines.exists()


def test_after_the_cut_off_the_page_refuses_lines_with_the_rule(client, grid_worker, group_order):
    client.login(username=grid_worker.username, password=PASSWORD)
    GroupOrder.objects.filter(pk=group_order.pk).update(
        cut_off_at=timezone.now() - dt.timedelta(minutes=1)
    )
    url = reverse("services:group_order", args=[group_order.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="group-order-closed"' in page
    assert 'data-testid="group-line-form"' not in page
    home = Household.objects.filter(building__code=group_order.building_code).first()
    refused = client.post(url, {"household": home.pk, "item": "鸡蛋", "quantity": 2})
    assert refused.status_code == 200
    (error,) = refused.context["form"].non_field_errors()
    assert "截单" in error  # the rule: the cut-off has passed
    assert not group_order.lines.exists()
