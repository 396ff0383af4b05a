"""Stock (no negative, first expiry first, donations name donors), packages, hand-overs,
group orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from devtools.fixtures import C11, G111, D
from fangkong.core.errors import RuleViolation
from fangkong.geo.models import Household
from fangkong.services.models import (
    Allocation,
    HandoverState,
    StockLot,
    StockMovement,
)
from fangkong.services.services.deliveries import (
    add_to_group_order,
    allocate_package,
    hand_over,
    open_group_order,
    send_group_order,
)
from fangkong.services.services.stock import (
    available,
    create_item,
    create_stock_point,
    issue_stock,
    receive_stock,
)
from fangkong.zones.services.designation import designate_zone

from .conftest import at

pytestmark = pytest.mark.django_db
COMPOUND = f"{C11}-C01"


@pytest.fixture
def rice():
    return create_item(code="rice", name="大米", unit="袋")


@pytest.fixture
def warehouse(commander):
    return create_stock_point(
        user=commander, code="wh", name="区物资仓库", kind="warehouse", area_code=D
    )


def test_a_donation_names_its_donor(commander, warehouse, rice):
    with pytest.raises(RuleViolation) as err:
        receive_stock(user=commander, point=warehouse, item=rice, quantity=649, kind="donation")
    assert (err.value.field, err.value.code) == ("donor", "required")
    move = receive_stock(
        user=commander, point=warehouse, item=rice, quantity=649, kind="donation", donor="区总工会"
    )
    assert move.donor == "区总工会"
    assert available(point=warehouse, item=rice) == 649


def test_stock_never_goes_negative_and_a_refusal_moves_nothing(commander, warehouse, rice):
    receive_stock(user=commander, point=warehouse, item=rice, quantity=5, kind="purchase")
    with pytest.raises(RuleViolation) as err:
        issue_stock(user=commander, point=warehouse, item=rice, quantity=6, reason="配送")
    assert (err.value.field, err.value.code) == ("quantity", "negative_stock")
    assert "5" in str(err.value.message)
    assert available(point=warehouse, item=rice) == 5
    assert StockMovement.objects.filter(kind="issue").count() == 0


def test_issues_take_the_earliest_expiry_first_and_skip_expired_lots(commander, warehouse, rice):
    now = at("2026-06-13 09:00")
    receive_stock(user=commander, point=warehouse, item=rice, quantity=3, kind="purchase", now=now)
    receive_stock(
        user=commander,
        point=warehouse,
        item=rice,
        quantity=4,
        kind="purchase",
        expires_on=dt.date(2026, 6, 20),
        now=now,
    )
    receive_stock(
        user=commander,
        point=warehouse,
        item=rice,
        quantity=2,
        kind="purchase",
        expires_on=dt.date(2026, 6, 14),
        now=now,
    )
    # On the 14th the lot expiring that day is no longer issued.
    later = at("2026-06-14 09:00")
    assert available(point=warehouse, item=rice, today=later.date()) == 7
    issue_stock(user=commander, point=warehouse, item=rice, quantity=5, reason="配送", now=later)
    left = dict(StockLot.objects.values_list("expires_on", "quantity"))
    assert left == {None: 2, dt.date(2026, 6, 20): 0, dt.date(2026, 6, 14): 2}


def test_an_expired_lot_is_not_received(commander, warehouse, rice):
    with pytest.raises(RuleViolation) as err:
        receive_stock(
            user=commander,
            point=warehouse,
            item=rice,
            quantity=1,
            kind="purchase",
            expires_on=dt.date(2026, 6, 1),
            now=at("2026-06-13 09:00"),
        )
    assert err.value.code == "expired"


@pytest.fixture
def package(commander, residents):
    zone = designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    return allocate_package(user=commander, zone=zone, name="第一批保供包", days=3)


def test_every_household_of_the_zone_gets_its_share(package):
    allocations = list(Allocation.objects.filter(package=package).select_related("household"))
    # 张伟 and 李娜 share a home; 王芳 lives alone: two households in the compound.
    assert sorted(a.persons for a in allocations) == [1, 2]
    assert {a.kg for a in allocations} == {Decimal("4.5"), Decimal("9.0")}
    assert package.runs.count() == 1


def test_allocation_is_a_few_statements_and_exact_to_the_gram(
    commander, residents, settings, django_assert_max_num_queries
):
    # 0.7 kg has no exact binary form: the shares are still exact to the gram, and a whole
    # hand-over counts as delivered, not partial.
    settings.SUPPLY_KG_PER_PERSON_DAY = "0.7"
    zone = designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    with django_assert_max_num_queries(12):
        package = allocate_package(user=commander, zone=zone, name="第二批保供包", days=3)
    kgs = sorted(Allocation.objects.filter(package=package).values_list("persons", "kg"))
    assert kgs == [(1, Decimal("2.10")), (2, Decimal("4.20"))]
    pair = package.allocations.select_related("household").get(persons=2)
    done = hand_over(
        user=commander, run=pair.run, household_code=pair.household.code, proof_kind="code"
    )
    assert (done.state, done.received_kg) == (HandoverState.DELIVERED, Decimal("4.20"))


def test_a_household_outside_the_run_is_refused(commander, package):
    run = package.runs.get()
    outside = Household.objects.exclude(pk__in=package.allocations.values("household")).first()
    with pytest.raises(RuleViolation) as err:
        hand_over(user=commander, run=run, household_code=outside.code, proof_kind="code")
    assert (err.value.field, err.value.code) == ("household_code", "outside_run")


def test_hand_over_with_proof_partial_receipt_and_return(commander, package):
    run = package.runs.get()
    first, second = package.allocations.select_related("household").order_by("persons")
    done = hand_over(
        user=commander, run=run, household_code=first.household.code, proof_kind="code"
    )
    assert (done.state, done.proof_ref) == (HandoverState.DELIVERED, first.household.code)
    with pytest.raises(RuleViolation) as err:
        hand_over(user=commander, run=run, household_code=first.household.code, proof_kind="code")
    assert err.value.code == "handed_over"
    with pytest.raises(RuleViolation) as err:
        hand_over(user=commander, run=run, household_code=second.household.code, proof_kind="photo")
    assert err.value.field == "proof_ref"
    part = hand_over(
        user=commander,
        run=run,
        household_code=second.household.code,
        proof_kind="signature",
        proof_ref="sig-0613-1",
        received_kg=Decimal("4.5"),
    )
    assert part.state == HandoverState.PARTIAL


def test_a_group_order_collects_until_its_cut_off_and_goes_out_as_one(
    grid_worker, commander, residents
):
    building = f"{G111}-001"
    homes = list(Household.objects.filter(building__code=building)[:2])
    order = open_group_order(
        user=grid_worker,
        building_code=building,
        supplier="丹尼斯",
        cut_off_at=at("2026-06-13 20:00"),
        now=at("2026-06-13 09:00"),
    )
    add_to_group_order(
        user=grid_worker,
        order=order,
        household=homes[0],
        item="鸡蛋",
        quantity=2,
        now=at("2026-06-13 10:00"),
    )
    add_to_group_order(
        user=grid_worker,
        order=order,
        household=homes[1],
        item="鸡蛋",
        quantity=1,
        now=at("2026-06-13 11:00"),
    )
    with pytest.raises(RuleViolation) as err:
        send_group_order(user=commander, order=order, now=at("2026-06-13 19:00"))
    assert err.value.code == "collecting"
    with pytest.raises(RuleViolation) as err:
        add_to_group_order(
            user=grid_worker,
            order=order,
            household=homes[0],
            item="牛奶",
            quantity=1,
            now=at("2026-06-13 20:00"),
        )
    assert err.value.code == "closed"
    sent = send_group_order(user=commander, order=order, now=at("2026-06-13 20:01"))
    assert sent.summary == [{"item": "鸡蛋", "quantity": 3}]


def test_packages_and_group_orders_page_each_on_their_own(
    client, commander, grid_worker, package, monkeypatch
):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    from fangkong.zones.models import RiskZone

    zone = RiskZone.objects.get(pk=package.zone_id)
    for n in range(2):
        allocate_package(user=commander, zone=zone, name=f"第{n + 2}批保供包", days=3)
    for n in range(3):
        open_group_order(
            user=grid_worker,
            building_code=f"{G111}-001",
            supplier=f"超市{n}",
            cut_off_at=at("2026-06-13 20:00"),
            now=at("2026-06-13 09:00"),
        )
    client.force_login(commander)

    def shown(html: str, testid: str) -> int:
        return html.split(f'data-testid="{testid}"')[1].split("</ul>")[0].count("<li>")

    first = client.get("/services/supplies/", {"orders": 2}).content.decode()
    assert shown(first, "packages") == 2 and shown(first, "group-orders") == 1
    assert 'href="?orders=2&amp;packages=2"' in first
    second = client.get("/services/supplies/", {"packages": 2}).content.decode()
    assert shown(second, "packages") == 1 and shown(second, "group-orders") == 2
