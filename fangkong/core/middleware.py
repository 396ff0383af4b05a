from django.http import HttpRequest, JsonResponse
from django.shortcuts import render

from .errors import PermissionDeniedError, RuleViolation


class RuleViolationMiddleware:
    """Pages: a broken rule becomes a clear 4xx page (or JSON for htmx/JSON callers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception):
        if not isinstance(exc, RuleViolation):
            return None
        if isinstance(exc, PermissionDeniedError) and not getattr(exc, "audited", False):
            from fangkong.core.models import AuditAction
            from fangkong.core.services import record_audit

            user = request.user if request.user.is_authenticated else None
            record_audit(
                user=user,
                action=AuditAction.PERMISSION_DENIED,
                object_type=exc.field,
                reason=exc.code,
                ip=request.META.get("REMOTE_ADDR"),
                detail={"path": request.path},
            )
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        if wants_json:
            return JsonResponse({"errors": [exc.as_dict()]}, status=exc.status_code)
        template = (
            "core/forbidden.html" if isinstance(exc, PermissionDeniedError) else "core/error.html"
        )
        if request.headers.get("HX-Request"):
            template = "core/partials/error.html"
        return render(request, template, {"error": exc.as_dict()}, status=exc.status_code)
