"""The commander replays 13 June 2022 from the command centre and reads the night back: the
timeline at the newspaper's times, the summary and the bulletin, whose figures are the
database's."""

import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
SCREENSHOT = RESULTS / "june13-replay.png"


@pytest.fixture
def demo(settings):
    from fangkong.demo.accounts import DEMO_PASSWORD, ensure_demo_accounts
    from fangkong.demo.seed import seed_demo

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo(residents=2_000, seed=613, progress=False)
    ensure_demo_accounts()
    return DEMO_PASSWORD


def _phrase(rounds) -> str:
    from fangkong.scenarios.kit import rounds_statistics
    from fangkong.testing.selectors import bulletin_phrase

    return bulletin_phrase(rounds_statistics(rounds))


def test_the_commander_replays_13_june_and_reads_the_night_back(page, live_server, demo):
    from fangkong.command.models import Incident, IncidentStatus
    from fangkong.testing.models import RoundKind, Sample, TestingRound, Tube

    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("commander")
    page.get_by_label("密码").fill(demo)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)

    try:
        dashboard = reverse("command:dashboard")
    except NoReverseMatch:
        dashboard = None
    if dashboard:
        page.goto(f"{live_server.url}{dashboard}")
        page.get_by_test_id("replay-june13").click(timeout=60_000)  # the replay runs first
    else:  # no dashboard yet: post the form the button would
        url = reverse("scenario_run", args=["june13"])
        page.evaluate(
            """url => {
                const form = document.createElement("form");
                form.method = "post"; form.action = url;
                const token = document.querySelector("[name=csrfmiddlewaretoken]");
                form.appendChild(token.cloneNode());
                document.body.appendChild(form); form.submit();
            }""",
            url,
        )

    expect(page).to_have_url(re.compile(r"/command/incidents/\d+/$"), timeout=30_000)
    incident = Incident.objects.get()
    assert page.url == f"{live_server.url}{reverse('command:incident', args=[incident.pk])}"
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("06-13 03:04")
    expect(timeline).to_contain_text("三级网格迅速行动")
    expect(timeline).to_contain_text("06-13 16:54")
    expect(timeline).to_contain_text("居家隔离7天")
    with translation.override("zh-hans"):
        closed = str(IncidentStatus.CLOSED.label)
    expect(page.get_by_test_id("incident-status")).to_have_text(closed)

    # The district-wide figures, counted here from the rows the replay wrote.
    targeted = list(TestingRound.objects.filter(kind=RoundKind.TARGETED).order_by("pk"))
    assert len(targeted) == 5
    total = _phrase(targeted)
    people = Sample.objects.filter(round__in=targeted).count()
    tubes = Tube.objects.filter(round__in=targeted, kind="people", sample_count__gt=0).count()
    assert total.startswith(f"采集20:1标本{tubes}管{people}人，外环境样本")
    expect(timeline).to_contain_text(total)
    expect(page.get_by_test_id("summary")).to_contain_text("瓦屋李新居全面恢复正常生活秩序")

    bulletin = incident.bulletins.get()
    page.get_by_role("link", name=bulletin.title_zh).click()
    document = page.get_by_test_id("bulletin-document")
    expect(document).to_contain_text(bulletin.title_zh)
    expect(document).to_contain_text(f"全区{total}")
    expect(document).to_contain_text("本轮样本检测结果全部显示阴性")
    expect(document).to_contain_text("16时54分")
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / "june13-bulletin.png"), full_page=True)

    # The designation notice and the standstill compound's coverage, as the day left them.
    from fangkong.zones.models import Notice, ZoneRound

    zone_id = incident.drill_records["zones"][0]
    notice = Notice.objects.filter(zones__pk=zone_id).order_by("pk").first()
    page.goto(f"{live_server.url}{reverse('zones:notice', args=[notice.pk])}")
    expect(page.locator("body")).to_contain_text("临时静态管理")
    page.screenshot(path=str(RESULTS / "june13-notice.png"), full_page=True)
    zone_round = ZoneRound.objects.filter(zone_id=zone_id).first()
    page.goto(f"{live_server.url}{reverse('testing:round', args=[zone_round.round_id])}")
    expect(page.locator("body")).to_contain_text("瓦屋李新居")
    page.screenshot(path=str(RESULTS / "june13-coverage.png"), full_page=True)

    page.goto(f"{live_server.url}{reverse('command:incident', args=[incident.pk])}")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
