"""Notifications: in-app for staff, SMS to residents through an HTTP gateway with retries and
a per-recipient hourly limit, texts in Chinese and English, personal data always masked; the
texts for intercoms and group chats (produced, never sent)."""

import datetime as dt
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fangkong.command.messages import TEMPLATES, render
from fangkong.command.models import Channel, Notification, NotificationStatus
from fangkong.command.services.notifications import (
    notify_retest_members,
    queue_resident_sms,
    retry_failed,
    send_pending_notifications,
)
from fangkong.command.services.outbox import run_outbox_pass
from fangkong.core.errors import PermissionDeniedError

from .conftest import C11

CLEAR_PHONES = {"13812345678", "13912345678", "13700001111", "13600002222", "13500003333"}


def _everything_stored() -> str:
    """Every column of every notification row, as text."""
    return "\n".join(str(row) for row in Notification.objects.values_list())


def test_retest_sms_reach_the_gateway_with_the_number_decrypted_only_at_send_time(
    staff, positive_pool, sms_gateway, caplog
):
    caplog.set_level(logging.DEBUG)
    result = notify_retest_members(incident=positive_pool, user=staff["commander"])
    assert (result.queued, result.no_phone) == (3, 0)
    stored = _everything_stored()
    assert not any(phone in stored for phone in CLEAR_PHONES)
    assert "138****5678" in stored
    report = run_outbox_pass()
    assert report.sent == 3
    sent = {r["json"]["to"] for r in sms_gateway.requests}
    assert sent == {"13812345678", "13912345678", "13700001111"}
    assert {r["auth"] for r in sms_gateway.requests} == {"Bearer test-token"}
    texts = [r["json"]["text"] for r in sms_gateway.requests]
    assert any(t.startswith("【高新区疫情防控】张*您好") for t in texts)
    assert all("张伟" not in t and "王芳" not in t for t in texts)
    assert not any(phone in _everything_stored() for phone in CLEAR_PHONES)
    assert not any(phone in caplog.text for phone in CLEAR_PHONES)
    rows = Notification.objects.filter(channel=Channel.SMS)
    assert set(rows.values_list("status", flat=True)) == {NotificationStatus.SENT}
    assert all(r.provider_ref.startswith("gw-") for r in rows)
    # Pressing the button again sends nothing twice.
    again = notify_retest_members(incident=positive_pool, user=staff["commander"])
    assert (again.queued, again.already) == (0, 3)


def test_only_commanders_send_sms(staff, positive_pool):
    with pytest.raises(PermissionDeniedError):
        notify_retest_members(incident=positive_pool, user=staff["wawuli"])


def test_a_busy_gateway_is_retried_with_backoff_and_a_refusal_fails_for_good(
    people, sms_gateway, settings
):
    settings.FANGKONG_NOTIFY_RETRY_SECONDS = 60
    settings.FANGKONG_NOTIFY_MAX_ATTEMPTS = 3
    sms_gateway.script = [503, 429]
    queue_resident_sms(
        residents=[people["张伟"]],
        template_key="retest_stay_home",
        context_for=lambda r: {"district": "高新区", "date": "6月13日"},
        key_for=lambda r: "t-1",
    )
    now = timezone.now()
    assert send_pending_notifications(now=now).retried == 1
    n = Notification.objects.get()
    assert n.status == NotificationStatus.QUEUED and n.attempts == 1 and "503" in n.last_error
    assert n.next_attempt_at == now + dt.timedelta(seconds=60)
    assert send_pending_notifications(now=now).as_dict() == {
        "sent": 0,
        "retried": 0,
        "failed": 0,
        "deferred": 0,
    }  # not due yet
    later = now + dt.timedelta(minutes=1)
    assert send_pending_notifications(now=later).retried == 1
    n.refresh_from_db()
    assert n.next_attempt_at == later + dt.timedelta(seconds=120)  # doubled
    assert send_pending_notifications(now=later + dt.timedelta(minutes=5)).sent == 1
    n.refresh_from_db()
    assert (n.status, n.attempts, n.last_error) == (NotificationStatus.SENT, 3, "")
    assert [r["json"]["ref"] for r in sms_gateway.requests] == ["t-1"] * 3

    sms_gateway.script = [400]
    queue_resident_sms(
        residents=[people["王芳"]],
        template_key="retest_stay_home",
        context_for=lambda r: {},
        key_for=lambda r: "t-2",
    )
    assert send_pending_notifications().failed == 1
    failed = Notification.objects.get(idempotency_key="t-2")
    assert failed.status == NotificationStatus.FAILED and "400" in failed.last_error
    assert retry_failed(pks=[failed.pk]) == 1
    assert send_pending_notifications().sent == 1


