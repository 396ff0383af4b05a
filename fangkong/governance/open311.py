"""Open311 GeoReport v2 at /open311/v2/: services, service definitions, requests.

JSON only (XML is optional in the specification). Errors are `[{"code", "description"}]`
with the HTTP status as the code. Reads take no key; a POST carries `api_key`, a device
token of the reporter role. Internal stages map to open or closed; the stage, the closure
type and whether the matter was resolved go into `status_notes`, never into the status.
"""

from __future__ import annotations

import datetime as dt
import re

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from fangkong.accounts.services import authenticate_token
from fangkong.core.errors import RuleViolation
from fangkong.core.keys import parse_key
from fangkong.geo.models import District

from .kinds import Kind, case_catalogue
from .locate import grid_at
from .models import OPEN_STAGES, ClosureType, Source, Stage
from .selectors import (
    OPEN311_DEFAULT_SPAN,
    OPEN311_MAX_REQUESTS,
    OPEN311_PAGE_SIZE,
    open311_requests,
)
from .services.intake import report_case


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        self.status = status
        self.description = description


def _error(status: int, description: str) -> JsonResponse:
    return JsonResponse([{"code": status, "description": description}], status=status, safe=False)


def _answer(view):
    """Turn Open311Error and broken rules into the specification's error list."""

    def wrapped(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Open311Error as exc:
            return _error(exc.status, exc.description)
        except RuleViolation as exc:
            return _answer_rule_violation(request, exc)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    wrapped.answer_rule_violation = _answer_rule_violation  # the edge's refusals, same shape
    return wrapped


def _answer_rule_violation(request: HttpRequest, exc: RuleViolation) -> JsonResponse:
    return _error(403 if exc.status_code == 403 else 400, f"{exc.field}: {exc.message}")


def _jurisdiction(request: HttpRequest) -> str:
    """The district this endpoint serves; `jurisdiction_id` is needed only when it serves two."""
    wanted = (request.POST or request.GET).get("jurisdiction_id", "").strip()
    codes = list(District.objects.values_list("code", flat=True)[:2])
    if wanted:
        if not District.objects.filter(code=wanted).exists():
            raise Open311Error(404, _("jurisdiction_id was not found"))
        return wanted
    if len(codes) != 1:
        raise Open311Error(400, _("jurisdiction_id was not provided"))
    return codes[0]


def _service(kind: Kind) -> dict:
    svc = kind.open311
    return {
        "service_code": svc.code,
        "service_name": str(kind.name),
        "description": str(svc.description),
        "metadata": bool(svc.attributes),
        "type": "realtime",
        "keywords": ", ".join(svc.keywords),
        "group": str(svc.group),
    }


@require_GET
@_answer
def services(request: HttpRequest) -> JsonResponse:
    """GET services.json: the catalogue's kinds that residents may report."""
    _jurisdiction(request)
    found = [_service(k) for k in case_catalogue().open311_services()]
    return JsonResponse(found, safe=False)


def _kind_for(service_code: str) -> Kind:
    kind = case_catalogue().by_service_code(service_code)
    if kind is None:
        raise Open311Error(404, _("service_code was not found"))
    return kind


@require_GET
@_answer
def service_definition(request: HttpRequest, service_code: str) -> JsonResponse:
    """GET services/{service_code}.json: the attributes a request of this service carries."""
    _jurisdiction(request)
    kind = _kind_for(service_code)
    attributes = [
        {
            "variable": True,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": None,
            "order": order,
            "description": str(a.description),
            "values": [{"key": v.key, "name": str(v.name)} for v in a.values],
        }
        for order, a in enumerate(kind.open311.attributes, start=1)
    ]
    return JsonResponse({"service_code": service_code, "attributes": attributes})


def _w3c(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str | None:
    if value is None:
        return None
    return value.astimezone(tz or timezone.get_current_timezone()).isoformat(timespec="seconds")


class _Notes:
    """Stage and closure labels, translated once per answer rather than once per request
    (a model's get_FOO_display hashes the lazy choices on every call)."""

    def __init__(self) -> None:
        self.labels = {
            **{v: str(label) for v, label in Stage.choices},
            **{f"closure:{v}": str(label) for v, label in ClosureType.choices},
            True: _("resolved"),
            False: _("not resolved"),
        }
        self.tz = timezone.get_current_timezone()

    def __call__(self, row: dict) -> str:
        notes = [self.labels[row["stage"]]]
        if row["closure_type"]:
            notes.append(self.labels[f"closure:{row['closure_type']}"])
        if row["resolved"] is not None:
            notes.append(self.labels[row["resolved"]])
        return " · ".join(notes)


def _request(row: dict, kinds: dict[str, Kind], notes: _Notes) -> dict:
    """One request as the specification names its fields, from a row of open311_requests."""
    kind = kinds[row["kind"]]
    is_open = row["stage"] in OPEN_STAGES
    return {
        "service_request_id": str(row["pk"]),
        "status": "open" if is_open else "closed",
        "status_notes": notes(row),
        "service_name": str(kind.name),
        "service_code": kind.open311.code,
        "description": row["description"],
        "agency_responsible": row["owner_unit__name"],
        "service_notice": "",
        "requested_datetime": _w3c(row["received_at"], notes.tz),
        "updated_datetime": _w3c(row["updated_at"], notes.tz),
        "expected_datetime": _w3c(row["due_at"], notes.tz) if is_open else None,
        "address": row["address"],
        "address_id": row["area_code"],
        "zipcode": None,
        "lat": row["latitude"],
        "long": row["longitude"],
        "media_url": row["media_url"] or None,
    }


def _when(request: HttpRequest, name: str) -> dt.datetime | None:
    text = request.GET.get(name, "").strip()
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:  # well-formed but not a date, e.g. year 0 or 25 o'clock
        value = None
    if value is None:
        raise Open311Error(400, _("%(name)s is not a W3C datetime") % {"name": name})
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _count(request: HttpRequest, name: str, default: int, most: int) -> int:
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise Open311Error(
            400, _("%(name)s is a whole number from 1 to %(most)s") % {"name": name, "most": most}
        )
    return int(text)


def _public_kinds() -> dict[str, Kind]:
    return {k.code: k for k in case_catalogue().open311_services()}


def _list_requests(request: HttpRequest) -> JsonResponse:
    jurisdiction = _jurisdiction(request)
    public = _public_kinds()
    ids = [parse_key(i) for i in _split(request.GET.get("service_request_id", ""))]
    if None in ids:
        raise Open311Error(400, _("service_request_id must be numbers"))
    codes = _split(request.GET.get("service_code", ""))
    kinds = [k.code for k in public.values() if k.open311.code in codes]
    if codes and len(kinds) != len(set(codes)):
        raise Open311Error(404, _("service_code was not found"))
    statuses = set(_split(request.GET.get("status", "")))
    if not statuses <= {"open", "closed"}:
        raise Open311Error(400, _("status is open or closed"))
    start, end = _when(request, "start_date"), _when(request, "end_date")
    if start and end and end - start > OPEN311_DEFAULT_SPAN:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days"))
    if start and not end:
        end = min(start + OPEN311_DEFAULT_SPAN, timezone.now())
    size = _count(request, "page_size", OPEN311_PAGE_SIZE, OPEN311_MAX_REQUESTS)
    page = _count(request, "page", 1, 10**6)
    cases = open311_requests(
        jurisdiction=jurisdiction,
        ids=ids,
        kinds=kinds,
        start=start,
        end=end,
        statuses=statuses or None,
        public_kinds=list(public),
        limit=size,
        offset=(page - 1) * size,
    )
    notes = _Notes()
    return JsonResponse([_request(c, public, notes) for c in cases], safe=False)


ATTRIBUTE = re.compile(r"^attribute\[([a-z_]+)\](?:\[\])?$")


def _attributes(request: HttpRequest) -> dict[str, object]:
    found: dict[str, object] = {}
    for key in request.POST:
        match = ATTRIBUTE.match(key)
        if match:
            values = request.POST.getlist(key)
            found[match.group(1)] = values if key.endswith("[]") or len(values) > 1 else values[0]
    return found


def _float(request: HttpRequest, name: str) -> float | None:
    text = request.POST.get(name, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise Open311Error(400, _("%(name)s is not a number") % {"name": name}) from exc


def _place(request: HttpRequest, scope_code: str) -> tuple[str, float | None, float | None]:
    """The area of the report: address_id (an area code), else the grid holding lat/long,
    else, with only an address_string, the reporter's whole scope."""
    lat, lon = _float(request, "lat"), _float(request, "long")
    address_id = request.POST.get("address_id", "").strip()
    address = request.POST.get("address_string", "").strip()
    if address_id:
        return address_id, lat, lon
    if lat is not None and lon is not None:
        grid = grid_at(latitude=lat, longitude=lon, scope_code=scope_code)
        if grid is None:
            raise Open311Error(400, _("lat/long lies outside every grid of the jurisdiction"))
        return grid, lat, lon
    if address:
        return scope_code, None, None
    raise Open311Error(400, _("a location is required: lat and long, address_string or address_id"))


def _create_request(request: HttpRequest) -> JsonResponse:
    jurisdiction = _jurisdiction(request)
    token = authenticate_token(request.POST.get("api_key", "").strip())
    if token is None:
        raise Open311Error(403, _("api_key is missing or not valid"))
    code = request.POST.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided"))
    kind = _kind_for(code)
    area_code, lat, lon = _place(request, token.scope_code or jurisdiction)
    description = request.POST.get("description", "")
    case = report_case(
        user=token,
        kind=kind.code,
        source=Source.OPEN311,
        title=(description.strip().splitlines() or [str(kind.name)])[0][:200],
        description=description,
        area_code=area_code,
        address=request.POST.get("address_string", ""),
        latitude=lat,
        longitude=lon,
        media_url=request.POST.get("media_url", "").strip(),
        attributes=_attributes(request),
        reporter_phone=request.POST.get("phone", ""),
    )
    notice = _("%(unit)s will answer by %(due)s.") % {
        "unit": case.owner_unit.name,
        "due": _w3c(case.due_at),
    }
    return JsonResponse(
        [{"service_request_id": str(case.pk), "service_notice": notice, "account_id": None}],
        safe=False,
    )


@csrf_exempt  # a device posts with its api_key, never with a browser session
@require_http_methods(["GET", "POST"])
@_answer
def requests_json(request: HttpRequest) -> JsonResponse:
    """GET requests.json lists requests; POST requests.json creates one."""
    if request.method == "POST":
        return _create_request(request)
    return _list_requests(request)


@require_GET
@_answer
def request_json(request: HttpRequest, request_id: int) -> JsonResponse:
    """GET requests/{service_request_id}.json: one request, as a list of one."""
    jurisdiction = _jurisdiction(request)
    public = _public_kinds()
    cases = open311_requests(jurisdiction=jurisdiction, ids=[request_id], public_kinds=list(public))
    if not cases:
        raise Open311Error(404, _("service_request_id was not found"))
    return JsonResponse([_request(cases[0], public, _Notes())], safe=False)
