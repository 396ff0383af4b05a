"""Login with lockout, users and device tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.core.errors import RuleViolation
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit, refuse
from fangkong.geo.selectors import area_exists

from .models import DeviceToken, Role, User
from .permissions import can


def _check_role_and_scope(role: str, scope_code: str) -> None:
    if role not in Role.values:
        raise RuleViolation(field="role", code="unknown", message=_("Unknown role."))
    if not area_exists(scope_code):
        raise RuleViolation(field="scope_code", code="unknown", message=_("No area has this code."))


def create_user(
    *, username: str, password: str, role: str, scope_code: str, display_name: str = "", **extra
) -> User:
    _check_role_and_scope(role, scope_code)
    user = User(
        username=username, role=role, scope_code=scope_code, display_name=display_name, **extra
    )
    user.set_password(password)
    user.save()
    return user


def check_login(*, username: str, password: str, ip: str | None = None) -> User | None:
    """Verify a password; count failures and lock the account after too many.

    A locked account is refused even with the right password until the lock expires, so
    guessing cannot continue in the background.
    """
    user = User.objects.filter(username=username).first()
    now = timezone.now()
    if user is None:
        # Spend the same hashing time as for a real account, so timing does not reveal names.
        User().set_password(password)
        record_audit(user=None, username=username, action=AuditAction.LOGIN_FAILED, ip=ip)
        return None
    if user.locked_until and user.locked_until > now:
        record_audit(user=None, username=username, action=AuditAction.LOGIN_LOCKED, ip=ip)
        return None
    if user.is_active and user.check_password(password):
        if user.failed_logins or user.locked_until:
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        return user
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
            until = now + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
            record_audit(
                user=None,
                username=username,
                action=AuditAction.LOGIN_LOCKED,
                ip=ip,
                detail={"until": until.isoformat()},
            )
        else:
            record_audit(user=None, username=username, action=AuditAction.LOGIN_FAILED, ip=ip)
    return None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_device_token(
    *, name: str, role: str, scope_code: str, created_by: User | None
) -> tuple[DeviceToken, str]:
    """Create a token; the clear token is returned once and never stored."""
    _check_role_and_scope(role, scope_code)
    if not name.strip():
        raise RuleViolation(field="name", code="required", message=_("A name is required."))
    clear = "fk_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = DeviceToken.objects.create(
            name=name.strip(),
            prefix=clear[:10],
            key_hash=_hash(clear),
            role=role,
            scope_code=scope_code,
            created_by=created_by,
        )
        record_audit(
            user=created_by,
            action=AuditAction.TOKEN_CREATED,
            object_type="device_token",
            object_id=token.pk,
            area_code=scope_code,
            detail={"name": token.name, "role": role},
        )
    return token, clear


def revoke_device_token(*, token: DeviceToken, by: User | None) -> DeviceToken:
    _token_cache.pop(token.key_hash, None)
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record_audit(
            user=by,
            action=AuditAction.TOKEN_REVOKED,
            object_type="device_token",
            object_id=token.pk,
            area_code=token.scope_code,
        )
    return token


# Devices post many small batches; looking their token up once per request was a third of the
# hot path. A token is trusted for TOKEN_CACHE_SECONDS per worker process; revoking clears it
# in the revoking process at once and in the others within that time.
TOKEN_CACHE_SECONDS = 10.0
_token_cache: dict[str, tuple[float, DeviceToken]] = {}


def authenticate_token(clear: str) -> DeviceToken | None:
    key = _hash(clear)
    cached = _token_cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    token = next(iter(DeviceToken.objects.filter(key_hash=key, revoked_at__isnull=True)[:1]), None)
    if token is None:
        _token_cache.pop(key, None)
        return None
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    _token_cache[key] = (time.monotonic() + TOKEN_CACHE_SECONDS, token)
    if token is not None:
        # Touch at most once a minute: a hot device must not turn every request into a write.
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
            DeviceToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def deny(*, actor, action: str, area_code: str = "", object_type: str = "", object_id="", ip=None):
    """Refuse `actor` (audited) although its role allows `action`: e.g. a token of another station."""
    refuse(
        actor=actor,
        action=action,
        area_code=area_code,
        object_type=object_type,
        object_id=object_id,
        ip=ip,
    )


def require_permission(
    *,
    actor,
    action: str,
    area_code: str | None = None,
    object_type: str = "",
    object_id: str | int = "",
    ip: str | None = None,
) -> None:
    """Raise PermissionDeniedError, after writing the refusal to the audit log, unless
    `actor` may do `action` at `area_code`."""

    if can(actor, action, area_code):
        return
    deny(
        actor=actor,
        action=action,
        area_code=area_code or "",
        object_type=object_type,
        object_id=object_id,
        ip=ip,
    )


def delete_drill_tokens(*, token_ids: list[int]) -> int:
    """The device tokens a drill (演练) issued, wiped with it (a revoked token keeps no use)."""
    return DeviceToken.objects.filter(pk__in=token_ids).delete()[0]
