"""The JSON API: /api/v1/…, OpenAPI at /api/openapi.json, docs at /api/docs.

Every RuleViolation becomes a 4xx answer naming the field and the rule, in one error shape
that the schema documents for every operation.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth

from fangkong.accounts.services import authenticate_token
from fangkong.core.errors import PermissionDeniedError, RuleViolation
from fangkong.core.http import audit_refusal, body_too_large, read_body, require_json
from fangkong.core.middleware import DATABASE_UNAVAILABLE, database_unavailable
from fangkong.core.text_input import check_json_text

from .api_errors import document_errors


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


# Batches answered item by item: a NUL in one item refuses that item (their own checks),
# never the other items of the batch.
ITEM_BY_ITEM = ("/v1/testing/samples", "/v1/lab/results", "/v1/tracing/scans")


class JsonParser(Parser):
    """Bodies are JSON, and say so: anything else is refused before it is guessed at."""

    def parse_body(self, request: HttpRequest) -> Any:
        require_json(request)
        raw = read_body(request)
        parsed = json.loads(raw)
        if not request.path.endswith(ITEM_BY_ITEM):
            check_json_text(raw, parsed)
        return parsed


class FangkongAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        return document_errors(super().get_openapi_schema(*args, **kwargs))


api = FangkongAPI(
    title="Fangkong API",
    version="1",
    urls_namespace="api",
    auth=[DeviceBearer(), session_actor],
    openapi_url="/openapi.json",
    docs_url="/docs",
    parser=JsonParser(),
)


@api.exception_handler(RuleViolation)
def rule_violation(request: HttpRequest, exc: RuleViolation):
    if isinstance(exc, PermissionDeniedError):
        audit_refusal(request, exc)
    return api.create_response(request, {"errors": [exc.as_dict()]}, status=exc.status_code)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    """ninja wraps whatever stopped it parsing the body; answer for the cause."""
    cause = exc.__cause__
    if isinstance(cause, RuleViolation):
        return rule_violation(request, cause)
    if isinstance(cause, ValueError):  # json.JSONDecodeError, UnicodeDecodeError
        invalid = RuleViolation(
            field="body", code="invalid_json", message=_("The body is not valid JSON.")
        )
        return rule_violation(request, invalid)
    error = {"field": "request", "code": str(exc.status_code), "message": str(exc)}
    return api.create_response(request, {"errors": [error]}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def request_too_big(request: HttpRequest, exc: RequestDataTooBig):
    return rule_violation(request, body_too_large())


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


api.add_router("/v1/geo", "fangkong.people.api_areas.router")
api.add_router("/v1/people", "fangkong.people.api.router")
api.add_router("/v1/accounts", "fangkong.accounts.api.router")
api.add_router("/v1/testing", "fangkong.testing.api.router")
api.add_router("/v1/lab", "fangkong.lab.api.router")
api.add_router("/v1/zones", "fangkong.zones.api.router")
api.add_router("/v1/tracing", "fangkong.tracing.api.router")
api.add_router("/v1/services", "fangkong.services.api.router")
