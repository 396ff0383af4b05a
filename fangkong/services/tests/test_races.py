"""Two coordinators booking one volunteer, two stations drawing on one stock: exactly one
wins, the other is refused by the rule, on both databases.

The barrier tests start both writers at once on their own connections (SQLite's shared-cache
test database answers "locked" to the second writer instead of queueing it: it waits and
goes again, as a busy timeout would). On PostgreSQL the interleaved tests make the race
certain: the test holds the first writer's transaction open until the second is seen
waiting for its row lock, then commits.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from devtools.fixtures import C11, G111, postgresql_only
from devtools.races import at_once
from devtools.races import interleaved as interleaved_race
from fangkong.services.models import (
    Allocation,
    Assignment,
    HandoverState,
    StockLot,
    StockMovement,
)
from fangkong.services.services.deliveries import allocate_package, hand_over
from fangkong.services.services.stock import (
    available,
    create_item,
    create_stock_point,
    issue_stock,
    receive_stock,
)
from fangkong.services.services.volunteers import (
    assign_volunteer,
    create_shift,
    review_volunteer,
    sign_up_volunteer,
)
from fangkong.zones.services.designation import designate_zone

from .conftest import at

COMPOUND = f"{C11}-C01"

interleaved = postgresql_only("SQLite has one writer at a time: two writers cannot interleave")


@pytest.fixture
def booking(commander):
    """An approved volunteer and two shifts that overlap from 10:00 to 12:00."""
    v = sign_up_volunteer(
        name="赵志愿",
        phone="13800001111",
        grid_code=G111,
        skills=["delivery"],
        test_valid_until=at("2026-06-20 00:00"),
    )
    v = review_volunteer(user=commander, volunteer=v, approve=True)
    shifts = [
        create_shift(
            user=commander,
            kind="delivery",
            area_code=G111,
            starts_at=at(start),
            ends_at=at(end),
            capacity=5,
        )
        for start, end in (
            ("2026-06-13 08:00", "2026-06-13 12:00"),
            ("2026-06-13 10:00", "2026-06-13 14:00"),
        )
    ]
    return v, shifts


@pytest.fixture
def stock(commander):
    item = create_item(code="rice", name="大米", unit="袋")
    point = create_stock_point(
        user=commander, code="c11", name="社区物资站", kind="station", area_code=C11
    )
    receive_stock(user=commander, point=point, item=item, quantity=10, kind="purchase")
    return point, item


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_booking_one_volunteer_on_overlapping_shifts_book_once(commander, booking):
    v, (morning, noon) = booking
    outcomes = at_once(
        lambda: assign_volunteer(user=commander, shift=morning, volunteer=v),
        lambda: assign_volunteer(user=commander, shift=noon, volunteer=v),
    )
    assert outcomes == ["done", "double_booked"]
    assert Assignment.objects.filter(volunteer=v).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_withdrawals_that_together_exceed_the_stock_leave_it_whole(commander, stock):
    point, item = stock
    outcomes = at_once(
        lambda: issue_stock(user=commander, point=point, item=item, quantity=6, reason="1号楼"),
        lambda: issue_stock(user=commander, point=point, item=item, quantity=6, reason="2号楼"),
    )
    assert outcomes == ["done", "negative_stock"]
    assert available(point=point, item=item) == 4
    assert StockMovement.objects.filter(kind="issue").count() == 1


@interleaved
@pytest.mark.django_db(transaction=True)
def test_a_booking_waits_for_the_other_and_sees_the_volunteer_taken(commander, booking):
    v, (morning, noon) = booking
    racer = interleaved_race(
        lambda: assign_volunteer(user=commander, shift=morning, volunteer=v),
        lambda: assign_volunteer(user=commander, shift=noon, volunteer=v),
    )
    assert racer.error is not None and racer.error.code == "double_booked"
    assert list(Assignment.objects.values_list("shift_id", flat=True)) == [morning.pk]


@interleaved
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_waits_for_the_other_and_sees_what_is_left(commander, stock):
    point, item = stock
    racer = interleaved_race(
        lambda: issue_stock(user=commander, point=point, item=item, quantity=6, reason="1号楼"),
        lambda: issue_stock(user=commander, point=point, item=item, quantity=6, reason="2号楼"),
    )
    assert racer.error is not None and racer.error.code == "negative_stock"
    assert StockLot.objects.get().quantity == 4


@pytest.fixture
def door(commander, residents):
    """A package's run and the code of one household on it."""
    zone = designate_zone(user=commander, kind="sealed", members=[COMPOUND])
    run = allocate_package(user=commander, zone=zone, name="保供包", days=3).runs.get()
    return run, run.allocations.select_related("household").first().household.code


@pytest.mark.django_db(transaction=True)
def test_two_couriers_scanning_one_door_hand_it_over_once(commander, door):
    run, code = door
    outcomes = at_once(
        lambda: hand_over(user=commander, run=run, household_code=code, proof_kind="code"),
        lambda: hand_over(
            user=commander, run=run, household_code=code, proof_kind="photo", proof_ref="p.jpg"
        ),
    )
    assert outcomes == ["done", "handed_over"]
    assert Allocation.objects.exclude(state=HandoverState.PENDING).count() == 1


@interleaved
@pytest.mark.django_db(transaction=True)
def test_a_scan_waits_for_the_other_at_the_door_and_finds_it_handed_over(commander, door):
    run, code = door
    racer = interleaved_race(
        lambda: hand_over(user=commander, run=run, household_code=code, proof_kind="code"),
        lambda: hand_over(
            user=commander,
            run=run,
            household_code=code,
            proof_kind="photo",
            proof_ref="p.jpg",
            received_kg=Decimal(1),
        ),
    )
    assert racer.error is not None and racer.error.code == "handed_over"
    done = Allocation.objects.get(run=run, household__code=code)
    assert (done.state, done.proof_kind) == (HandoverState.DELIVERED, "code")
