"""Supplies through the pages and the courier's scan API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devtools.fixtures import C11, G111, PASSWORD
from fangkong.accounts.models import Role
from fangkong.accounts.services import create_device_token
from fangkong.services.models import Allocation, HandoverState, SupplyPackage
from fangkong.services.services.deliveries import allocate_package
from fangkong.services.services.stock import create_item, create_stock_point
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
