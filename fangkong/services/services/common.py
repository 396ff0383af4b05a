"""What every services write shares: the rule error, the history row and the clock."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.core.errors import RuleViolation

from ..models import RequestEvent, ServiceRequest


def bad(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


def now_or(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def actor_name(user) -> str:
    return user.get_username() if user is not None else "system"


def log_event(
    request: ServiceRequest,
    *,
    action: str,
    user,
    at: dt.datetime,
    note: str = "",
    detail: dict | None = None,
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        at=at,
        action=action,
        actor=actor_name(user),
        note=note[:500],
        detail=detail or {},
    )


def locked(request: ServiceRequest) -> ServiceRequest:
    """The request's row, locked for the rest of the transaction, as it is now."""
    return ServiceRequest.objects.select_for_update().get(pk=request.pk)
