"""A control order's tests go through testing: single-tube rounds at the person's home on the
order's test dates; the order is released only when its end has come and every test is
negative, and a positive test (through testing's retest) converts it into a case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import C11
from devtools.sampling import Sampler
from fangkong.core.errors import RuleViolation
from fangkong.core.events import deliver_pending
from fangkong.core.models import OutboxEvent
from fangkong.testing.models import RetestOrder, RoundKind
from fangkong.testing.models import TestingRound as Round
from fangkong.tracing.models import OrderState
from fangkong.tracing.models_cases import Case
from fangkong.tracing.services.exposures import decide_exposure, subject_token
from fangkong.tracing.services.orders import create_site, issue_orders, release_order
from fangkong.tracing.services.release import order_test_results
from fangkong.tracing.services.scan_checks import person_key
from fangkong.tracing.services.scans import import_scans

from .conftest import D

TODAY = timezone.localdate()
LAST = TODAY - dt.timedelta(days=8)  # secondary: 7 days, tests on days 1, 4 and 7


@pytest.fixture
def order(district, commander, residents, resident_documents, id_number, write_csv):
    """张伟, a registered resident, accepted as a secondary contact at a supermarket visit and
    under the three-zones preset's 7 days of centralised quarantine."""
    case = id_number("320102", "19800101", 77)  # a visitor, not in the registry
    seen = timezone.make_aware(dt.datetime.combine(LAST, dt.time(10)))
    rows = [
        ("a1", "V-S", "超市", "supermarket", "resident_id", case, seen.isoformat()),
        (
            "b1",
            "V-S",
            "超市",
            "supermarket",
            "resident_id",
            resident_documents["张伟"],
            seen.isoformat(),
        ),
    ]
    report = import_scans(path=write_csv(rows))
    assert report.imported == 2, report
    index, masked = person_key(document_type="resident_id", document_number=case)
    decision = decide_exposure(
        user=commander,
        subject=subject_token(index=index, masked=masked),
        source_id="b1",
        decision="accepted",
        tier="secondary",
    )
    hotel = create_site(user=commander, name="隔离酒店", capacity=5, area_code=D)
    (issued,) = issue_orders(user=commander, decision=decision, site=hotel, last_exposure=LAST)
    return issued


@pytest.fixture
def sampled(commander, resident_documents):
    """Sample 张伟 by single tube in a round and have the lab answer."""
    sampler = Sampler(user=commander, community=C11, district=D)
    return lambda round_id, result: sampler.test(round_id, [resident_documents["张伟"]], result)


def test_an_orders_tests_are_single_tube_rounds_at_home_on_its_test_dates(order, residents):
    home = next(r for r in residents if r.name == "张伟").household.code
    assert (
        list(order.test_rounds)
        == order.test_dates
        == [(LAST + dt.timedelta(days=k)).isoformat() for k in (1, 4, 7)]
    )
    rounds = Round.objects.filter(pk__in=order.test_rounds.values()).order_by("starts_at")
    assert [(r.kind, r.pool_size, r.scope_codes) for r in rounds] == [
        (RoundKind.TARGETED, 1, [home])
    ] * 3
    assert [timezone.localtime(r.starts_at).date().isoformat() for r in rounds] == list(
        order.test_rounds
    )


def test_release_waits_for_every_test_to_be_negative(commander, order, sampled):
    with pytest.raises(RuleViolation) as caught:
        release_order(user=commander, order=order, today=TODAY)
    assert caught.value.code == "pending"
    days = list(order.test_rounds.items())
    for _day, round_id in days[:2]:
        sampled(round_id, "negative")
    with pytest.raises(RuleViolation) as caught:
        release_order(user=commander, order=order, today=TODAY)
    assert caught.value.code == "pending" and days[2][0] in str(caught.value.message)
    sampled(days[2][1], "negative")
    assert order_test_results(order) == {day: "negative" for day, _ in days}
    released = release_order(user=commander, order=order, today=TODAY)
    assert released.state == OrderState.RELEASED
    event = OutboxEvent.objects.get(kind="tracing.order_released")
    assert event.payload["tests"] == 3 and event.payload["order_id"] == order.pk


def test_a_presumptive_positive_keeps_the_order_until_the_retest_opens_the_case(
    commander, order, sampled
):
    days = list(order.test_rounds.items())
    sampled(days[0][1], "negative")
    sampled(days[1][1], "presumptive_positive")
    sampled(days[2][1], "negative")
    deliver_pending()
    with pytest.raises(RuleViolation) as caught:
        release_order(user=commander, order=order, today=TODAY)
    assert caught.value.code == "positive" and days[1][0] in str(caught.value.message)
    assert not Case.objects.exists()
    retest = RetestOrder.objects.get(resident__name="张伟")
    sampled(retest.retest_round_id, "positive")
    deliver_pending()
    case = Case.objects.get()
    assert (case.source, case.resident.name, case.opened_by) == ("retest", "张伟", None)
    order.refresh_from_db()
    assert order.state == OrderState.CONVERTED


def test_a_positive_single_tube_from_the_lab_opens_the_case_and_converts_the_order(
    commander, order, sampled
):
    days = list(order.test_rounds.items())
    sampled(days[0][1], "positive")
    deliver_pending()
    case = Case.objects.get()
    assert (case.source, case.kind, case.sampling_date.isoformat()) == (
        "lab",
        "asymptomatic",
        days[0][0],
    )
    order.refresh_from_db()
    assert order.state == OrderState.CONVERTED
    with pytest.raises(RuleViolation) as caught:
        release_order(user=commander, order=order, today=TODAY)
    assert caught.value.code == "not_active"
    # The retest that follows confirms the same case: no second one.
    retest = RetestOrder.objects.get(resident__name="张伟")
    sampled(retest.retest_round_id, "positive")
    deliver_pending()
    assert Case.objects.count() == 1


def test_the_order_page_shows_each_tests_outcome(client, commander, order, sampled):
    days = list(order.test_rounds.items())
    sampled(days[0][1], "negative")
    client.force_login(commander)
    page = client.get(reverse("tracing:order", args=[order.pk])).content.decode()
    assert f'<li data-outcome="negative">{days[0][0]} · 阴性</li>' in page
    assert f'<li data-outcome="pending">{days[1][0]} · 尚无结果</li>' in page


def test_the_order_page_names_its_protocol_by_title_not_code(client, commander, order):
    from fangkong.zones.protocols import get_preset

    client.force_login(commander)
    page = client.get(
        reverse("tracing:order", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    title = get_preset(order.protocol, order.protocol_version).label
    assert title != order.protocol
    expected = f'{title} <code class="muted">v{order.protocol_version}</code>'
    assert f'<dd data-testid="order-protocol">{expected}</dd>' in page
    assert f"<code>{order.protocol} v" not in page
