"""The case desk pages: the list (scoped, filtered, paged), a case's steps, intake, rates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devtools.fixtures import G111, G211
from fangkong.accounts.models import Role
from fangkong.governance.models import GovCase, Stage
from fangkong.governance.views import PAGE_SIZE

from .conftest import at


@pytest.fixture
def cases(report, commander):
    here = report(title="本网格工地欠薪")
    there = report(title="大里村欠薪", area_code=G211, user=commander)
    return here, there


def test_the_list_shows_only_cases_in_the_users_area(client, cases, grid_worker):
    client.force_login(grid_worker)
    page = client.get(reverse("governance:list")).content.decode()
    assert "本网格工地欠薪" in page and "大里村欠薪" not in page


def test_the_list_filters_by_stage_and_title(client, cases, commander):
    client.force_login(commander)
    page = client.get(reverse("governance:list"), {"q": "大里"}).content.decode()
    assert "大里村欠薪" in page and "本网格工地欠薪" not in page
    page = client.get(reverse("governance:list"), {"stage": Stage.CLOSED}).content.decode()
    assert "大里村欠薪" not in page


def test_the_list_pages_in_fixed_queries(client, report, commander, django_assert_max_num_queries):
    for i in range(PAGE_SIZE + 3):
        report(title=f"事项{i:03d}", user=commander)
    client.force_login(commander)
    with django_assert_max_num_queries(8):
        first = client.get(reverse("governance:list")).content.decode()
    assert "事项052" in first and "事项000" not in first  # newest first
    second = client.get(reverse("governance:list"), {"page": 2}).content.decode()
    assert "事项000" in second


def test_a_case_is_taken_through_its_stages_from_its_page(client, cases, commander, units):
    case = cases[0]
    client.force_login(commander)
    url = reverse("governance:case", args=[case.pk])
    assert 'data-testid="step-accept"' in client.get(url).content.decode()
    for step, data in [
        ("accept", {}),
        ("file", {}),
        ("dispatch", {"unit": units["district"].pk}),
        ("start_handling", {}),
        ("feed_back", {"resolved": "1", "note": "已支付"}),
        ("check", {"passed": "1"}),
        ("close", {"closure_type": "normal"}),
        ("callback", {"satisfaction": "satisfied"}),
    ]:
        response = client.post(reverse("governance:step", args=[case.pk, step]), data)
        assert response.status_code == 302, step
    case.refresh_from_db()
    assert (case.stage, case.resolved, case.satisfaction) == (Stage.CLOSED, True, "satisfied")
    assert case.handler_unit == units["district"]


def test_a_refused_step_is_a_message_not_a_change(client, cases, commander):
    case = cases[0]
    client.force_login(commander)
    response = client.post(reverse("governance:step", args=[case.pk, "void"]), {"reason": ""})
    assert response.status_code == 302
    follow = client.get(response.url).content.decode()
    assert "原因" in follow or "reason" in follow.lower()
    assert GovCase.objects.get(pk=case.pk).stage == Stage.REPORTED


def test_a_grid_worker_sees_no_steps_and_may_not_post_them(client, cases, grid_worker):
    case = cases[0]
    client.force_login(grid_worker)
    assert (
        'data-testid="case-steps"'
        not in client.get(reverse("governance:case", args=[case.pk])).content.decode()
    )
    response = client.post(reverse("governance:step", args=[case.pk, "accept"]))
    assert response.status_code == 403


def test_a_case_outside_the_area_is_not_found(client, cases, grid_worker):
    client.force_login(grid_worker)
    assert client.get(reverse("governance:case", args=[cases[1].pk])).status_code == 404


def test_the_phone_intake_reports_a_matter_in_the_workers_grid(client, units, grid_worker):
    client.force_login(grid_worker)
    page = client.get(reverse("governance:intake")).content.decode()
    assert f'value="{G111}"' in page
    response = client.post(
        reverse("governance:intake"),
        {"kind": "rubbish", "title": "河岸垃圾", "area_code": G111, "latitude": "34.8"},
    )
    assert response.status_code == 302
    case = GovCase.objects.get(title="河岸垃圾")
    assert (case.source, case.owner_unit, case.reported_by) == (
        "grid_patrol",
        units["community"],
        grid_worker,
    )


def test_the_intake_shows_a_broken_rule_on_the_form(client, district, grid_worker):
    client.force_login(grid_worker)  # no unit receives matters yet
    response = client.post(
        reverse("governance:intake"), {"kind": "rubbish", "title": "垃圾", "area_code": G111}
    )
    assert response.status_code == 200
    assert not GovCase.objects.exists()


def test_rates_per_unit_and_grid(client, report, commander, units):
    case = report(now=at("2026-09-28 09:00"))
    report(now=at("2026-09-28 09:00"), handled_on_spot=True, kind="grid_matter", title="x")
    client.force_login(commander)
    page = client.get(reverse("governance:rates")).content.decode()
    assert "瓦屋李社区" in page and "第一网格" in page
    assert case.pk


def test_the_navigation_links_the_desk_for_roles_that_see_cases(client, make_user, district):
    client.force_login(make_user(Role.SAMPLER, district))
    assert reverse("governance:list") not in client.get(reverse("home")).content.decode()
    client.force_login(make_user(Role.GRID_WORKER, G111))
    assert reverse("governance:list") in client.get(reverse("home"), follow=True).content.decode()


def test_the_grid_board_shows_open_matters_overdue_first(client, report, grid_worker):
    report(kind="grid_matter", title="井盖缺失", now=at("2020-01-01 09:00"))  # long overdue
    report(kind="grid_matter", title="新上报", handled_on_spot=False)
    report(kind="grid_matter", title="已现场处置", handled_on_spot=True)
    client.force_login(grid_worker)
    page = client.get(reverse("governance:grid")).content.decode()
    assert page.index("井盖缺失") < page.index("新上报")
    assert "已现场处置" not in page
    assert "已超时" in page


def test_the_case_page_names_the_running_clock_in_chinese(client, cases, commander):
    client.force_login(commander)
    page = client.get(reverse("governance:case", args=[cases[0].pk])).content.decode()
    assert "5个工作日" in page  # the wage-arrears acceptance clock
