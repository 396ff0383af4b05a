"""Pages of the services app: the request board and queue, the phone intake, a request.

Thin: reads in `selectors`, writes in `services`; a broken rule comes back on the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fangkong.accounts.permissions import can
from fangkong.accounts.services import require_permission
from fangkong.core.errors import RuleViolation
from fangkong.core.http import add_rule_error, client_ip, rule_message
from fangkong.geo.models import Household
from fangkong.geo.selectors import area_labels, get_node
from fangkong.people.selectors import get_resident
from fangkong.zones.selectors import get_zone, residents_q, zones_for_user

from . import selectors
from .forms import (
    CareProfileForm,
    FilterForm,
    HandOverForm,
    NoteForm,
    OutcomeForm,
    RaiseForm,
    ReasonForm,
    TripForm,
)
from .models import ServiceRequest
from .services.care import set_care_profile
from .services.counselling import may_read_notes
from .services.requests import (
    ProgressIn,
    acknowledge_request,
    cancel_request,
    complete_request,
    raise_request,
    record_progress,
)
from .services.resident_page import resident_page_token
from .services.trips import TRIP_KINDS

PAGE_SIZE = 50


def _require(request: HttpRequest, action: str) -> None:
    require_permission(
        actor=request.user, action=action, object_type="service_request", ip=client_ip(request)
    )


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Open and overdue requests by kind and grid, and the queue in serving order."""
    _require(request, "view_requests")
    form = FilterForm(request.GET or None)
    filters = selectors.RequestFilter(open_only=True)
    if form.is_valid():
        filters = selectors.RequestFilter(
            kind=form.cleaned_data["kind"] or None,
            open_only=True,
            overdue=form.cleaned_data["overdue"],
        )
    queue = selectors.list_requests(user=request.user, filters=filters)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "services/board.html",
        {
            "board": selectors.request_board(user=request.user),
            "form": form,
            "page": page,
            "now": timezone.now(),
            "may_raise": can(request.user, "raise_requests"),
            "may_volunteers": can(request.user, "manage_volunteers"),
        },
    )


def _whom(request: HttpRequest, data: dict):
    resident = household = None
    if data.get("resident"):
        resident = get_resident(user=request.user, pk=data["resident"])
        if resident is None:
            raise RuleViolation(field="resident", code="unknown", message=_("No such resident."))
    code = (data.get("household_code") or "").strip()
    if code:
        household = get_node(code)
        if household is None or not isinstance(household, Household):
            raise RuleViolation(
                field="household_code", code="unknown", message=_("No household has this code.")
            )
    return household, resident


