"""Browser test of the tracing flow: a pool comes back positive and its member's single-tube
retest too, which opens the person's case by itself; their venue scans give a candidate who is
accepted as a close contact, the contact gets the protocol's orders at a quarantine site with
their tests sampled by testing, and the order's notice (告知书) is a PDF."""

import pytest
from playwright.sync_api import expect

from devtools.fixtures import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_from_a_positive_retest_to_an_accepted_contact_with_an_order_and_its_notice(
    page, live_server, residents, resident_documents, commander, tmp_path
):
    import datetime as dt

    from django.utils import timezone

    from devtools.fixtures import C11, D
    from devtools.sampling import Sampler
    from fangkong.testing.models import RetestOrder
    from fangkong.testing.services.rounds import create_round
    from fangkong.tracing.models import ControlOrder
    from fangkong.tracing.models_cases import Case
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

    # The pool of 张伟 and 王芳 is positive; 张伟's single-tube retest is positive too: testing
    # says so, and tracing opens the case with nobody at the keyboard.
    sampler = Sampler(user=commander, community=C11, district=D)
    mass = create_round(
        name="6月13日区域核酸筛查",
        scope_codes=[D],
        user=commander,
        starts_at=timezone.now() - dt.timedelta(hours=2),
    )
    sampler.test(mass.pk, [case_doc, resident_documents["王芳"]], "positive")
    retest = RetestOrder.objects.get(resident__name="张伟")
    sampler.test(retest.retest_round_id, [case_doc], "positive")
    assert Case.objects.get().source == "retest"

    log_in(page, live_server.url, commander)
    page.goto(f"{live_server.url}/tracing/")
    page.get_by_test_id("cases-link").click()
    page.get_by_test_id("case-list").get_by_role("link", name="张伟").click()
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
    # 刘洋 is in the registry: testing samples him at home on the order's test dates.
    assert list(order.test_rounds) == order.test_dates
