"""Every demo account signs in through the login form and reaches a page of its own job; the
sampler scans a person into a tube of the demo round at once, as after `make demo`."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    from fangkong.demo.accounts import DEMO_PASSWORD, ensure_demo_accounts
    from fangkong.demo.seed import seed_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(residents=600, seed=613, progress=False)
    ensure_demo_accounts()
    return DEMO_PASSWORD


def sign_in(browser, live_server, username, password):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/")
    page.locator("main input[name=username]").fill(username)
    page.locator("main input[name=password]").fill(password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_every_demo_account_signs_in_and_reaches_its_work(browser, live_server, demo):
    from fangkong.demo.accounts import DEMO_ACCOUNTS

    for account in DEMO_ACCOUNTS:
        page = sign_in(browser, live_server, account.username, demo)
        landing = page.request.get(page.url)
        assert landing.status == 200, (account.username, page.url, landing.status)
        expect(page.locator("main")).to_be_visible()
        page.context.close()


def test_the_commander_sees_the_dashboard_figures(browser, live_server, demo):
    page = sign_in(browser, live_server, "commander", demo)
    expect(page).to_have_url(re.compile("/command/"))
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()
    page.context.close()


def test_the_sampler_scans_a_person_into_a_tube_of_the_demo_round(browser, live_server, demo):
    from fangkong.accounts.models import User
    from fangkong.people.models import Resident
    from fangkong.people.sampling_codes import sampling_code_for
    from fangkong.testing.models import Sample
    from fangkong.testing.views_sampler import sampler_stations

    station = sampler_stations(User.objects.get(username="sampler")).get()
    tube = station.round.tubes.order_by("barcode").first()
    person = Resident.objects.filter(area_code__startswith=station.round.area_code).first()
    page = sign_in(browser, live_server, "sampler", demo)
    page.goto(f"{live_server.url}/testing/sampler/")
    page.get_by_test_id(f"station-{station.pk}").click()
    expect(page.get_by_test_id("tube-input")).to_be_focused()
    page.keyboard.type(tube.barcode)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("person-input")).to_be_focused()
    page.keyboard.type(sampling_code_for(person.pk))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("confirmed-count")).to_have_text("1", timeout=60_000)
    assert Sample.objects.filter(tube=tube, resident=person).count() == 1
    page.context.close()


def test_community_staff_put_the_sampler_on_a_station(browser, live_server, demo):
    from fangkong.testing.models import TestingRound

    round_ = TestingRound.objects.get()
    page = sign_in(browser, live_server, "wawuli", demo)
    page.goto(f"{live_server.url}/testing/rounds/{round_.pk}/")
    page.get_by_test_id("round-stations").click()
    expect(page.get_by_test_id("station-sampler")).to_contain_text("sampler")
    page.get_by_test_id("station-sampler").get_by_role("button", name="撤下").click()
    expect(page.get_by_test_id("station-sampler")).to_have_count(0)
    page.get_by_test_id("assign-form").get_by_role("button", name="安排到本采样台").click()
    expect(page.get_by_test_id("station-sampler")).to_contain_text("sampler")
    page.context.close()


def test_the_lab_account_opens_its_lab(browser, live_server, demo):
    page = sign_in(browser, live_server, "lab", demo)
    response = page.goto(f"{live_server.url}/testing/lab/")
    assert response.status == 200
    expect(page.locator("main")).to_contain_text("高新区核酸检测实验室")
    page.context.close()
