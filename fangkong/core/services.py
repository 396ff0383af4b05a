"""Writes shared by every app: the audit log and idempotent retries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, NoReturn

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from .errors import PermissionDeniedError, RuleViolation
from .models import AuditAction, AuditEntry, IdempotencyKey
from .text_input import storable


def record_audit(
    *,
    user,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    area_code: str = "",
    reason: str = "",
    ip: str | None = None,
    detail: dict | None = None,
    username: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit log. Never put clear personal data in `detail`.

    `user` is whoever acted: a user, or a device token, whose name, role and scope are
    recorded although only a user can be linked.
    """
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry.objects.create(
        user=user if authenticated and isinstance(user, AbstractBaseUser) else None,
        username=username or (user.get_username() if authenticated else ""),
        role=getattr(user, "role", "") if authenticated else "",
        scope_code=getattr(user, "scope_code", "") if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        area_code=area_code,
        reason=reason,
        ip=ip,
        detail=detail or {},
    )


def refuse(
    *,
    actor,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    area_code: str = "",
    reason: str = "",
    ip: str | None = None,
    message=None,
) -> NoReturn:
    """Write the refusal of `action` to the audit log once, then raise it (403).

    Inside a transaction the row rolls back with the refused work; the edge then finds it
    missing and writes it again from `exc.audit` (core.http.audit_refusal).
    """
    audit = {
        "user": actor,
        "action": AuditAction.PERMISSION_DENIED,
        "object_type": object_type,
        "object_id": object_id,
        "area_code": area_code,
        "reason": reason,
        "ip": ip,
        "detail": {"wanted": action},
    }
    entry = record_audit(**audit)
    exc = PermissionDeniedError(
        field=object_type or action,
        code="forbidden",
        message=message or _("Your role or area does not allow this."),
        object_type=object_type,
        object_id=object_id,
        area_code=area_code,
    )
    exc.audited, exc.audit, exc.audit_id = True, audit, entry.pk
    raise exc


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def run_idempotent(
    *,
    key: str,
    scope: str,
    payload: Any,
    write: Callable[[], tuple[int, dict]],
    read_first: bool = True,
) -> tuple[int, dict, bool]:
    """Run `write` once per (scope, key) and store its answer in the same transaction.

    Returns (status, body, replayed). A replay with the same payload gets the first answer
    and writes nothing; the same key with a different payload is refused, because the client
    is reusing keys and one of the two requests would otherwise be lost.

    With `read_first=False` the key is not looked up before the write: the write runs, and
    the key's row after it, in one transaction. A retry then learns it is one when the write
    is refused by its own rules (the work is done already) or the key's row collides, and
    gets the first answer all the same. For a write whose second run its rules refuse (a
    package already handed over), that saves a read on every first attempt.
    """
    if not key or len(key) > 128:
        raise RuleViolation(
            field="idempotency_key",
            code="invalid",
            message=_("An idempotency key of 1 to 128 characters is required."),
        )
    digest = fingerprint(payload)
    existing = IdempotencyKey.objects.filter(scope=scope, key=key).first() if read_first else None
    if existing is None:
        try:
            with transaction.atomic():
                status, body = write()
                # The first answer is the one replayed: both as stored.
                body = storable(body)
                IdempotencyKey.objects.create(
                    key=key, scope=scope, fingerprint=digest, status_code=status, response=body
                )
            return status, body, False
        except IntegrityError:
            # A concurrent request with the same key committed first; fall through to replay.
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is None:
                raise
        except RuleViolation:
            if read_first:
                raise
            # Perhaps a retry, refused because its first run did the work: its answer stands.
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is None:
                raise
    if existing.fingerprint != digest:
        raise RuleViolation(
            field="idempotency_key",
            code="reused",
            message=_("This idempotency key was already used for a different request."),
            status_code=409,
        )
    return existing.status_code, existing.response, True
