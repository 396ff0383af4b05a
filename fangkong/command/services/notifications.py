"""Notifications: queue once per idempotency key, send with retries, limit SMS per recipient.

Queueing writes rows only (in the caller's transaction); `send_pending_notifications()` — run
by `fangkong outbox` and its task — delivers the due ones. A row is claimed by a conditional
update before its send, so two workers never send it twice; a worker that dies mid-send leaves
a lease that expires, and the row is tried again (the gateway gets the same `ref`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from fangkong.accounts.services import require_permission
from fangkong.core.masking import mask_name
from fangkong.testing.models import RetestOrder, RetestState

from ..bulletin_figures import district_of
from ..channels import DeliveryError, channels, setting
from ..messages import en_date, local, render, zh_month_day
from ..models import Channel, Incident, Notification, NotificationStatus
from ..scope import within_q

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)


def _int_setting(name: str, default: int) -> int:
    try:
        return int(setting(name, str(default)))
    except (TypeError, ValueError):
        return default


def sms_hourly_limit() -> int:
    """At most this many SMS to one phone in any hour (FANGKONG_SMS_PER_RECIPIENT_PER_HOUR)."""
    return _int_setting("FANGKONG_SMS_PER_RECIPIENT_PER_HOUR", 3)


def max_attempts() -> int:
    return _int_setting("FANGKONG_NOTIFY_MAX_ATTEMPTS", 5)


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff from FANGKONG_NOTIFY_RETRY_SECONDS, capped at an hour."""
    base = _int_setting("FANGKONG_NOTIFY_RETRY_SECONDS", 60)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def _site_language() -> str:
    return settings.LANGUAGE_CODE


# ---------------------------------------------------------------------------------------------
# Queueing


def notify_users(
    *,
    users: Iterable,
    template_key: str,
    context: dict,
    key: str,
    link: str = "",
    incident: Incident | None = None,
    area_code: str = "",
) -> int:
    """In-app messages to staff; `key` plus the user makes each one once. Returns new rows."""
    now = timezone.now()
    language = _site_language()
    text = render(template_key, context, language)
    rows = [
        Notification(
            channel=Channel.IN_APP,
            user=u,
            recipient_index=f"user:{u.pk}",
            recipient_masked=u.get_username(),
            template_key=template_key,
            language=language,
            context=context,
            text=text,
            link=link,
            incident=incident,
            area_code=area_code,
            status=NotificationStatus.SENT,  # the stored row is the delivery
            sent_at=now,
            idempotency_key=f"{key}:user:{u.pk}"[:200],
        )
        for u in {u.pk: u for u in users}.values()
    ]
    if not rows:
        return 0
    keys = [r.idempotency_key for r in rows]
    before = Notification.objects.filter(idempotency_key__in=keys).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.filter(idempotency_key__in=keys).count() - before


@dataclass
class QueueResult:
    queued: int = 0
    already: int = 0
    no_phone: int = 0


