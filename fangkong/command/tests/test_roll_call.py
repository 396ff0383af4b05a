"""Roll call (到岗): opening an incident calls the staff on the duty rota of its area and the
units above it; each confirms from their phone or the incident page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.command.models import Notification, RollCall, RollCallLevel, TimelineEntry
from fangkong.command.services import incidents as svc
from fangkong.command.services.rollcall import call_duty_roll, confirm_roll_call
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.models import AuditAction, AuditEntry
from fangkong.services.services.volunteers import put_on_duty

from .conftest import C11, G111, S1, S2


@pytest.fixture
def rota(staff):
    """Tonight's rota: the community and its sub-district on duty, the other sub-district
    too (not ours), and a grid worker whose duty ended an hour ago."""
    now = timezone.now()
    boss = staff["commander"]

    def duty(who, area, start, end, post="值班"):
        put_on_duty(
            user=boss, area_code=area, staff=staff[who], starts_at=start, ends_at=end, post=post
        )

    duty("wawuli", C11, now - dt.timedelta(hours=4), now + dt.timedelta(hours=4))
    duty("wutong", S1, now - dt.timedelta(hours=1), now + dt.timedelta(hours=8), "带班领导")
    duty("fengyang", S2, now - dt.timedelta(hours=1), now + dt.timedelta(hours=8))
    duty("grid1", G111, now - dt.timedelta(hours=9), now - dt.timedelta(hours=1))
    return now


def _open(staff, at):
    return svc.open_incident(
        user=staff["commander"], title="瓦屋李社区阳性混管", area_code=C11, opened_at=at
    )


def test_opening_an_incident_calls_the_staff_on_duty_of_its_area_and_above(staff, rota):
    incident = _open(staff, rota)
    calls = {c.user: c for c in RollCall.objects.filter(incident=incident)}
    assert set(calls) == {staff["wawuli"], staff["wutong"]}
    assert calls[staff["wawuli"]].level == RollCallLevel.COMMUNITY
    assert calls[staff["wutong"]].level == RollCallLevel.SUBDISTRICT
    assert calls[staff["wutong"]].unit.endswith("带班领导")
    assert all(c.called_at == rota and c.at is None for c in calls.values())
    told = Notification.objects.filter(incident=incident, template_key="roll_call")
    assert {n.user for n in told} == {staff["wawuli"], staff["wutong"]}
    assert {n.link for n in told} == {reverse("command:roll_calls")}
    assert TimelineEntry.objects.filter(incident=incident, kind="roll_called").count() == 1


def test_calling_the_roll_again_calls_nobody_twice(staff, rota):
    incident = _open(staff, rota)
    assert call_duty_roll(incident=incident) == []
    assert RollCall.objects.filter(incident=incident).count() == 2
    assert TimelineEntry.objects.filter(incident=incident, kind="roll_called").count() == 1


def test_nobody_on_duty_means_no_roll_call(staff):
    incident = _open(staff, timezone.now())
    assert not RollCall.objects.filter(incident=incident).exists()
    assert not TimelineEntry.objects.filter(incident=incident, kind="roll_called").exists()


def test_a_positive_pool_incident_calls_the_roll(staff, rota, positive_pool):
    called = set(RollCall.objects.filter(incident=positive_pool).values_list("user", flat=True))
    assert called == {staff["wawuli"].pk, staff["wutong"].pk}


def test_only_the_person_called_confirms_and_the_first_time_stays(staff, rota):
    incident = _open(staff, rota)
    call = RollCall.objects.get(incident=incident, user=staff["wawuli"])
    with pytest.raises(PermissionDeniedError):
        confirm_roll_call(call=call, user=staff["wutong"])
    assert AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_DENIED, object_type="roll_call", object_id=str(call.pk)
    ).exists()
    first = rota + dt.timedelta(minutes=12)
    confirm_roll_call(call=call, user=staff["wawuli"], at=first)
    again = confirm_roll_call(call=call, user=staff["wawuli"], at=first + dt.timedelta(hours=1))
    assert again.at == first
    assert TimelineEntry.objects.filter(incident=incident, kind="roll_confirmed").count() == 1


def test_a_confirmation_before_the_call_or_in_a_closed_incident_is_refused(staff, rota):
    incident = _open(staff, rota)
    call = RollCall.objects.get(incident=incident, user=staff["wawuli"])
    with pytest.raises(RuleViolation) as err:
        confirm_roll_call(call=call, user=staff["wawuli"], at=rota - dt.timedelta(minutes=1))
    assert (err.value.field, err.value.code) == ("at", "before_call")
    svc.close_incident(incident=incident, user=staff["commander"], summary="处置完毕")
    call.refresh_from_db()
    with pytest.raises(RuleViolation) as err:
        confirm_roll_call(call=call, user=staff["wawuli"])
    assert (err.value.field, err.value.code) == ("incident", "closed")
    assert RollCall.objects.get(pk=call.pk).at is None


def test_the_phone_page_confirms_and_the_incident_page_shows_who_and_when(client, staff, rota):
    incident = _open(staff, rota)
    client.force_login(staff["wawuli"])
    page = client.get(reverse("command:roll_calls"))
    assert page.status_code == 200
    assert "瓦屋李社区阳性混管" in page.content.decode()
    assert "我已到岗" in page.content.decode()
    call = RollCall.objects.get(incident=incident, user=staff["wawuli"])
    answer = client.post(reverse("command:roll_call_confirm", args=[call.pk]))
    assert answer.status_code == 302
    assert RollCall.objects.get(pk=call.pk).at is not None
    client.force_login(staff["commander"])
    html = client.get(reverse("command:incident", args=[incident.pk])).content.decode()
    assert staff["wawuli"].username in html and staff["wutong"].username in html
    assert html.count('data-testid="duty-call"') == 2


def test_nobody_confirms_someone_elses_call_through_the_page(client, staff, rota):
    incident = _open(staff, rota)
    call = RollCall.objects.get(incident=incident, user=staff["wawuli"])
    client.force_login(staff["wutong"])
    answer = client.post(reverse("command:roll_call_confirm", args=[call.pk]))
    assert answer.status_code == 404
    assert RollCall.objects.get(pk=call.pk).at is None


def test_a_called_person_confirms_from_the_incident_page(client, staff, rota):
    incident = _open(staff, rota)
    call = RollCall.objects.get(incident=incident, user=staff["wutong"])
    client.force_login(staff["wutong"])
    html = client.get(reverse("command:incident", args=[incident.pk])).content.decode()
    assert 'data-testid="confirm-roll-call"' in html
    answer = client.post(reverse("command:roll_call_confirm", args=[call.pk]), {"back": "incident"})
    assert answer["Location"] == reverse("command:incident", args=[incident.pk])
    assert RollCall.objects.get(pk=call.pk).at is not None
