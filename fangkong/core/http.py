"""The HTTP edge, written once: the client's address, refusals, and rule errors on forms.

Pages (through the middleware), the JSON API and every view use these functions, so an
audit row is written the same way whoever refused, and exactly once per refusal.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import TYPE_CHECKING, Annotated

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Schema
from ninja.pagination import PageNumberPagination

from .errors import PermissionDeniedError, RuleViolation
from .keys import MAX_KEY
from .models import AuditAction, AuditEntry
from .services import record_audit

if TYPE_CHECKING:
    from django import forms

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.cache
def parse_proxies(spec: str) -> tuple[Network, ...]:
    """'10.0.0.1, 10.1.0.0/16' → networks; a bad entry stops the server at its first request."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    )


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client that sent the request, as the audit log should hold it.

    With no trusted proxy configured (FANGKONG_TRUSTED_PROXIES), X-Forwarded-For is anyone's
    to forge, so it is ignored and REMOTE_ADDR is the client. Behind trusted proxies the
    header is read right to left: each proxy appends the address it saw, so the first hop
    that is not one of ours is the client. A malformed hop ends the walk at the last address
    a trusted proxy vouched for.
    """
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    proxies = parse_proxies(getattr(settings, "TRUSTED_PROXIES", ""))
    if remote is None:
        return None
    if not proxies or not any(remote in net for net in proxies):
        return str(remote)
    client = remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not any(address in net for net in proxies):
            break
    return str(client)


def request_actor(request: HttpRequest):
    """The device token or user behind the request; None when anonymous."""
    actor = getattr(request, "actor", None)
    if actor is not None:
        return actor
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def audit_refusal(request: HttpRequest, exc: PermissionDeniedError) -> None:
    """Write the refusal to the audit log unless whoever raised it already did and the row
    is still there (a refusal inside a transaction rolls its row back with the work)."""
    if exc.audited and (
        exc.audit_id is None or AuditEntry.objects.filter(pk=exc.audit_id).exists()
    ):
        return
    if exc.audit is not None:
        record_audit(**{**exc.audit, "ip": exc.audit["ip"] or client_ip(request)})
        exc.audited = True
        return
    record_audit(
        user=request_actor(request),
        action=AuditAction.PERMISSION_DENIED,
        object_type=exc.object_type or exc.field,
        object_id=exc.object_id,
        area_code=exc.area_code,
        reason=str(exc.code),
        ip=client_ip(request),
        detail={"path": request.path},
    )
    exc.audited = True


def rule_violation_response(request: HttpRequest, exc: RuleViolation) -> HttpResponse:
    """A page's answer to a broken rule: JSON for JSON callers, else an error page or partial."""
    if isinstance(exc, PermissionDeniedError):
        audit_refusal(request, exc)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"errors": [exc.as_dict()]}, status=exc.status_code)
    template = (
        "core/forbidden.html" if isinstance(exc, PermissionDeniedError) else "core/error.html"
    )
    if request.headers.get("HX-Request"):
        template = "core/partials/error.html"
    return render(request, template, {"error": exc.as_dict()}, status=exc.status_code)


def add_rule_error(
    form: forms.BaseForm, exc: RuleViolation, *, fields: dict[str, str] | None = None
) -> None:
    """Show a broken rule on the form: under the field it names, else above the form.

    `fields` maps a service's argument names to the form's where they differ. A refusal is
    not a form error: it is raised again, for the edge to answer 403 and audit it.
    """
    if isinstance(exc, PermissionDeniedError):
        raise exc
    name = (fields or {}).get(exc.field, exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def rule_message(exc: RuleViolation, *, labels: dict[str, str] | None = None) -> str:
    """A broken rule as a page's message: the rule's own sentence, not the field's name,
    which is a code to the user (`progress[0].committed`). Where the field points into a
    list, `labels` names the line by the field's head (`progress[0]` → 大米), and the message
    says which line it is."""
    label = (labels or {}).get(exc.field.split(".", 1)[0])
    if label:
        return str(_("%(item)s: %(message)s") % {"item": label, "message": exc.message})
    return str(exc.message)


def require_json(request: HttpRequest) -> None:
    """Refuse (415) a body that does not say it is JSON: it would be parsed by guesswork."""
    media_type = request.content_type or ""
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    raise RuleViolation(
        field="content-type",
        code="unsupported_media_type",
        message=_("Send the body as JSON (Content-Type: application/json)."),
        status_code=415,
    )


def read_body(request: HttpRequest) -> bytes:
    """The request body, or a 413 refusal when it is over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    try:
        return request.body
    except RequestDataTooBig:
        raise body_too_large() from None


def body_too_large() -> RuleViolation:
    return RuleViolation(
        field="body",
        code="too_large",
        message=_("The request is larger than the server accepts: send it in parts."),
        status_code=413,
    )


# Every long list of the pages shows this many rows a page (the API has its own sizes).
PAGE_SIZE = 50


def page_of(request: HttpRequest, items, *, param: str = "page") -> Page:
    """One page of the list, numbered by ``?<param>=``; a page past the end is the last.

    The page carries ``param`` and ``query`` (the request's other parameters) so that the
    shared pager links keep the page's filters and the other lists' pages.
    """
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get(param))
    params = request.GET.copy()
    params.pop(param, None)
    page.param = param
    page.query = params.urlencode()
    return page


class BoundedPages(PageNumberPagination):
    """Page numbers and sizes within what a database offset can hold (else 422, not 500)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=1_000)


# A record's number in a path: beyond a 64-bit key no record exists, and SQLite cannot even
# be asked (OverflowError), so it is refused as invalid (422) before any query.
RecordId = Annotated[int, Path(ge=1, le=MAX_KEY)]