def queue_resident_sms(
    *,
    residents: Iterable,
    template_key: str,
    context_for: Callable[[object], dict],
    key_for: Callable[[object], str],
    incident: Incident | None = None,
    language: str | None = None,
) -> QueueResult:
    """SMS to residents: the row keeps the phone's blind index and mask, never the number."""

    now = timezone.now()
    language = language or _site_language()
    result = QueueResult()
    rows = []
    for r in residents:
        if not r.phone_cipher:
            result.no_phone += 1
            continue
        context = {"name": mask_name(r.name), **context_for(r)}
        rows.append(
            Notification(
                channel=Channel.SMS,
                resident=r,
                recipient_index=r.phone_index,
                recipient_masked=r.phone_masked,
                template_key=template_key,
                language=language,
                context=context,
                text=render(template_key, context, language),
                incident=incident,
                area_code=r.area_code,
                next_attempt_at=now,
                idempotency_key=key_for(r)[:200],
            )
        )
    keys = [r.idempotency_key for r in rows]
    existing = set(
        Notification.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    fresh = [r for r in rows if r.idempotency_key not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    result.queued, result.already = len(fresh), len(rows) - len(fresh)
    return result


def mark_read(*, user, pks: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, channel=Channel.IN_APP, read_at__isnull=True)
    if pks is not None:
        qs = qs.filter(pk__in=list(pks))
    return qs.update(read_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Sending


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _rate_limited_until(n: Notification, now: dt.datetime) -> dt.datetime | None:
    """When the recipient's hourly SMS allowance frees up, or None if it has room now."""
    limit = sms_hourly_limit()
    if n.channel != Channel.SMS or not n.recipient_index or limit <= 0:
        return None
    recent = list(
        Notification.objects.filter(
            channel=Channel.SMS,
            recipient_index=n.recipient_index,
            status=NotificationStatus.SENT,
            sent_at__gt=now - dt.timedelta(hours=1),
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return recent[-1] + dt.timedelta(hours=1)


def send_pending_notifications(*, now: dt.datetime | None = None, limit: int = 200) -> SendReport:
    """Send every queued notification that is due (and retry expired leases), oldest first."""
    now = now or timezone.now()
    report = SendReport()
    adapters = channels()
    due = list(
        Notification.objects.filter(
            status__in=[NotificationStatus.QUEUED, NotificationStatus.SENDING],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        n = Notification.objects.select_related("resident", "user").filter(pk=pk).first()
        if n is None or n.status not in (NotificationStatus.QUEUED, NotificationStatus.SENDING):
            continue
        until = _rate_limited_until(n, now)
        if until is not None:
            Notification.objects.filter(pk=pk, status=n.status).update(
                status=NotificationStatus.QUEUED, next_attempt_at=until
            )
            report.deferred += 1
            continue
        claimed = Notification.objects.filter(
            pk=pk, status=n.status, attempts=n.attempts, next_attempt_at=n.next_attempt_at
        ).update(
            status=NotificationStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + LEASE,
        )
        if not claimed:
            continue  # another worker took it
        attempts = n.attempts + 1
        adapter = adapters.get(n.channel)
        try:
            if adapter is None:
                raise DeliveryError(f"unknown channel {n.channel}", retry=False)
            ref = adapter.send(n)
        except DeliveryError as exc:
            _failed(n, attempts, str(exc), exc.retry, now, report)
        except Exception as exc:  # an adapter bug must not stop the queue
            # The type only: a message or traceback might carry the number being sent.
            log.error("notification %s: channel %s raised %s", n.pk, n.channel, type(exc).__name__)
            _failed(n, attempts, type(exc).__name__, True, now, report)
        else:
            Notification.objects.filter(pk=pk).update(
                status=NotificationStatus.SENT,
                sent_at=now,
                provider_ref=ref,
                last_error="",
                next_attempt_at=None,
            )
            report.sent += 1
    return report


def _failed(n: Notification, attempts: int, error: str, retry: bool, now, report: SendReport):
    log.warning("notification %s attempt %s failed: %s", n.pk, attempts, error)
    if retry and attempts < max_attempts():
        Notification.objects.filter(pk=n.pk).update(
            status=NotificationStatus.QUEUED,
            next_attempt_at=now + retry_delay(attempts),
            last_error=error[:300],
        )
        report.retried += 1
    else:
        Notification.objects.filter(pk=n.pk).update(
            status=NotificationStatus.FAILED, next_attempt_at=None, last_error=error[:300]
        )
        report.failed += 1


def retry_failed(*, pks: Iterable[int]) -> int:
    """Put failed notifications back in the queue (after fixing a gateway, say)."""
    return Notification.objects.filter(
        Q(pk__in=list(pks)), status=NotificationStatus.FAILED
    ).update(status=NotificationStatus.QUEUED, attempts=0, next_attempt_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# What staff send


def notify_retest_members(*, incident: Incident, user) -> QueueResult:
    """SMS to every resident with a retest order still to be re-sampled in the incident's area:
    stay at home, the team will come. Once per order, however often the button is pressed."""

    require_permission(
        actor=user,
        action="manage_incidents",
        area_code=incident.area_code,
        object_type="incident",
        object_id=incident.pk,
    )
    district = district_of(incident.area_code)
    orders = {
        o.resident_id: o
        for o in RetestOrder.objects.filter(
            within_q(incident.area_code), state=RetestState.PENDING
        ).select_related("resident", "source_tube")
    }

    def context_for(resident) -> dict:
        tube = orders[resident.pk].source_tube
        taken = local(tube.first_sample_at or orders[resident.pk].created_at).date()
        return {
            "district": district["zh"],
            "district_en": district["en"],
            "date": zh_month_day(taken),
            "date_en": en_date(taken),
        }

    return queue_resident_sms(
        residents=[o.resident for o in orders.values()],
        template_key="retest_stay_home",
        context_for=context_for,
        key_for=lambda r: f"retest-sms:{orders[r.pk].pk}",
        incident=incident,
    )
