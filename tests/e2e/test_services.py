"""Browser test of services: a zone is designated; its elderly resident living alone is on
the care list at once, is taken to hospital and back (a medical trip with the zone's pass),
and the household's fixed package is delivered with its code scanned at the door."""

import re

import pytest
from playwright.sync_api import expect

from devtools.fixtures import C11, PASSWORD, S1
from fangkong.accounts.models import Role
from fangkong.services.models import Allocation, MedicalTrip, TripState
from fangkong.services.services.trips import set_designated_hospital
from fangkong.work.models import Task

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
COMPOUND = f"{C11}-C01"


def log_in(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def click_shape(page, selector: str, lon: float, lat: float) -> None:
    box = page.locator(selector).bounding_box()
    x, y = page.evaluate(
        "([sel, lon, lat]) => document.querySelector(sel).fangkongChart"
        ".convertToPixel({geoIndex: 0}, [lon, lat])",
        [selector, lon, lat],
    )
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_from_designation_to_a_delivered_package_and_a_completed_medical_trip(
    page, browser, live_server, residents, commander, make_user
):
    set_designated_hospital(user=commander, area_code=S1, name="高新区人民医院")
    wang = residents[1]  # elderly, living alone, in the compound
    log_in(page, live_server.url, commander)

    # The zone is designated on the map.
    page.goto(f"{live_server.url}/zones/")
    page.get_by_test_id("designate-link").click()
    picker = "[data-testid=picker-map]"
    expect(page.locator(picker)).to_have_attribute("data-drawn", re.compile(r"[1-9]"))
    page.locator("input[name=map-level][value=compound]").check()
    click_shape(page, picker, 113.55125, 34.80125)
    page.locator("select[name=kind]").select_option("sealed")
    page.locator("textarea[name=reason]").fill("瓦屋李新居发现阳性，划为封控区")
    page.get_by_test_id("designate-submit").click()
    expect(page.get_by_test_id("zone-name")).to_have_text("瓦屋李新居封控区")
    assert Task.objects.filter(kind="welfare_check", detail__resident=wang.pk).exists()

    # The grid worker's phone: the zone's care list, and a medical trip raised for 王芳.
    staff = make_user(Role.COMMUNITY_STAFF, C11)
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    mobile = phone.new_page()
    log_in(mobile, live_server.url, staff)
    mobile.goto(f"{live_server.url}/services/care/")
    mobile.get_by_test_id("care-zone").locator("select[name=zone]").select_option(index=1)
    mobile.get_by_test_id("care-zone").get_by_role("button").click()
    card = mobile.get_by_test_id(f"care-{wang.pk}")
    expect(card).to_contain_text("独居")
    mobile.get_by_test_id(f"raise-for-{wang.pk}").click()
    mobile.locator("select[name=kind]").select_option("medical_trip")
    mobile.get_by_test_id("raise-form").get_by_role("button").click()
    expect(mobile.get_by_test_id("request-page")).to_be_visible()

    trip_form = mobile.get_by_test_id("trip-form")
    trip_form.locator("input[name=escort]").fill("社区医生")
    trip_form.locator("input[name=leaves_at]").fill("2030-06-13T09:30")
    trip_form.locator("input[name=returns_by]").fill("2030-06-13T13:00")
    trip_form.get_by_role("button").click()
    expect(mobile.get_by_test_id("trip-pass")).to_contain_text("TX")
    mobile.get_by_test_id("trip-leave").click()
    mobile.get_by_test_id("trip-arrive").click()
    mobile.get_by_test_id("trip-return").click()
    expect(mobile.get_by_test_id("trip-state")).to_have_text("已返家，办结")
    expect(mobile.get_by_test_id("request-state")).to_have_text("已办结")
    assert MedicalTrip.objects.get().state == TripState.BACK

    # The desk allocates the zone's fixed package; the courier scans 王芳's door.
    page.goto(f"{live_server.url}/services/supplies/")
    allocate = page.get_by_test_id("allocate-form")
    allocate.locator("select[name=zone]").select_option(index=0)
    allocate.locator("input[name=name]").fill("第一批保供包")
    allocate.get_by_role("button").click()
    expect(page.get_by_test_id("package-page")).to_be_visible()
    run_link = page.get_by_test_id("runs").get_by_role("link").first
    run_url = run_link.get_attribute("href")

    mobile.goto(f"{live_server.url}{run_url}")
    door = wang.household.code
    mobile.get_by_test_id("handover-form").locator("input[name=household_code]").fill(door)
    mobile.get_by_test_id("handover-form").get_by_role("button").click()
    expect(mobile.get_by_test_id(f"alloc-{door}")).to_contain_text("已送达")
    phone.close()
    assert Allocation.objects.get(household=wang.household).proof_kind == "code"
