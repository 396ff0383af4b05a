"""What the lab API's modules share: the one router they add their operations to, the
`Idempotency-Key` header (per caller) of every write, and a JSON body read by hand where the
body is optional."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Header, Router, Schema
from pydantic import ValidationError as PydanticValidationError

from fangkong.accounts.models import DeviceToken
from fangkong.core.errors import RuleViolation
from fangkong.core.services import run_idempotent

router = Router(tags=["lab"])

IDEMPOTENCY_HEADER = Header(
    ...,
    alias="Idempotency-Key",
    description="1–128 characters, new for every new request; a retry reuses it.",
)


def actor_tag(actor) -> str:
    """Idempotency keys are per caller: two devices may both count from 1."""
    return f"d{actor.pk}" if isinstance(actor, DeviceToken) else f"u{actor.pk}"


def idempotent(
    request: HttpRequest, *, key: str, scope: str, payload: Any, write: Callable[[], tuple]
) -> JsonResponse:
    status, body, replayed = run_idempotent(
        key=key, scope=f"{scope}:{actor_tag(request.actor)}", payload=payload, write=write
    )
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def json_body(request: HttpRequest, schema: type[Schema]):
    try:
        return schema.model_validate_json(request.body)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        raise RuleViolation(
            field=".".join(str(p) for p in first.get("loc", ())) or "body",
            code=first.get("type", "invalid"),
            message=first.get("msg", ""),
        ) from None
