"""Every demo account signs in through the login form and does one core action of its job
through the pages, as after `make demo`: the result is checked on the page and in the database.

The demo district (600 residents) is seeded once: a browser test runs in a transactional
database that is emptied after each test, so one test walks through all the accounts in
turn, each with a context of its own. What an account acts on and the seed does not hold
(a sealed box in transit, a zone with a checkpoint and a pass, a case, a volunteer's
sign-up, a unit to receive matters, a device key) is made just before, through the product's
services.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from fangkong.demo.accounts import WAWULI

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GRID1 = f"{WAWULI}-001"  # 瓦屋李社区第一网格, grid1's grid


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
    # The landing page of the account's role opens.
    landing = page.request.get(page.url)
    assert landing.status == 200, (username, page.url, landing.status)
    expect(page.locator("main")).to_be_visible()
    return page


def user(username):
    from fangkong.accounts.models import User

    return User.objects.get(username=username)


# One core action per account: (page, base url) → None, asserting page and database.


def commander_reads_the_dashboard(page, url):
    expect(page).to_have_url(re.compile("/command/"))
    expect(page.get_by_test_id("dashboard-title")).to_be_visible()


def wutong_registers_tubes_for_the_round(page, url):
    from fangkong.testing.models import TestingRound

    round_ = TestingRound.objects.get()
    before = round_.tubes.count()
    page.goto(f"{url}/testing/rounds/{round_.pk}/")
    expect(page.get_by_test_id("round-name")).to_be_visible()
    page.get_by_test_id("tubes-count").fill("10")
    with page.expect_navigation():
        page.get_by_test_id("tubes-form").get_by_role("button").click()
    assert round_.tubes.count() == before + 10


def wawuli_puts_the_sampler_on_a_station(page, url):
    from fangkong.testing.models import TestingRound

    round_ = TestingRound.objects.get()
    page.goto(f"{url}/testing/rounds/{round_.pk}/")
    page.get_by_test_id("round-stations").click()
    expect(page.get_by_test_id("station-sampler")).to_contain_text("sampler")
    page.get_by_test_id("station-sampler").get_by_role("button", name="撤下").click()
    expect(page.get_by_test_id("station-sampler")).to_have_count(0)
    page.get_by_test_id("assign-form").get_by_role("button", name="安排到本采样台").click()
    expect(page.get_by_test_id("station-sampler")).to_contain_text("sampler")
    from fangkong.testing.views_sampler import sampler_stations

    assert sampler_stations(user("sampler")).filter(round=round_).exists()


def receiving_unit():
    """The demo accounts come with the units that receive matters: 瓦屋李社区 is one."""
    from fangkong.governance.models import Unit

    assert Unit.objects.filter(area_code=WAWULI).exists()


def grid1_reports_a_matter(page, url):
    from fangkong.governance.models import GovCase

    receiving_unit()
    page.goto(f"{url}/governance/report/")
    page.locator("select[name=kind]").select_option(index=1)
    page.locator("input[name=title]").fill("瓦屋李新居3号楼门前垃圾堆放")
    page.get_by_role("button", name="上报", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已上报")
    case = GovCase.objects.get(title="瓦屋李新居3号楼门前垃圾堆放")
    assert case.area_code.startswith(GRID1)
    # Out of the job: the audit log is refused, and the refusal is audited (the auditor's).
    assert page.request.get(f"{url}/accounts/audit/").status == 403


def sampler_scans_a_person_into_a_tube(page, url):
    from fangkong.people.models import Resident
    from fangkong.people.sampling_codes import sampling_code_for
    from fangkong.testing.models import Sample
    from fangkong.testing.views_sampler import sampler_stations

    station = sampler_stations(user("sampler")).get()
    tube = station.round.tubes.order_by("barcode").first()
    person = Resident.objects.filter(area_code__startswith=station.round.area_code).first()
    page.goto(f"{url}/testing/sampler/")
    page.get_by_test_id(f"station-{station.pk}").click()
    expect(page.get_by_test_id("tube-input")).to_be_focused()
    page.keyboard.type(tube.barcode)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("person-input")).to_be_focused()
    page.keyboard.type(sampling_code_for(person.pk))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("confirmed-count")).to_have_text("1", timeout=60_000)
    assert Sample.objects.filter(tube=tube, resident=person).count() == 1


def box_in_transit(code, first=10):
    """A tube of the demo round filled with two people (from the `first`-th resident on),
    sealed, packed and handed to a courier by the sampler."""
    from django.utils import timezone

    from fangkong.lab.services.boxes import hand_box_to_courier, pack_box
    from fangkong.people.models import Resident
    from fangkong.people.sampling_codes import sampling_code_for
    from fangkong.testing.services.registration import SampleItem, register_samples
    from fangkong.testing.services.transport import seal_tube
    from fangkong.testing.views_sampler import sampler_stations

    sampler = user("sampler")
    station = sampler_stations(sampler).get()
    tube = station.round.tubes.filter(sample_count=0).order_by("-barcode").first()
    people = Resident.objects.filter(area_code__startswith=station.round.area_code).order_by("pk")[
        first : first + 2
    ]
    now = timezone.now()
    items = [
        SampleItem(
            idempotency_key=f"e2e-box-{p.pk}",
            tube_barcode=tube.barcode,
            taken_at=now - dt.timedelta(minutes=2),
            sampling_code=sampling_code_for(p.pk),
        )
        for p in people
    ]
    register_samples(station=station, items=items, actor=sampler)
    seal_tube(barcode=tube.barcode, actor=sampler)
    box = pack_box(
        code=code, round=station.round, barcodes=[tube.barcode], actor=sampler, by="采样员"
    )
    return hand_box_to_courier(box=box, courier="转运员乙", actor=sampler), tube


def lab_receives_a_box(page, url):
    from fangkong.lab.models import TransportBox
    from fangkong.testing.models import TubeState

    box, tube = box_in_transit("BOX-E2E-001")
    page.goto(f"{url}/testing/lab/")
    expect(page.locator("main")).to_contain_text("高新区核酸检测实验室")
    form = page.get_by_test_id("receive-form")
    form.locator("input[name=code]").fill(box.code)
    form.locator("input[name=by]").fill("检验员丙")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("received")).to_be_visible()
    box.refresh_from_db()
    tube.refresh_from_db()
    assert (box.state, box.received_by, box.lab.name) == (
        "received",
        "检验员丙",
        "高新区核酸检测实验室",
    )
    assert tube.state == TubeState.RECEIVED
    assert TransportBox.objects.filter(code=box.code).count() == 1


def guard_checks_a_pass(page, url):
    from django.utils import timezone

    from fangkong.demo.accounts import CHUNTENG
    from fangkong.geo.models import Compound
    from fangkong.zones.models import Passage
    from fangkong.zones.services.checkpoints import set_up_checkpoint
    from fangkong.zones.services.designation import designate_zone
    from fangkong.zones.services.passes import issue_pass, pass_code

    commander = user("commander")
    # The seed's residents all live in 瓦屋李: the pass is a named staff member's.
    compound = Compound.objects.filter(code__startswith=CHUNTENG).order_by("code").first()
    zone = designate_zone(user=commander, kind="sealed", members=[compound.code], reason="演练")
    checkpoint = set_up_checkpoint(
        zone=zone, user=commander, name="电厂路漳河路卡点", guards=[user("guard")]
    )
    now = timezone.now()
    pass_ = issue_pass(
        zone=zone,
        user=commander,
        subject="person",
        purpose="staff",
        holder_name="李医生",
        valid_from=now - dt.timedelta(hours=1),
        valid_until=now + dt.timedelta(days=1),
    )
    page.goto(f"{url}/zones/checkpoints/")
    page.get_by_role("link", name="电厂路漳河路卡点").click()
    scan = page.get_by_test_id("scan-input")
    scan.fill(pass_code(pass_))
    scan.press("Enter")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-decision", "allow")
    expect(verdict).to_contain_text("李*")
    passage = Passage.objects.get(checkpoint=checkpoint)
    assert (passage.decision, passage.pass_used_id) == ("allow", pass_.pk)


def volunteer_coordinator_approves_a_sign_up(page, url):
    from fangkong.services.models import Volunteer
    from fangkong.services.services.volunteers import sign_up_volunteer

    volunteer = sign_up_volunteer(name="赵志愿", phone="13800138000", grid_code=GRID1)
    page.goto(f"{url}/services/volunteers/")
    expect(page.get_by_test_id("applicants")).to_contain_text("赵志愿")
    page.get_by_test_id(f"approve-{volunteer.pk}").click()
    expect(page.get_by_test_id("applicants")).not_to_contain_text("赵志愿")
    volunteer = Volunteer.objects.get(pk=volunteer.pk)
    assert (volunteer.status, volunteer.reviewed_by != "") == ("approved", True)


def auditor_reads_the_audit_log(page, url):
    from fangkong.core.models import AuditEntry

    refusal = AuditEntry.objects.get(username="grid1", object_type="audit_log")
    page.goto(f"{url}/accounts/audit/")
    row = page.get_by_test_id("audit-table").locator("tbody tr", has_text="grid1")
    expect(row.first).to_contain_text(refusal.get_action_display())


def cdc_opens_a_case(page, url):
    from django.utils import timezone

    from fangkong.people.models import Resident
    from fangkong.tracing.services.cases import open_case_for_resident

    resident = Resident.objects.filter(area_code__startswith=GRID1).first()
    case = open_case_for_resident(
        user=user("commander"),
        resident=resident,
        kind="asymptomatic",
        sampling_date=timezone.localdate(),
        team="流调一组",
    )
    page.goto(f"{url}/tracing/cases/")
    row = page.get_by_test_id("case-list").locator("tbody tr", has_text="流调一组")
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/tracing/cases/{case.pk}/"))
    expect(page.locator("main")).to_contain_text("流调一组")
    cdc_reviews_a_borderline_result(page, url)


def cdc_reviews_a_borderline_result(page, url):
    """A pool's negative with Ct 37.6/38.1 (指标稍高) opens a review task for the demo CDC,
    who orders the pool's single-tube retest from the tube's page."""
    from fangkong.lab.models import Lab, ResultReview
    from fangkong.lab.services.boxes import receive_box
    from fangkong.lab.services.results import ResultIn, record_results
    from fangkong.work.models import Task, TaskState

    box, tube = box_in_transit("BOX-E2E-CDC", first=20)
    lab, technician = Lab.objects.get(name="高新区核酸检测实验室"), user("lab")
    receive_box(box=box, lab=lab, actor=technician, by="检验员丙")
    record_results(
        lab=lab, items=[ResultIn(tube.barcode, "negative", "37.6", "38.1")], actor=technician
    )
    task = Task.objects.get(kind="result_review", detail__tube=tube.barcode)
    assert task.assignee == user("cdc")
    page.goto(f"{url}/testing/lab/tubes/{tube.barcode}/")
    page.get_by_test_id("open-review").click()
    expect(page.get_by_test_id("review-targets")).to_contain_text("37.6")
    expect(page.get_by_test_id("review-member")).to_have_count(2)
    form = page.get_by_test_id("review-form")
    form.get_by_label("单管复采复检").check()
    form.locator("textarea[name=reason]").fill("Ct值接近阈值，按方案复采复检")
    form.get_by_test_id("review-submit").click()
    expect(page.get_by_test_id("review-decision-value")).to_have_text("单管复采复检")
    review = ResultReview.objects.get(result__tube=tube)
    assert (review.decision, review.retest_orders) == ("retest", 2)
    assert Task.objects.get(pk=task.pk).state == TaskState.DONE


def reporter_reports_a_matter(page, url):
    """The reporter's login may report a matter on the phone page; the role is above all that
    of Open311 clients' keys, so a device of the role posts a request with its key too."""
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token
    from fangkong.governance.models import GovCase, Source

    receiving_unit()
    page.goto(f"{url}/governance/report/")
    page.locator("select[name=kind]").select_option(index=1)
    page.locator("input[name=title]").fill("市民反映小区门口核酸点排队过长")
    page.locator("input[name=area_code]").fill(GRID1)
    page.get_by_role("button", name="上报", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已上报")
    case = GovCase.objects.get(title="市民反映小区门口核酸点排队过长")
    assert case.area_code == GRID1

    _token, key = create_device_token(
        name="12345热线终端", role=Role.REPORTER, scope_code=WAWULI, created_by=user("commander")
    )
    services = page.request.get(f"{url}/open311/v2/services.json")
    assert services.status == 200
    service_code = services.json()[0]["service_code"]
    answer = page.request.post(
        f"{url}/open311/v2/requests.json",
        form={
            "api_key": key,
            "service_code": service_code,
            "address_id": GRID1,
            "description": "瓦屋李新居北门路灯不亮",
        },
    )
    assert answer.status == 200, answer.text()
    request_id = int(answer.json()[0]["service_request_id"])
    stored = GovCase.objects.get(pk=request_id)
    assert (stored.source, stored.area_code) == (Source.OPEN311, GRID1)
    assert stored.title == "瓦屋李新居北门路灯不亮"


ACTIONS = {
    "commander": commander_reads_the_dashboard,
    "wutong": wutong_registers_tubes_for_the_round,
    "wawuli": wawuli_puts_the_sampler_on_a_station,
    "grid1": grid1_reports_a_matter,
    "sampler": sampler_scans_a_person_into_a_tube,
    "lab": lab_receives_a_box,
    "guard": guard_checks_a_pass,
    "volunteer": volunteer_coordinator_approves_a_sign_up,
    "auditor": auditor_reads_the_audit_log,
    "cdc": cdc_opens_a_case,
    "reporter": reporter_reports_a_matter,
}


def test_every_demo_account_signs_in_and_does_a_core_action_of_its_job(browser, live_server, demo):
    from fangkong.demo.accounts import DEMO_ACCOUNTS

    assert set(ACTIONS) == {a.username for a in DEMO_ACCOUNTS}
    for account in DEMO_ACCOUNTS:
        page = sign_in(browser, live_server, account.username, demo)
        try:
            ACTIONS[account.username](page, live_server.url)
        finally:
            page.context.close()
