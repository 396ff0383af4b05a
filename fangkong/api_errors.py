"""The error answers every API operation documents, in one shared shape.

Each operation is documented by what it can meet at the edge: every caller can be
unauthenticated (401) or refused (403); a record named in the path or the body may not exist
(404); a write can conflict with the record's state or a reused idempotency key (409); a body
can be too large (413), not JSON (415) or invalid (422), and so can query parameters (422);
and any request can meet the database away for a moment (503, with Retry-After).
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Errors",
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string", "description": "the input that broke the rule"},
                    "code": {"type": "string", "description": "the rule, for programs"},
                    "message": {"type": "string", "description": "why, for people"},
                },
            },
        }
    },
}

DESCRIPTIONS = {
    401: "Not logged in, and no valid device token.",
    403: "The caller's role or area does not allow this (the refusal is audited).",
    404: "A record named in the request does not exist.",
    409: "The record's state does not allow this, or an idempotency key was reused.",
    413: "The body is larger than the server accepts.",
    415: "The body is not sent as JSON.",
    422: "A parameter or the body breaks a rule; `field` names it.",
    503: "The database is away for a moment; nothing was saved. Retry after Retry-After.",
}


def error_codes(operation: dict[str, Any], method: str) -> list[int]:
    """The 4xx answers an operation can give, from its parameters, body and method."""
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    codes = [401, 403]
    if body or any(p.get("in") == "path" for p in parameters):
        codes.append(404)
    if method == "post":
        codes.append(409)
    if body:
        codes.append(413)
        if any(media.endswith("json") for media in body.get("content", {})):
            codes.append(415)
    if body or parameters:
        codes.append(422)
    codes.append(503)
    return codes


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error schema and each operation's error answers to an OpenAPI schema."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Errors"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Errors"}
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in error_codes(operation, method):
                responses.setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return schema
