"""Browser test of the tracing flow: a positive person's case is opened, their venue scans
give a candidate who is accepted as a close contact, the contact gets the protocol's orders at
a quarantine site, and the order's notice (告知书) is a PDF."""

import pytest
from playwright.sync_api import expect

from devtools.fixtures import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_from_a_positive_person_to_an_accepted_contact_with_an_order_and_its_notice(
    page, live_server, residents, resident_documents, commander, tmp_path
):
    from fangkong.tracing.models import ControlOrder
    from fangkong.tracing.services.orders import create_site
    from fangkong.tracing.services.scans import import_scans

    case_doc, other = resident_documents["张伟"], resident_documents["刘洋"]
    scans = tmp_path / "scans.csv"
    scans.write_text(
        "source_id,venue_code,venue_name,venue_kind,document_type,document_number,scanned_at\n"
        f"a1,V-S,丹尼斯超市,supermarket,resident_id,{case_doc},2022-06-12T10:00:00+08:00\n"
        f"b1,V-S,丹尼斯超市,supermarket,resident_id,{other},2022-06-12T10:20:00+08:00\n",
        encoding="utf-8",
    )
    import_scans(path=scans)
    create_site(user=commander, name="高新区集中隔离酒店", capacity=10, area_code="410172")

    log_in(page, live_server.url, commander)
    page.goto(f"{live_server.url}/tracing/")
    page.get_by_test_id("cases-link").click()
    form = page.get_by_test_id("case-form")
    form.locator("input[name=document_number]").fill(case_doc)
    form.locator("select[name=kind]").select_option("asymptomatic")
    form.locator("select[name=source]").select_option("retest")
    form.locator("input[name=sampling_date]").fill("2022-06-13")
    form.locator("input[name=team]").fill("流调一组")
    form.get_by_role("button").click()
    expect(page.get_by_test_id("report-clock")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("张伟")

    page.goto(f"{live_server.url}/tracing/exposures/")
    search = page.get_by_test_id("exposure-search")
    search.locator("input[name=document_number]").fill(case_doc)
    search.locator("input[name=start]").fill("2022-06-09 00:00")
    search.locator("input[name=end]").fill("2022-06-13 23:59")
    search.get_by_role("button").click()
    candidate = page.get_by_test_id("candidate")
    expect(candidate).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text(other)
    candidate.locator("select[name=tier]").select_option("close")
    candidate.get_by_test_id("accept").click()
    expect(page.get_by_test_id("candidate")).to_contain_text("已采纳 密切接触者")

    page.goto(f"{live_server.url}/tracing/orders/")
    row = page.get_by_test_id("awaiting")
    row.locator("select[name=protocol]").select_option("cn-9th-edition-2022")
    row.locator("select[name=site]").select_option(label="高新区集中隔离酒店")
    row.get_by_test_id("issue").click()
    expect(page.get_by_test_id("order-state")).to_have_text("执行中")
    order = ControlOrder.objects.get(previous=None)
    assert (order.kind, str(order.start), str(order.end)) == (
        "centralised_quarantine",
        "2022-06-12",
        "2022-06-19",
    )
    href = page.get_by_test_id("notice-pdf").get_attribute("href")
    pdf = page.request.get(f"{live_server.url}{href}")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
