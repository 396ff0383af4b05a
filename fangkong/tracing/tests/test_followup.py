"""Daily follow-up: one report a day, line lists per grid, missed reports as tasks, and the
self-report page opened from the signed link."""

from __future__ import annotations

import datetime as dt

import pytest

from devtools.fixtures import G112, G211
from fangkong.core.errors import RuleViolation
from fangkong.tracing.models import ControlOrder
from fangkong.tracing.selectors import FOLLOW_UP_ROWS, follow_up_counts, follow_up_lists
from fangkong.tracing.services.followup import (
    escalate_missed_reports,
    record_report,
    self_report_token,
)
from fangkong.tracing.services.orders import create_site, issue_orders
from fangkong.work.models import Task

from .conftest import G111, D

D14, D15, D20 = dt.date(2022, 6, 14), dt.date(2022, 6, 15), dt.date(2022, 6, 20)


@pytest.fixture
def order(commander, contact):
    hotel = create_site(user=commander, name="酒店", capacity=5, area_code=D)
    return issue_orders(
        user=commander, decision=contact, protocol="cn-9th-edition-2022", site=hotel
    )[0]


def test_a_report_a_day_and_the_line_lists(commander, order):
    lists = follow_up_lists(commander, day=D14, fever=37.3)
    assert [o.pk for o in lists["not_reported"]] == [order.pk]
    assert [o.pk for o in lists["due_test"]] == [order.pk]  # day 1 of 1, 2, 3, 5, 7
    record_report(order=order, day=D14, temperature="37.5", symptoms="", user=commander)
    lists = follow_up_lists(commander, day=D14, fever=37.3)
    assert lists["not_reported"] == [] and [o.pk for o in lists["symptomatic"]] == [order.pk]
    with pytest.raises(RuleViolation) as exc:
        record_report(order=order, day=D14, temperature="36.5")
    assert exc.value.code == "reported"
    record_report(order=order, day=D15, temperature="36.6")
    assert follow_up_lists(commander, day=D15, fever=37.3)["symptomatic"] == []
    assert [o.pk for o in follow_up_lists(commander, day=D20, fever=37.3)["due_release"]] == [
        order.pk
    ]


def test_a_report_outside_the_order_or_implausible_is_refused(order):
    with pytest.raises(RuleViolation):
        record_report(order=order, day=dt.date(2022, 6, 13), temperature="36.5")
    with pytest.raises(RuleViolation):
        record_report(order=order, day=D14, temperature="3.65")


def test_missed_reports_become_tasks_once(order):
    assert escalate_missed_reports(day=D14) == 1
    assert escalate_missed_reports(day=D14) == 0
    record_report(order=order, day=D15, temperature="36.5")
    assert escalate_missed_reports(day=D15) == 0
    task = Task.objects.get(kind="follow_up_missed")
    assert task.detail == {"order": order.pk, "day": "2022-06-14"} and task.area_code


def test_the_self_report_page_needs_no_login_but_a_signed_link(client, order, settings):
    page = client.get(f"/tracing/report/{self_report_token(order)}/")
    assert page.status_code == 200 and order.document_masked in page.content.decode()
    assert client.get("/tracing/report/forged/").status_code == 404


def test_the_follow_up_page_records_for_a_person(client, commander, order):
    client.force_login(commander)
    page = client.get("/tracing/follow-up/", {"day": "2022-06-14"}).content.decode()
    assert page.count('data-testid="row-not_reported"') == 1
    client.post(
        f"/tracing/follow-up/{order.pk}/record/", {"day": "2022-06-14", "temperature": "36.4"}
    )
    page = client.get("/tracing/follow-up/", {"day": "2022-06-14"}).content.decode()
    assert page.count('data-testid="row-not_reported"') == 0


def test_the_escalate_follow_up_command_prints_json(order):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("tracing", "escalate-follow-up", "--day", "2022-06-14", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"day": "2022-06-14", "tasks": 1}


