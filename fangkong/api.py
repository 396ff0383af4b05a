"""The JSON API: /api/v1/…, OpenAPI at /api/openapi.json, docs at /api/docs.

Every RuleViolation becomes a 4xx answer naming the field and the rule.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from fangkong.accounts.services import authenticate_token
from fangkong.core.errors import RuleViolation
from fangkong.core.middleware import DATABASE_UNAVAILABLE, database_unavailable
from fangkong.core.models import AuditAction
from fangkong.core.services import record_audit


class DeviceBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        device = authenticate_token(token)
        if device is not None:
            request.actor = device
        return device


def session_actor(request: HttpRequest):
    user = django_auth(request)
    if user:
        request.actor = request.user
    return user


api = NinjaAPI(
    title="Fangkong API",
    version="1",
    urls_namespace="api",
    auth=[DeviceBearer(), session_actor],
    openapi_url="/openapi.json",
    docs_url="/docs",
)


@api.exception_handler(RuleViolation)
def rule_violation(request: HttpRequest, exc: RuleViolation):
    if exc.status_code == 403 and not getattr(exc, "audited", False):
        actor = getattr(request, "actor", None)
        record_audit(
            user=actor if hasattr(actor, "scope_code") and not hasattr(actor, "key_hash") else None,
            username=actor.get_username() if actor is not None else "",
            action=AuditAction.PERMISSION_DENIED,
            object_type=exc.field,
            reason=str(exc.code),
            ip=request.META.get("REMOTE_ADDR"),
            detail={"path": request.path},
        )
    return api.create_response(request, {"errors": [exc.as_dict()]}, status=exc.status_code)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", [])[1:]) or "body",
            "code": e.get("type", "invalid"),
            "message": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return api.create_response(
        request,
        {
            "errors": [
                {
                    "field": "authorization",
                    "code": "unauthenticated",
                    "message": "Log in or send a valid device token.",
                }
            ]
        },
        status=401,
    )


def database_away(request: HttpRequest, exc: Exception):
    """503 with Retry-After: the device keeps its batch and sends it again (same key)."""
    return database_unavailable(request, exc, as_json=True)


for _error in DATABASE_UNAVAILABLE:
    api.add_exception_handler(_error, database_away)


api.add_router("/v1/geo", "fangkong.geo.api.router")
api.add_router("/v1/people", "fangkong.people.api.router")
api.add_router("/v1/accounts", "fangkong.accounts.api.router")
api.add_router("/v1/testing", "fangkong.testing.api.router")
api.add_router("/v1/lab", "fangkong.lab.api.router")
api.add_router("/v1/zones", "fangkong.zones.api.router")
