"""Control orders from the protocol: the plan's date rules tested from every preset's data,
the CLI's JSON, orders as records with sites and release, and the notice PDF."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools.pdf import pdf_fonts
from fangkong.core.errors import RuleViolation
from fangkong.protocols import preset_files
from fangkong.tracing.models import ControlOrder, ExposureDecision, OrderState
from fangkong.tracing.notice_pdf import notice_blocks, order_notice_pdf
from fangkong.tracing.protocol import tracing_protocol
from fangkong.tracing.services.orders import create_site, issue_orders, plan_orders, release_order
from fangkong.zones.protocols import read_preset_file

from .conftest import D

LAST = dt.date(2022, 6, 13)
RULES = [
    pytest.param(path.stem, rule, id=f"{path.stem}-{rule['tier']}")
    for path in preset_files()
    for rule in read_preset_file(path)["contacts"]
]


@pytest.mark.parametrize(("name", "rule"), RULES)
def test_each_presets_orders_are_counted_from_the_last_exposure(db, name, rule):
    plan = plan_orders(protocol=tracing_protocol(name), tier=rule["tier"], last_exposure=LAST)
    start = LAST
    for planned, order in zip(plan.orders, rule["orders"], strict=True):
        assert planned.kind == order["kind"]
        assert (planned.start, planned.end) == (start, start + dt.timedelta(days=order["days"]))
        assert list(planned.test_dates) == [
            start + dt.timedelta(days=k) for k in order["test_days"]
        ]
        start = planned.end
    # The preset's test days, counted from the first order's start, are the plan's dates.
    expected = [LAST + dt.timedelta(days=k) for k in rule["test_days"]]
    assert plan.test_dates == expected


def test_the_order_plan_command_prints_the_9th_editions_7_plus_3(db):
    out = io.StringIO()
    call_command(
        "tracing",
        "order-plan",
        "--protocol",
        "cn-9th-edition-2022",
        "--tier",
        "close",
        "--last-exposure",
        "2022-06-13",
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == {
        "orders": [
            {"kind": "centralised_quarantine", "start": "2022-06-13", "end": "2022-06-20"},
            {"kind": "home_health_monitoring", "start": "2022-06-20", "end": "2022-06-23"},
        ],
        "test_dates": [
            "2022-06-14",
            "2022-06-15",
            "2022-06-16",
            "2022-06-18",
            "2022-06-20",
            "2022-06-23",
        ],
    }


def test_a_tier_the_protocol_does_not_name_is_refused(db):
    with pytest.raises(CommandError, match="tier"):
        call_command(
            "tracing",
            "order-plan",
            "--protocol",
            "cn-20-measures-2022-11",
            "--tier",
            "secondary",
            "--last-exposure",
            "2022-11-20",
            "--json",
            stdout=io.StringIO(),
        )


# --- orders as records --------------------------------------------------------------------------


def _nine(commander, contact, site=None):
    return issue_orders(user=commander, decision=contact, protocol="cn-9th-edition-2022", site=site)


def test_orders_are_issued_as_a_chain_at_a_named_site(commander, contact):
    hotel = create_site(user=commander, name="高新区隔离酒店", capacity=2, area_code=D)
    first, second = _nine(commander, contact, site=hotel)
    assert (first.kind, first.start, first.end, first.site) == (
        "centralised_quarantine",
        LAST,
        dt.date(2022, 6, 20),
        hotel,
    )
    assert (second.previous, second.start, second.site) == (first, first.end, None)
    assert second.test_dates == ["2022-06-23"]
    assert first.document_index == contact.document_index


def test_centralised_quarantine_without_a_site_is_refused(commander, contact):
    with pytest.raises(RuleViolation) as exc:
        _nine(commander, contact)
    assert exc.value.code == "required" and not ControlOrder.objects.exists()


def test_a_full_site_is_refused_with_the_reason(commander, contact, id_number):
    hotel = create_site(user=commander, name="高新区隔离酒店", capacity=1, area_code=D)
    _nine(commander, contact, site=hotel)
    other = ExposureDecision.objects.create(
        **{
            f.name: getattr(contact, f.name)
            for f in ExposureDecision._meta.concrete_fields
            if f.name not in {"id", "source_id", "document_index", "created_at", "updated_at"}
        },
        source_id="b2",
        document_index="another person",
    )
    with pytest.raises(RuleViolation) as exc:
        _nine(commander, other, site=hotel)
    assert exc.value.code == "full" and "1" in str(exc.value.message)


def test_a_contact_gets_its_orders_once(commander, contact):
    hotel = create_site(user=commander, name="酒店", capacity=5, area_code=D)
    _nine(commander, contact, site=hotel)
    with pytest.raises(RuleViolation) as exc:
        _nine(commander, contact, site=hotel)
    assert exc.value.code == "has_orders"


def test_an_order_is_released_when_its_end_has_come(commander, contact):
    hotel = create_site(user=commander, name="酒店", capacity=5, area_code=D)
    first, _second = _nine(commander, contact, site=hotel)
    with pytest.raises(RuleViolation) as exc:
        release_order(user=commander, order=first, today=dt.date(2022, 6, 19))
    assert exc.value.code == "not_yet"
    released = release_order(user=commander, order=first, today=dt.date(2022, 6, 20))
    assert released.state == OrderState.RELEASED


def test_the_notice_names_the_orders_dates_and_tests_masked(commander, contact):
    hotel = create_site(user=commander, name="高新区隔离酒店", capacity=5, area_code=D)
    first, second = _nine(commander, contact, site=hotel)
    text = "\n".join(t for _s, t in notice_blocks(second))
    assert contact.document_masked in text and "2022年6月20日" in text and "2022-06-23" in text
    assert "集中隔离医学观察告知书" in text
    # The protocol by its title, never its code; the number with the issuer's prefix, no 第.
    title = tracing_protocol("cn-9th-edition-2022").data["title"]["zh"]
    assert f"根据《{title}》" in text and "cn-9th-edition-2022" not in text
    assert "高新防控告〔2022〕" in text and "第" not in text.split("\n")[1]
    pdf = order_notice_pdf(first)
    fonts = pdf_fonts(pdf)
    assert pdf.startswith(b"%PDF") and fonts and all(fonts.values())


def test_the_orders_page_issues_orders_and_serves_the_notice(client, commander, contact):
    hotel = create_site(user=commander, name="高新区隔离酒店", capacity=5, area_code=D)
    client.force_login(commander)
    page = client.get("/tracing/orders/").content.decode()
    assert contact.document_masked in page
    answer = client.post(
        "/tracing/orders/issue/",
        {
            "decision": contact.pk,
            "protocol": "cn-9th-edition-2022",
            "last_exposure": "2022-06-13",
            "site": hotel.pk,
        },
    )
    order = ControlOrder.objects.get(previous=None)
    assert answer.status_code == 302 and answer.url == f"/tracing/orders/{order.pk}/"
    pdf = client.get(f"/tracing/orders/{order.pk}/notice.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    plan = client.get(
        "/tracing/orders/",
        {"protocol": "cn-9th-edition-2022", "tier": "secondary", "last_exposure": "2022-06-13"},
    )
    assert "2022-06-20" in plan.content.decode()


def test_a_closed_loop_transfer_goes_to_the_orders_site(client, commander, contact):
    hotel = create_site(user=commander, name="高新区隔离酒店", capacity=5, area_code=D)
    first, _second = _nine(commander, contact, site=hotel)
    client.force_login(commander)
    client.post(
        f"/tracing/orders/{first.pk}/transfer/",
        {
            "vehicle": "豫A·12345 转运车",
            "departs_at": "2022-06-13 20:00",
            "arrives_at": "2022-06-13 20:40",
        },
    )
    (transfer,) = first.transfers.all()
    assert (transfer.vehicle, transfer.destination) == ("豫A·12345 转运车", "高新区隔离酒店")
    page = client.get(f"/tracing/orders/{first.pk}/").content.decode()
    assert "豫A·12345 转运车" in page


def test_contacts_awaiting_orders_page_by_page_beside_the_orders_page(
    client, commander, contact, monkeypatch
):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for k in range(2):
        copy = ExposureDecision.objects.get(pk=contact.pk)
        copy.pk, copy.source_id = None, f"b{k + 2}"
        copy.save()
    client.force_login(commander)
    first = client.get("/tracing/orders/", {"orders": 1}).content.decode()
    assert first.count('data-testid="awaiting"') == 2
    assert 'href="?orders=1&amp;awaiting=2"' in first  # the other list's page is kept
    second = client.get("/tracing/orders/", {"orders": 1, "awaiting": 2}).content.decode()
    assert second.count('data-testid="awaiting"') == 1
