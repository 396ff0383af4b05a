"""The wage-arrears pages: a complaint from the desk to 结案销案 at the joint meeting."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from devtools.fixtures import D
from fangkong.accounts.models import Role
from fangkong.governance.models import Company, GovCase, JointMeeting, Project, Stage


def test_a_complaint_goes_from_intake_to_closure_at_the_meeting(
    client,
    report,
    commander,
    units,
    site,
):
    case = report(title="安置房工地欠薪")
    client.force_login(commander)
    client.post(reverse("governance:step", args=[case.pk, "accept"]))
    page = client.get(reverse("governance:case", args=[case.pk])).content.decode()
    assert 'data-testid="wage-claim-form"' in page
    today = timezone.localdate().isoformat()
    for step, data in [
        (
            "claim",
            {
                "project": site["project"].pk,
                "employer": site["sub"].pk,
                "worker": "张师傅",
                "owed": "12000",
            },
        ),
        ("advance", {"payer": "emergency_fund", "amount": "12000", "paid_on": today}),
    ]:
        response = client.post(reverse("governance:wage_step", args=[case.pk, step]), data)
        assert response.status_code == 302, step
    overview = client.get(reverse("governance:wages")).content.decode()
    assert "瓦屋李安置房" in overview and "¥12000.00" in overview
    response = client.post(
        reverse("governance:meeting_new"),
        {
            "title": "联席会议",
            "held_on": today,
            "present": [units["district"].pk, units["subdistrict"].pk],
        },
    )
    meeting = JointMeeting.objects.get()
    assert response.url == reverse("governance:meeting", args=[meeting.pk])
    response = client.post(
        reverse("governance:meeting", args=[meeting.pk]),
        {"case": case.pk, "kind": "close", "text": "已全额垫付，结案销案"},
    )
    assert response.status_code == 302
    case = GovCase.objects.get(pk=case.pk)
    assert (case.stage, case.resolved) == (Stage.CLOSED, True)
    meeting_page = client.get(reverse("governance:meeting", args=[meeting.pk])).content.decode()
    assert "已全额垫付，结案销案" in meeting_page


def test_a_refused_wage_step_leaves_nothing_written(client, report, commander, site):
    case = report()
    client.force_login(commander)
    response = client.post(
        reverse("governance:wage_step", args=[case.pk, "claim"]),
        {"project": site["project"].pk, "employer": site["sub"].pk, "worker": "张", "owed": "1"},
    )
    assert response.status_code == 302
    assert not case.wage_claims.exists()  # not accepted yet


def test_wage_pages_are_not_for_roles_without_cases(client, make_user, district):
    client.force_login(make_user(Role.SAMPLER, district))
    assert client.get(reverse("governance:wages")).status_code == 403


def test_companies_and_a_project_are_registered_from_the_desk(client, commander, district):
    client.force_login(commander)
    url = reverse("governance:project_new")
    for name, code in [("高新置业", "91410100MA0000001X"), ("中建某局", "91410100MA0000002X")]:
        response = client.post(url, {"name": name, "credit_code": code, "area_code": D})
        assert response.status_code == 302
    bad = client.post(url, {"name": "x", "credit_code": "123", "area_code": D})
    assert bad.status_code == 200
    builder, general = Company.objects.order_by("credit_code")
    response = client.post(
        url,
        {
            "name": "瓦屋李安置房",
            "area_code": D,
            "builder": builder.pk,
            "general_contractor": general.pk,
            "contract_value": "80000000",
            "deposit": "1600000",
        },
    )
    assert response.status_code == 302
    assert Project.objects.get().general_contractor == general


def test_joint_meetings_page_by_page(client, commander, monkeypatch):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    for day in (1, 2, 3):
        JointMeeting.objects.create(
            title=f"联席会议{day}", area_code=D, held_on=timezone.localdate().replace(day=day)
        )
    client.force_login(commander)
    first = client.get(reverse("governance:wages")).content.decode()
    assert first.count('data-testid="meeting"') == 2 and 'href="?meetings=2"' in first
    second = client.get(reverse("governance:wages"), {"meetings": 2}).content.decode()
    assert second.count('data-testid="meeting"') == 1 and "联席会议1" in second
