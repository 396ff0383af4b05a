"""Browser tests of the case desk: a grid worker reports unpaid wages from the phone page and
the joint meeting closes it (结案销案); a river chief's patrol finds a hazard that the desk
assigns with a deadline and closes off the list (销号)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from devtools.fixtures import C11, G111, PASSWORD, D
from fangkong.accounts.models import Role
from fangkong.governance.models import GovCase, River, Stage
from fangkong.governance.services.intake import create_unit
from fangkong.governance.services.rivers import appoint_chief, create_segment
from fangkong.governance.services.wages import create_company, create_project

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_wage_complaint_from_the_grid_to_closure_at_the_joint_meeting(
    page, browser, live_server, make_user, commander
):
    bureau = create_unit(code="hr-bureau", name="区人社局", area_code=D)
    create_unit(code="wawuli", name="瓦屋李社区", area_code=C11)
    builder = create_company(name="高新置业", credit_code="91410100MA0000001X", area_code=D)
    general = create_company(name="中建某局", credit_code="91410100MA0000002X", area_code=D)
    create_project(
        name="瓦屋李安置房",
        area_code=C11,
        builder=builder,
        general_contractor=general,
        contract_value=Decimal("80000000"),
    )
    worker = make_user(Role.GRID_WORKER, G111, display_name="网格员甲")

    # The grid worker reports from the phone page.
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    mobile = phone.new_page()
    log_in(mobile, live_server.url, worker)
    mobile.goto(f"{live_server.url}/governance/report/")
    mobile.locator("select[name=kind]").select_option("wage_arrears")
    mobile.locator("input[name=title]").fill("安置房工地拖欠三名工人工资")
    mobile.get_by_role("button", name="上报", exact=True).click()
    expect(mobile.locator(".messages")).to_contain_text("已上报")
    phone.close()
    case = GovCase.objects.get()

    # The district desk takes it up.
    log_in(page, live_server.url, commander)
    page.goto(f"{live_server.url}/governance/")
    page.get_by_role("link", name=case.number).click()
    expect(page.get_by_test_id("case-owner")).to_have_text("瓦屋李社区")
    page.get_by_test_id("step-accept").get_by_role("button").click()
    expect(page.get_by_test_id("case-stage")).to_have_text("受理/核实")

    claim = page.get_by_test_id("wage-claim-form")
    claim.locator("select[name=project]").select_option(label="瓦屋李安置房")
    claim.locator("select[name=employer]").select_option(label="中建某局")
    claim.locator("input[name=worker]").fill("张师傅")
    claim.locator("input[name=owed]").fill("12000")
    claim.get_by_role("button").click()
    expect(page.get_by_test_id("wage-totals")).to_contain_text("12000.00")

    advance = page.get_by_test_id("wage-advance-form")
    advance.locator("select[name=payer]").select_option("emergency_fund")
    advance.locator("input[name=amount]").fill("12000")
    advance.locator("input[name=paid_on]").fill("2026-12-01")
    advance.get_by_role("button").click()
    expect(page.get_by_test_id("wage-totals")).to_contain_text("尚欠 ¥0.00")

    # The joint meeting closes it.
    page.goto(f"{live_server.url}/governance/wages/")
    page.get_by_test_id("meeting-new-link").click()
    form = page.get_by_test_id("meeting-form")
    form.locator("input[name=title]").fill("2026年第12次欠薪治理联席会议")
    form.locator("input[name=held_on]").fill("2026-12-02")
    form.get_by_label(bureau.name).first.check()
    form.get_by_role("button").click()
    decision = page.get_by_test_id("decision-form")
    decision.locator("select[name=case]").select_option(str(case.pk))
    decision.locator("select[name=kind]").select_option("close")
    decision.locator("textarea[name=text]").fill("工资已由应急周转金全额垫付，结案销案")
    decision.get_by_role("button").click()
    expect(page.get_by_test_id("decisions")).to_contain_text("结案销案")

    page.goto(f"{live_server.url}/governance/{case.pk}/")
    expect(page.get_by_test_id("case-stage")).to_have_text("结案")
    expect(page.get_by_test_id("case-resolved")).to_have_text("是")
    case.refresh_from_db()
    assert (case.stage, case.resolved) == (Stage.CLOSED, True)


def test_a_river_hazard_from_the_chiefs_patrol_to_closed_off_the_list(
    page, browser, live_server, make_user, commander
):
    create_unit(code="wawuli", name="瓦屋李社区", area_code=C11)
    river = River.objects.create(name="贾鲁河", code="jialu")
    segment = create_segment(river=river, name="瓦屋李段", area_code=G111)
    chief = make_user(Role.GRID_WORKER, G111, display_name="村级河长甲")
    appoint_chief(segment=segment, user=chief, level="village")

    # The village chief logs a patrol on the phone and reports what was found.
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    mobile = phone.new_page()
    log_in(mobile, live_server.url, chief)
    mobile.goto(f"{live_server.url}/governance/rivers/patrol/")
    end = timezone.localtime() - dt.timedelta(minutes=5)
    form = mobile.get_by_test_id("patrol-form")
    form.locator("select[name=chief]").select_option(index=1)
    form.locator("input[name=started_at]").fill(
        (end - dt.timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M")
    )
    form.locator("input[name=ended_at]").fill(end.strftime("%Y-%m-%dT%H:%M"))
    mobile.evaluate(
        "document.getElementById('id_track').value = '[[113.55, 34.8], [113.574, 34.8]]'"
    )
    form.locator("textarea[name=problems]").fill("河岸倾倒建筑垃圾")
    form.locator("select[name=category]").select_option("dump")
    form.get_by_role("button", name="登记巡河").click()
    expect(mobile.locator(".messages")).to_contain_text("巡河记录已登记")
    expect(mobile.get_by_test_id("my-patrols")).to_contain_text("贾鲁河·瓦屋李段")
    phone.close()

    # The desk assigns it with a deadline, and it goes through to 销号.
    log_in(page, live_server.url, commander)
    page.goto(f"{live_server.url}/governance/rivers/")
    page.get_by_test_id("open-hazards").get_by_role("link").click()
    assign = page.get_by_test_id("hazard-assign")
    assign.locator("select[name=unit]").select_option(label="瓦屋李社区")
    deadline = timezone.localdate() + dt.timedelta(days=7)
    assign.locator("input[name=deadline]").fill(deadline.isoformat())
    assign.get_by_role("button").click()
    expect(page.get_by_test_id("case-stage")).to_have_text("派遣")
    expect(page.get_by_test_id("case-due")).to_contain_text(deadline.isoformat())
    page.get_by_test_id("step-start_handling").get_by_role("button").click()
    feed = page.get_by_test_id("step-feed_back")
    feed.locator("select[name=resolved]").select_option("1")
    feed.locator("input[name=note]").fill("已清运")
    feed.get_by_role("button").click()
    check = page.get_by_test_id("step-check")
    check.locator("select[name=passed]").select_option("1")
    check.get_by_role("button").click()
    page.get_by_test_id("step-close").first.get_by_role("button").click()
    expect(page.get_by_test_id("case-stage")).to_have_text("结案")
    expect(page.get_by_test_id("case-closure")).to_have_text("正常")
    page.goto(f"{live_server.url}/governance/rivers/")
    expect(page.get_by_test_id("open-hazards")).to_contain_text("暂无未销号问题")
