"""What the services API's modules share: the one router they add their operations to, the
error shape, and a write run once per idempotency key (per caller)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from fangkong.accounts.models import DeviceToken
from fangkong.core.errors import RuleViolation
from fangkong.core.services import run_idempotent

router = Router(tags=["services"])


class ErrorsOut(Schema):
    errors: list[dict]


REFUSALS = {403: ErrorsOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut}


def not_found(field: str, message) -> RuleViolation:
    return RuleViolation(field=field, code="unknown", message=message, status_code=404)


def idempotent(
    request: HttpRequest, *, key: str, scope: str, payload: Any, write: Callable[[], tuple]
) -> Status:
    """Run `write` once per caller and key: a retry with the same body gets the first
    answer, the same key with another body is refused (409)."""
    actor = request.actor
    tag = f"d{actor.pk}" if isinstance(actor, DeviceToken) else f"u{actor.pk}"
    status, answer, _replayed = run_idempotent(
        key=key, scope=f"{scope}:{tag}", payload=payload, write=write
    )
    return Status(status, answer)