def test_an_unreachable_gateway_keeps_the_message(people, settings):
    settings.FANGKONG_SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"  # discard port: refused
    settings.FANGKONG_SMS_GATEWAY_TIMEOUT = 2
    queue_resident_sms(
        residents=[people["刘洋"]],
        template_key="retest_stay_home",
        context_for=lambda r: {},
        key_for=lambda r: "t-3",
    )
    assert send_pending_notifications().retried == 1
    n = Notification.objects.get()
    assert n.status == NotificationStatus.QUEUED and n.last_error
    assert "13700001111" not in n.last_error


def test_at_most_n_sms_per_recipient_per_hour(people, sms_gateway, settings):
    settings.FANGKONG_SMS_PER_RECIPIENT_PER_HOUR = 2
    for n in range(3):
        queue_resident_sms(
            residents=[people["陈静"]],
            template_key="retest_stay_home",
            context_for=lambda r: {},
            key_for=lambda r, n=n: f"limit-{n}",
        )
    now = timezone.now()
    report = send_pending_notifications(now=now)
    assert (report.sent, report.deferred) == (2, 1)
    held = Notification.objects.get(status=NotificationStatus.QUEUED)
    first_sent = Notification.objects.filter(status="sent").order_by("sent_at").first().sent_at
    assert held.next_attempt_at == first_sent + dt.timedelta(hours=1) and held.attempts == 0
    assert send_pending_notifications(now=now + dt.timedelta(minutes=30)).sent == 0
    assert send_pending_notifications(now=now + dt.timedelta(hours=1, seconds=1)).sent == 1
    assert len(sms_gateway.requests) == 3


def test_without_a_gateway_development_logs_masked_and_production_refuses(people, settings, caplog):
    settings.FANGKONG_SMS_GATEWAY_URL = ""
    caplog.set_level(logging.INFO)
    queue_resident_sms(
        residents=[people["张伟"]],
        template_key="retest_stay_home",
        context_for=lambda r: {},
        key_for=lambda r: "dev-1",
    )
    assert send_pending_notifications().sent == 1
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    settings.PRODUCTION = True
    queue_resident_sms(
        residents=[people["王芳"]],
        template_key="retest_stay_home",
        context_for=lambda r: {},
        key_for=lambda r: "prod-1",
    )
    assert send_pending_notifications().failed == 1


def test_residents_without_a_phone_are_counted_not_queued(people):
    result = queue_resident_sms(
        residents=[people["李娜"]],
        template_key="retest_stay_home",
        context_for=lambda r: {},
        key_for=lambda r: "none",
    )
    assert (result.queued, result.no_phone) == (0, 1)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("key", sorted(TEMPLATES))
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_template_exists_in_both_languages(key, language):
    context = dict.fromkeys(
        (
            "area",
            "area_en",
            "pool",
            "pool_en",
            "barcode",
            "station",
            "result_zh",
            "result_en",
            "members",
            "orders",
            "households",
            "name",
            "kind_zh",
            "kind_en",
            "residents",
            "elderly",
            "medical",
            "incident",
            "role_zh",
            "role_en",
            "title_zh",
            "title_en",
            "district",
            "district_en",
            "date",
            "date_en",
        ),
        "X",
    )
    text = render(key, context, language)
    assert text and "{" not in text
    is_chinese = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert is_chinese == language.startswith("zh")


def test_the_bell_and_the_inbox(client, staff, positive_pool):
    commander = staff["commander"]
    client.force_login(commander)
    badge = client.get(reverse("command:notification_badge")).content.decode()
    assert 'data-testid="unread"' in badge
    page = client.get(reverse("command:notifications"))
    assert "疑似初筛阳性" in page.content.decode()
    client.post(reverse("command:notifications"))
    assert not Notification.objects.filter(user=commander, read_at__isnull=True).exists()
    assert (
        'data-testid="unread"'
        not in client.get(reverse("command:notification_badge")).content.decode()
    )
    # In English the same message reads in English.
    client.cookies["django_language"] = "en"
    page = client.get(reverse("command:notifications"), HTTP_ACCEPT_LANGUAGE="en")
    assert "presumptive positive" in page.content.decode()
    # Everyone has an inbox, even a grid worker.
    client.force_login(staff["grid1"])
    assert client.get(reverse("command:notifications")).status_code == 200


