import re

import pytest
from playwright.sync_api import expect

from devtools.fixtures import G111, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_log_in_browse_to_a_grid_list_residents_and_switch_to_english(
    page, live_server, residents, make_user
):
    from fangkong.accounts.models import Role

    worker = make_user(Role.COMMUNITY_STAFF, "410172-001-001")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(worker.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # Staff land on the command dashboard; the area navigator is one click away.
    expect(page).to_have_url(re.compile("/command/"))
    page.get_by_role("link", name="区域", exact=True).click()
    expect(page.get_by_test_id("area-name")).to_have_text("瓦屋李社区")
    page.get_by_role("link", name="第一网格").click()
    expect(page).to_have_url(re.compile(f"/areas/{G111}/"))
    page.get_by_test_id("residents-here").click()
    table = page.get_by_test_id("resident-table")
    expect(table).to_contain_text("张伟")
    expect(table).to_contain_text("138****5678")
    expect(table).not_to_contain_text("杨磊")  # another sub-district

    # Filter by tag through htmx without a full reload.
    page.get_by_label("标签").select_option("elderly_alone")
    page.get_by_role("button", name="筛选").click()
    expect(table).to_contain_text("王芳")
    expect(table).not_to_contain_text("张伟")

    page.get_by_test_id("lang-en").click()
    expect(page.get_by_role("link", name="Residents", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Filter")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_static_files_are_served(page, live_server, commander):
    for path in (
        "fangkong/app.css",
        "vendor/htmx/htmx-2.0.11.min.js",
        "testing/sampler/main.js",
        "fangkong/logout.js",
        "vendor/echarts/echarts-5.6.0.min.js",
    ):
        response = page.request.get(f"{live_server.url}/static/{path}")
        assert response.status == 200, path
