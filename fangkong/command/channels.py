"""Notification channels: a small interface and its adapters.

- in-app: the stored row is the message; the user's inbox (the bell) reads it.
- SMS through an HTTP gateway (`FANGKONG_SMS_GATEWAY_URL`, `FANGKONG_SMS_GATEWAY_TOKEN`):
  `POST {"to", "text", "ref"}` as JSON with a bearer token; 2xx is sent, 429 and 5xx and
  network errors are retried, other 4xx fail for good. `ref` is the notification's
  idempotency key, so a gateway can drop a resend after a crash between send and record.
- console SMS for development when no gateway is configured (never in production): it logs
  the masked number and the template, nothing else.

The clear phone number exists only inside `SmsGateway.send`: it is decrypted from the
resident's row (or read from the user) there, put in the request, and forgotten.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings

from fangkong.core import crypto
from fangkong.people.services import PHONE_CONTEXT

from .messages import scrub
from .models import Channel, Notification

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A send failed; `retry` says whether trying again later can help."""

    def __init__(self, message: str, *, retry: bool):
        super().__init__(message)
        self.retry = retry


class ChannelAdapter(Protocol):
    name: str

    def send(self, notification: Notification) -> str:
        """Deliver the message; return the provider's reference (may be empty)."""


def setting(name: str, default: str = "") -> str:
    """A FANGKONG_* setting, else the environment variable of the same name."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return value


def recipient_phone(notification: Notification) -> str:
    """The clear number, decrypted at send time; never stored, logged or returned elsewhere."""

    resident = notification.resident
    if resident is not None:
        return (
            crypto.decrypt(resident.phone_cipher, context=PHONE_CONTEXT)
            if resident.phone_cipher
            else ""
        )
    return (getattr(notification.user, "phone", "") or "").strip()


class InAppChannel:
    name = Channel.IN_APP

    def send(self, notification: Notification) -> str:
        return ""  # the row is the message


class SmsGateway:
    name = Channel.SMS

    def __init__(self, url: str, token: str = "", timeout: float = 10.0):
        if not url.startswith(("http://", "https://")):
            raise ValueError("FANGKONG_SMS_GATEWAY_URL must be an http(s) URL")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, notification: Notification) -> str:
        phone = recipient_phone(notification)
        if not phone:
            raise DeliveryError("no phone number on record", retry=False)
        body = json.dumps(
            {"to": phone, "text": notification.text, "ref": notification.idempotency_key},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            # The scheme is checked in __init__: only http(s) reaches urlopen.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read(4096)
        except urllib.error.HTTPError as exc:
            retry = exc.code == 429 or exc.code >= 500
            raise DeliveryError(
                scrub(f"HTTP {exc.code} {exc.reason}", phone), retry=retry
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(
                scrub(f"{type(exc).__name__}: {reason}", phone), retry=True
            ) from None
        try:
            answer = json.loads(raw.decode() or "{}")
        except (ValueError, UnicodeDecodeError):
            answer = {}
        ref = answer.get("id") if isinstance(answer, dict) else None
        return scrub(str(ref or ""), phone)[:100]


class ConsoleSms:
    """Development stand-in: logs that an SMS would go out, with the number masked."""

    name = Channel.SMS

    def send(self, notification: Notification) -> str:
        log.info(
            "console SMS #%s to %s (%s)",
            notification.pk,
            notification.recipient_masked,
            notification.template_key,
        )
        return "console"


class UnconfiguredSms:
    name = Channel.SMS

    def send(self, notification: Notification) -> str:
        raise DeliveryError("no SMS gateway configured (FANGKONG_SMS_GATEWAY_URL)", retry=False)


def sms_channel() -> ChannelAdapter:
    url = setting("FANGKONG_SMS_GATEWAY_URL")
    if url:
        return SmsGateway(
            url,
            setting("FANGKONG_SMS_GATEWAY_TOKEN"),
            float(setting("FANGKONG_SMS_GATEWAY_TIMEOUT", "10") or 10),
        )
    return UnconfiguredSms() if getattr(settings, "PRODUCTION", False) else ConsoleSms()


def channels() -> dict[str, ChannelAdapter]:
    return {Channel.IN_APP: InAppChannel(), Channel.SMS: sms_channel()}
