import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _

from .errors import RuleViolation
from .http import rule_violation_response
from .text_input import first_nul_field, nul_violation

log = logging.getLogger(__name__)

# The database is away (restarting, failing over, a full or read-only disk, locked too long):
# the request wrote nothing (its transaction rolled back), so the client may send it again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


class RuleViolationMiddleware:
    """Pages: a broken rule becomes a clear 4xx page (or JSON for htmx/JSON callers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception):
        if not isinstance(exc, RuleViolation):
            return None
        return rule_violation_response(request, exc)


class TextInputMiddleware:
    """Query strings and form fields with a NUL character are refused (400) before any view
    reads them. A view that answers errors in a published shape of its own (Open311) says so
    with an `answer_rule_violation(request, exc)` attribute; the API answers in its JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        field = first_nul_field(request.GET)
        if field is None and request.method == "POST" and _is_form(request):
            field = first_nul_field(request.POST)
        if field is None:
            return None
        exc = nul_violation(field)
        answer = getattr(view_func, "answer_rule_violation", None)
        if answer is not None:
            return answer(request, exc)
        if request.path.startswith(JSON_PATHS):
            return JsonResponse({"errors": [exc.as_dict()]}, status=exc.status_code)
        return rule_violation_response(request, exc)


# The JSON API's paths: its callers read errors as JSON whatever they send as Accept.
JSON_PATHS = ("/api/",)


def _is_form(request: HttpRequest) -> bool:
    return (request.content_type or "") in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    )


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


def database_unavailable(request: HttpRequest, exc: Exception, *, as_json: bool) -> HttpResponse:
    """503 with Retry-After: JSON in the API's error shape, or a short page that touches no
    database (no user, no session, no base template)."""
    # The type only: a database message can quote the row that failed to be written.
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__
    )
    message = _("The database is unavailable for a moment. Nothing was saved; try again shortly.")
    if as_json:
        body = {"errors": [{"field": "database", "code": "unavailable", "message": message}]}
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        html = render_to_string(
            "core/unavailable.html",
            {
                "message": message,
                "retry_after": RETRY_AFTER_SECONDS,
                "reload": request.method in ("GET", "HEAD"),
                "LANGUAGE_CODE": translation.get_language(),
            },
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Pages: a lost database connection answers 503 with Retry-After, not a 500.

    Django drops the broken connection when the request ends (the PostgreSQL backend's
    health check sees it), so a request after the database is back reconnects by itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception):
        if not isinstance(exc, DATABASE_UNAVAILABLE):
            return None
        wants_json = request.headers.get("Accept", "").startswith("application/json")
        return database_unavailable(request, exc, as_json=wants_json)