def test_the_line_lists_are_four_queries(commander, order, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        follow_up_lists(commander, day=D14, fever=37.3)


def _orders(count: int, *, grids: tuple[str, ...], start: int = 0) -> list[ControlOrder]:
    """`count` home-quarantine orders from 13 June, over `grids` in turn (a test's bulk)."""
    return ControlOrder.objects.bulk_create(
        ControlOrder(
            number=start + i + 1,
            year=2022,
            kind="home_quarantine",
            tier="secondary",
            protocol="cn-9th-edition-2022",
            protocol_version=1,
            last_exposure=dt.date(2022, 6, 13),
            start=dt.date(2022, 6, 13),
            end=D20,
            test_dates=["2022-06-14"] if i % 2 else [],
            area_code=grids[i % len(grids)],
            document_type="resident_id",
            document_cipher="",
            document_index=f"o{start + i}",
            document_masked="410***",
        )
        for i in range(count)
    )


def test_the_line_lists_are_counted_per_grid_in_one_query(
    commander, grid_worker, district, django_assert_max_num_queries
):
    made = _orders(6, grids=(G111, G112, G211))
    record_report(order=made[0], day=D14, temperature="38.1", user=commander)
    with django_assert_max_num_queries(1):
        counts = follow_up_counts(commander, day=D14, fever=37.3)
    assert counts == {
        "not_reported": {G111: 1, G112: 2, G211: 2},
        "symptomatic": {G111: 1},
        "due_test": {G111: 1, G112: 1, G211: 1},
        "due_release": {},
    }
    # The grid worker's counts are their grid's only.
    assert follow_up_counts(grid_worker, day=D14, fever=37.3)["not_reported"] == {G111: 1}


def test_the_line_lists_list_the_first_people_of_a_chosen_grid(commander, district):
    _orders(6, grids=(G111, G211))
    lists = follow_up_lists(commander, day=D14, fever=37.3, limit=2)
    assert [o.area_code for o in lists["not_reported"]] == [G111, G111]
    lists = follow_up_lists(commander, day=D14, fever=37.3, area=G211)
    assert [o.area_code for o in lists["not_reported"]] == [G211] * 3
    only = follow_up_lists(commander, day=D14, fever=37.3, only=("due_test",))
    assert only["not_reported"] == [] and len(only["due_test"]) == 3


def test_the_page_counts_a_long_list_per_grid_and_lists_a_chosen_grids_people(
    client, commander, district
):
    _orders(FOLLOW_UP_ROWS + 1, grids=(G111, G211))
    client.force_login(commander)
    page = client.get("/tracing/follow-up/", {"day": "2022-06-14"}).content.decode()
    total = FOLLOW_UP_ROWS + 1
    assert f'data-testid="count-not_reported">{total}<' in page
    assert "row-not_reported" not in page and 'data-testid="more-not_reported"' in page
    assert page.count('data-testid="grid-not_reported"') == 2
    # Each grid by its name, its community's first: both communities have a 第一网格.
    assert "瓦屋李社区第一网格" in page and "大里村第一网格" in page
    assert f"<code>{G211}</code>" not in page
    # A short list is listed whole: half of them are due a test.
    assert page.count('data-testid="row-due_test"') == total // 2
    page = client.get("/tracing/follow-up/", {"day": "2022-06-14", "area": G211}).content.decode()
    assert f'data-testid="count-not_reported">{total // 2}<' in page
    # The grid's page counts its own people only: no links to the other grid's.
    assert "大里村第一网格" in page and "瓦屋李社区第一网格" not in page
    assert page.count('data-testid="row-not_reported"') == total // 2
    assert 'data-testid="more-not_reported"' not in page
    assert 'data-testid="list-symptomatic"' in page and "row-symptomatic" not in page


def _copies(order, n: int) -> None:
    """n more people under the same order (their own numbers), as a busy day has."""
    from fangkong.tracing.models import ControlOrder

    for k in range(n):
        copy = ControlOrder.objects.get(pk=order.pk)
        copy.pk, copy.previous, copy.number = None, None, order.number + 1000 + k
        copy.save()


def test_the_orders_in_force_page_by_page(client, commander, order, monkeypatch):
    from fangkong.tracing.models import ControlOrder, OrderState

    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    _copies(order, 2)
    total = ControlOrder.objects.filter(state=OrderState.ACTIVE).count()
    assert 2 < total <= 4
    client.force_login(commander)
    first = client.get("/tracing/orders/").content.decode()
    assert first.count('data-testid="order"') == 2 and 'href="?orders=2"' in first
    second = client.get("/tracing/orders/", {"orders": 2}).content.decode()
    assert second.count('data-testid="order"') == total - 2 and 'href="?orders=1"' in second