def test_the_retest_sms_button(client, staff, positive_pool, sms_gateway):
    client.force_login(staff["commander"])
    r = client.post(reverse("command:incident_notify_retests", args=[positive_pool.pk]))
    assert r.status_code == 302
    assert Notification.objects.filter(channel=Channel.SMS).count() == 3
    call_command("outbox")
    assert len(sms_gateway.requests) == 3


# ---------------------------------------------------------------------------------------------
# Intercom and group-chat texts


@pytest.fixture
def standstill(staff):
    from fangkong.zones.services.designation import designate_zone

    return designate_zone(
        kind="standstill", members=[f"{C11}-C01"], name="瓦屋李新居", user=staff["commander"]
    )


def test_zone_texts_come_from_the_zone_and_its_protocol(client, staff, standstill, mass_round):
    from fangkong.command.broadcasts import zone_texts

    texts = zone_texts(standstill)
    assert "对瓦屋李新居实施临时静态管理" in texts["intercom"] and "重复一遍" in texts["intercom"]
    assert texts["group_chat"].startswith("【疫情防控提醒】瓦屋李新居的居民朋友们：")
    english = zone_texts(standstill, lang="en")
    assert "temporary standstill" in english["intercom"].lower()
    client.force_login(staff["wawuli"])
    page = client.get(reverse("command:broadcasts"), {"zone": standstill.pk})
    assert page.status_code == 200 and "瓦屋李新居" in page.content.decode()


def test_after_a_lift_residents_hear_that_normal_life_resumes(staff, standstill):
    from fangkong.command.broadcasts import incident_texts, zone_texts
    from fangkong.command.models import Incident
    from fangkong.zones.models import RiskZone

    incident = Incident.objects.create(
        title="演练", area_code=C11, opened_at=standstill.designated_at
    )
    # Lifted (the lifting rules are the zones app's tests): only the texts matter here.
    RiskZone.objects.filter(pk=standstill.pk).update(status="lifted", ended_at=timezone.now())
    standstill.refresh_from_db()
    for texts in (zone_texts(standstill), incident_texts(incident)):
        for text in texts.values():
            assert "瓦屋李新居解除临时静态管理，恢复正常生活秩序" in text
            assert "解封" not in text and "居家，不要外出" not in text
    english = zone_texts(standstill, lang="en")
    assert "normal life resumes" in english["group_chat"]


def test_incident_texts_call_residents_to_the_sampling_site(client, staff, positive_pool, capsys):
    from fangkong.command.broadcasts import incident_texts

    texts = incident_texts(positive_pool)
    assert "瓦屋李采样小屋开展核酸检测" in texts["intercom"]
    assert not any(name in texts["group_chat"] for name in ("张伟", "王芳", "刘洋"))
    call_command("broadcast", incident=positive_pool.pk, channel="group_chat", lang="en")
    assert "Residents of Wawuli" in capsys.readouterr().out
    client.force_login(staff["commander"])
    page = client.get(reverse("command:broadcasts"), {"incident": positive_pool.pk, "lang": "en"})
    assert 'data-testid="intercom"' in page.content.decode()
    assert client.get(reverse("command:broadcasts")).status_code == 200


def test_the_broadcast_command_refuses_unknown_ids(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("broadcast", incident=999)
    with pytest.raises(CommandError):
        call_command("broadcast", zone=999)


def test_the_inbox_pages_with_the_shared_pager(client, staff, positive_pool, monkeypatch):
    monkeypatch.setattr("fangkong.core.http.PAGE_SIZE", 2)
    commander = staff["commander"]
    mine = Notification.objects.filter(user=commander, channel=Channel.IN_APP)
    for k in range(3):
        copy = mine.first()
        copy.pk, copy.idempotency_key = None, f"copy-{k}"
        copy.save()
    total = mine.count()
    client.force_login(commander)
    first = client.get(reverse("command:notifications")).content.decode()
    assert first.count('data-testid="notification"') == 2
    assert 'data-testid="pager-page"' in first and 'href="?page=2"' in first
    last = client.get(reverse("command:notifications"), {"page": (total + 1) // 2})
    assert last.content.decode().count('data-testid="notification"') == total - 2 * (
        (total + 1) // 2 - 1
    )
