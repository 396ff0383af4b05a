"""Browser test of door-knocking on a phone: the grid worker opens their households, records
what they found at each door, and the round shows 全覆盖 once no household is unexplained."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from devtools.fixtures import G111, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_grid_worker_records_outcomes_until_the_round_is_fully_covered(
    phone, live_server, residents, commander, grid_worker
):
    from fangkong.testing.services.doorknock import generate_doorknock_tasks
    from fangkong.testing.services.rounds import create_round

    round_ = create_round(
        name="第一网格核酸检测",
        scope_codes=[G111],
        user=commander,
        starts_at=timezone.now() - dt.timedelta(hours=2),
    )
    assert generate_doorknock_tasks(round=round_, user=commander).created == 2
    from fangkong.work.models import Task

    address = {
        t.detail["resident_ids"][0]: t.detail["address"]
        for t in Task.objects.filter(kind="door_knock")
    }
    people = {r.name: r.pk for r in residents}

    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(grid_worker.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/testing/rounds/{round_.pk}/knock/")
    homes = page.get_by_test_id("knock-home")
    expect(homes).to_have_count(2)
    expect(page.get_by_test_id("unexplained")).to_have_text("2")

    first = homes.filter(has_text=address[people["张伟"]])
    second = homes.filter(has_text=address[people["王芳"]])

    # First door: nobody home; knock again tonight. Still unexplained.
    first.get_by_role("link").click()
    expect(page.get_by_test_id("household-people")).to_contain_text("张伟")
    page.get_by_label("无人应答").check()
    later = timezone.localtime(timezone.now() + dt.timedelta(hours=6))
    page.get_by_label("再次敲门时间").fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_test_id("outcome-save").click()
    expect(page.get_by_test_id("unexplained")).to_have_text("2")
    expect(first.get_by_test_id("knock-outcome")).to_have_text("无人应答")

    # Back at the first door: they had been sampled at the hospital.
    first.get_by_role("link").click()
    expect(page.get_by_test_id("current-outcome")).to_contain_text("无人应答")
    page.get_by_label("已在他处采样").check()
    page.get_by_test_id("outcome-save").click()
    expect(page.get_by_text("请说明在何处采样。")).to_be_visible()  # where?
    page.get_by_label("采样地点").fill("郑大一附院")
    page.get_by_test_id("outcome-save").click()
    expect(page.get_by_test_id("unexplained")).to_have_text("1")

    # Second door: 王芳 is away from the district.
    second.get_by_role("link").click()
    expect(page.get_by_test_id("household-people")).to_contain_text("王芳")
    page.get_by_label("不在辖区").check()
    page.get_by_test_id("outcome-save").click()
    expect(page.get_by_test_id("full-coverage")).to_be_visible()
    expect(page.get_by_test_id("unexplained")).to_have_count(0)

    # The round's own page says so too.
    page.goto(f"{live_server.url}/testing/rounds/{round_.pk}/")
    expect(page.get_by_test_id("full-coverage")).to_contain_text("全覆盖")
