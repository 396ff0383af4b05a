from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import get_supported_language_variant

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


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Chinese unless the user chose otherwise with the language switch.

    Django's own middleware follows the browser's Accept-Language, so a tablet set up in
    English would show staff an English interface they never chose. The choice is the
    language cookie the switch sets; without it, settings.LANGUAGE_CODE (zh-hans).
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