@login_required
def raise_page(request: HttpRequest) -> HttpResponse:
    """The grid worker's and hotline operator's phone page: raise a request for a resident."""
    _require(request, "raise_requests")
    initial = {"resident": request.GET.get("resident") or None}
    form = RaiseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            household, resident = _whom(request, d)
            created = raise_request(
                user=request.user,
                kind=d["kind"],
                channel=d["channel"],
                household=household,
                resident=resident,
                priority=d["priority"],
                lines=d["lines"],
                description=d["description"],
                needed_by=d["needed_by"],
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(
                request, _("Raised as request %(number)s.") % {"number": created.number}
            )
            return redirect("services:request", created.pk)
    subject = None
    if initial["resident"] and str(initial["resident"]).isdigit():
        subject = get_resident(user=request.user, pk=int(initial["resident"]))
    return render(request, "services/raise.html", {"form": form, "subject": subject})


def request_for(request: HttpRequest, pk: int) -> ServiceRequest:
    _require(request, "view_requests")
    found = selectors.get_request(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return found


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = request_for(request, pk)
    counselling = selectors.counselling_of(user=request.user, request=found)
    return render(
        request,
        "services/request.html",
        {
            "req": found,
            "names": area_labels([found.area_code]),
            "kind_name": selectors.kind_label(found.kind),
            "lines": list(found.lines.all()),
            "history": selectors.request_history(user=request.user, request=found),
            "may_handle": found.is_open and can(request.user, "handle_requests", found.area_code),
            "now": timezone.now(),
            "trip": selectors.trip_of(user=request.user, request=found),
            "counselling": counselling,
            "is_counsellor": counselling is not None
            and counselling.counsellor_id == request.user.pk,
            "may_read_notes": counselling is not None and may_read_notes(request.user, found),
            "trip_kinds": TRIP_KINDS,
            "forms": {
                "note": NoteForm(),
                "outcome": OutcomeForm(),
                "reason": ReasonForm(),
                "trip": TripForm(),
                "handover": HandOverForm(),
            },
        },
    )


def _line_labels(found: ServiceRequest) -> dict[str, str]:
    """Each line's item, by the heads of the fields that point at it: its place in the
    progress list (`progress[0]`) and its form inputs (`committed-12`)."""
    lines = list(found.lines.all())
    labels = {f"progress[{i}]": line.item for i, line in enumerate(lines)}
    for line in lines:
        labels.update(
            (f"{n}-{line.pk}", line.item) for n in ("committed", "in_transit", "delivered")
        )
    return labels


def _progress_from_post(request: HttpRequest, found: ServiceRequest) -> list[ProgressIn]:
    def number(name: str) -> int:
        try:
            return int(request.POST.get(name) or 0)
        except ValueError:
            raise RuleViolation(
                field=name, code="not_a_number", message=_("Enter a whole number.")
            ) from None

    return [
        ProgressIn(
            line_id=line.pk,
            committed=number(f"committed-{line.pk}"),
            in_transit=number(f"in_transit-{line.pk}"),
            delivered=number(f"delivered-{line.pk}"),
        )
        for line in found.lines.all()
    ]


@login_required
@require_POST
def request_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One transition of a request; a broken rule is shown as a message on its page."""
    found = request_for(request, pk)
    post = request.POST
    actions = {
        "acknowledge": lambda: acknowledge_request(
            user=request.user, request=found, note=post.get("note", "")
        ),
        "progress": lambda: record_progress(
            user=request.user, request=found, progress=_progress_from_post(request, found)
        ),
        "complete": lambda: complete_request(
            user=request.user, request=found, outcome=post.get("outcome", "")
        ),
        "cancel": lambda: cancel_request(
            user=request.user, request=found, reason=post.get("reason", "")
        ),
    }
    if step not in actions:
        raise Http404
    try:
        actions[step]()
    except RuleViolation as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, rule_message(exc, labels=_line_labels(found)))
    else:
        messages.success(request, _("Saved."))
    return redirect("services:request", found.pk)


@login_required
def care_list(request: HttpRequest) -> HttpResponse:
    """The people in the user's area who need care first: tags and the no-smartphone flag;
    narrowed to one zone's members the moment it is designated."""
    _require(request, "view_requests")
    zones = (
        zones_for_user(request.user, status="active", summary=True)
        if can(request.user, "view_zones")
        else []
    )
    zone = None
    where = None
    if (zone_id := request.GET.get("zone", "")).isdigit():
        zone = get_zone(user=request.user, pk=int(zone_id))
        if zone is None:
            raise Http404
        where = residents_q(zone.members.all())
    people = selectors.vulnerable_residents(user=request.user, where=where)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "services/care.html",
        {
            "page": page,
            "zones": zones,
            "zone": zone,
            "may_raise": can(request.user, "raise_requests"),
            "may_handle": can(request.user, "handle_requests"),
        },
    )


@login_required
def care_profile(request: HttpRequest, resident_id: int) -> HttpResponse:
    """What the registry's tags do not say: no smartphone, dialysis days, refills, due date."""
    _require(request, "handle_requests")
    resident = get_resident(user=request.user, pk=resident_id)
    if resident is None:
        raise Http404
    current = getattr(resident, "care_profile", None)
    initial = {}
    if current is not None:
        initial = {
            "no_smartphone": current.no_smartphone,
            "dialysis_days": [str(d) for d in current.dialysis_weekdays],
            "refill_days": current.refill_days,
            "due_date": current.due_date,
        }
    form = CareProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            set_care_profile(
                user=request.user,
                resident=resident,
                no_smartphone=d["no_smartphone"],
                dialysis_days=[int(x) for x in d["dialysis_days"]],
                refill_days=d["refill_days"] or 0,
                due_date=d["due_date"],
            )
        except RuleViolation as exc:
            add_rule_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("services:care")
    own_page = reverse("services:resident_page", args=[resident_page_token(resident)])
    return render(
        request,
        "services/care_profile.html",
        {"form": form, "resident": resident, "own_page": own_page},
    )
