"""The commander replays 13 June as a drill: the incident and its bulletin carry 演练 and the
drill's own number, the roll call of 03:20 is on the page, and the drill is wiped from it."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    from fangkong.demo.accounts import DEMO_PASSWORD, ensure_demo_accounts
    from fangkong.demo.seed import seed_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(residents=2_000, seed=613, progress=False)
    ensure_demo_accounts()
    return DEMO_PASSWORD


def test_the_commander_runs_the_replay_as_a_drill_and_wipes_it(page, live_server, demo):
    from fangkong.command.models import Incident
    from fangkong.testing.models import TestingRound
    from fangkong.zones.models import Notice

    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("commander")
    page.get_by_label("密码").fill(demo)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)
    rounds_before = TestingRound.objects.count()

    page.goto(f"{live_server.url}{reverse('command:dashboard')}")
    page.get_by_test_id("replay-june13").click(timeout=60_000)  # the replay runs first
    expect(page).to_have_url(re.compile(r"/command/incidents/\d+/$"), timeout=60_000)
    incident = Incident.objects.get()
    assert incident.drill
    expect(page.get_by_test_id("drill-mark")).to_have_text("演练")
    roll_call = page.get_by_test_id("roll-call")
    expect(roll_call).to_contain_text("03:20 瓦屋李社区全体工作人员")
    expect(roll_call).to_contain_text("梧桐街办事处班子成员")
    expect(page.get_by_test_id("commander")).not_to_have_text("—")

    bulletin = incident.bulletins.get()
    page.get_by_role("link", name=bulletin.title_zh).click()
    document = page.get_by_test_id("bulletin-document")
    expect(document.get_by_test_id("drill-mark")).to_have_text("演练")
    expect(document.get_by_test_id("bulletin-number")).to_have_text("高新防控演练通报〔2022〕1号")
    expect(document).to_contain_text("一、基本情况")
    expect(document).to_contain_text("高新区疾控中心接到")
    assert Notice.objects.filter(drill=True).count() == 2

    page.go_back()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("wipe-drill").click()
    expect(page).to_have_url(re.compile(r"/command/incidents/$"))
    expect(page.locator("body")).to_contain_text("已清除演练")
    assert not Incident.objects.exists()
    assert not Notice.objects.exists()
    assert TestingRound.objects.count() == rounds_before
