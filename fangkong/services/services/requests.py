"""Requests: raised for a household or person, acknowledged, progressed by their lines.

Each write validates everything first and then writes in one transaction, so a refused
request leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import User
from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode
from fangkong.core.masking import mask_name
from fangkong.geo.models import Household
from fangkong.people.models import Resident, ResidentStatus

from ..kinds import Kind, request_catalogue
from ..models import (
    Channel,
    Priority,
    Progress,
    RequestLine,
    RequestState,
    ServiceRequest,
)
from .common import bad, locked, log_event, now_or

MAX_LINES = 30
MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class LineIn:
    item: str
    quantity: int
    unit: str = ""


@dataclass(frozen=True)
class ProgressIn:
    """Absolute figures for one line: how much is committed, on its way, delivered."""

    line_id: int
    committed: int
    in_transit: int
    delivered: int


def _check_kind(kind: str, priority: int, channel: str) -> Kind:
    found = request_catalogue().kind(kind)
    if found is None:
        raise bad("kind", "unknown", _("No request kind has this code."))
    if priority not in Priority.values:
        raise bad("priority", "choice", _("Priority is 1 (low) to 4 (critical)."))
    if channel not in Channel.values:
        raise bad("channel", "choice", _("Unknown channel."))
    return found


def _check_lines(lines: Sequence[LineIn]) -> list[LineIn]:
    if len(lines) > MAX_LINES:
        raise bad("lines", "too_many", _("A request has at most 30 lines."))
    clean = []
    for i, line in enumerate(lines):
        if not (line.item or "").strip():
            raise bad(f"lines[{i}].item", "required", _("Name the item."))
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise bad(f"lines[{i}].quantity", "range", _("The quantity is 1 to 10000."))
        clean.append(LineIn(item=line.item.strip()[:100], quantity=line.quantity, unit=line.unit))
    return clean


def _whom(household: Household | None, resident: Resident | None) -> tuple[Household | None, str]:
    if resident is not None:
        if resident.status != ResidentStatus.ACTIVE:
            raise bad("resident", "not_living_here", _("This person no longer lives here."))
        if household is not None and resident.household_id != household.pk:
            raise bad("resident", "other_household", _("This person lives in another household."))
        household = household or resident.household
    if household is None and resident is None:
        raise bad("household", "required", _("Say which household or person it is for."))
    return household, resident.area_code if resident is not None else household.area_code


def raise_request(
    *,
    user,
    kind: str,
    channel: str,
    household: Household | None = None,
    resident: Resident | None = None,
    priority: int = Priority.NORMAL,
    lines: Sequence[LineIn] = (),
    description: str = "",
    needed_by: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Open a request with its clocks from the catalogue; the lines set what is asked for.

    A needed-by time earlier than the kind's fulfil clock brings the deadline forward; it
    never pushes it back.
    """
    found = _check_kind(kind, priority, channel)
    household, area_code = _whom(household, resident)
    require_permission(
        actor=user, action="raise_requests", area_code=area_code, object_type="household"
    )
    return open_request(
        user=user,
        found=found,
        channel=channel,
        household=household,
        resident=resident,
        area_code=area_code,
        priority=priority,
        lines=lines,
        description=description,
        needed_by=needed_by,
        now=now,
    )


def open_request(
    *,
    user,
    found: Kind,
    channel: str,
    household: Household | None,
    resident: Resident | None,
    area_code: str,
    priority: int,
    lines: Sequence[LineIn],
    description: str,
    needed_by: dt.datetime | None,
    now: dt.datetime | None,
) -> ServiceRequest:
    """Write a request whose raiser is already known to be allowed: a user with the
    permission (`raise_request`), or the resident through their signed page (no user)."""
    clean = _check_lines(lines)
    if len(description) > 1000:
        raise bad("description", "too_long", _("The description is limited to 1000 characters."))
    now = now_or(now)
    if needed_by is not None and needed_by <= now:
        raise bad("needed_by", "past", _("The time needed by must be in the future."))
    clocks = found.clocks(priority)
    fulfil_due = now + clocks.fulfil.delta
    if needed_by is not None and needed_by < fulfil_due:
        fulfil_due = needed_by
    acknowledge_due = min(now + clocks.acknowledge.delta, fulfil_due)
    request = ServiceRequest(
        kind=found.code,
        catalogue_version=request_catalogue().version,
        priority=priority,
        queue_rank=found.queue_rank(priority),
        channel=channel,
        area_code=AreaCode(area_code).grid or area_code,
        household=household,
        resident=resident,
        subject=mask_name(resident.name) if resident is not None else "",
        description=description.strip(),
        needed_by=needed_by,
        raised_by=user if isinstance(user, User) else None,
        raised_at=now,
        acknowledge_due_at=acknowledge_due,
        fulfil_due_at=fulfil_due,
        due_at=acknowledge_due,
    )
    with transaction.atomic():
        request.save()
        RequestLine.objects.bulk_create(
            RequestLine(request=request, item=li.item, unit=li.unit, quantity=li.quantity)
            for li in clean
        )
        log_event(request, action="raise", user=user, at=now, detail={"channel": channel})
    return request


def _require_handle(user, request: ServiceRequest) -> None:
    require_permission(
        actor=user,
        action="handle_requests",
        area_code=request.area_code,
        object_type="service_request",
        object_id=request.pk,
    )


def _require_open(request: ServiceRequest) -> None:
    if not request.is_open:
        raise bad("request", "finished", _("This request is already finished."))


def acknowledge_request(
    *, user, request: ServiceRequest, note: str = "", now: dt.datetime | None = None
) -> ServiceRequest:
    """Someone has taken the request on: the fulfil clock now runs."""
    _require_handle(user, request)
    now = now_or(now)
    with transaction.atomic():
        request = locked(request)
        _require_open(request)
        if request.state == RequestState.ACKNOWLEDGED:
            raise bad("request", "acknowledged", _("This request is already acknowledged."))
        request.state = RequestState.ACKNOWLEDGED
        request.acknowledged_at = now
        request.due_at = request.fulfil_due_at
        request.escalation_level = 0  # a new deadline starts the ladder again
        request.save(
            update_fields=["state", "acknowledged_at", "due_at", "escalation_level", "updated_at"]
        )
        log_event(request, action="acknowledge", user=user, at=now, note=note)
    return request


def _status(done: int, wanted: int) -> str:
    if done <= 0:
        return Progress.NONE
    return Progress.COMPLETE if done >= wanted else Progress.PARTIAL


def _derive(lines: Sequence[RequestLine]) -> tuple[str, str, str]:
    """Sahana's rule: NONE when no line has any, COMPLETE when every line is met, else PARTIAL."""

    def overall(values: list[tuple[int, int]]) -> str:
        states = {_status(done, wanted) for done, wanted in values}
        if states == {Progress.COMPLETE}:
            return Progress.COMPLETE
        if states == {Progress.NONE}:
            return Progress.NONE
        return Progress.PARTIAL

    return (
        overall([(li.committed, li.quantity) for li in lines]),
        overall([(li.in_transit + li.delivered, li.quantity) for li in lines]),
        overall([(li.delivered, li.quantity) for li in lines]),
    )


def _check_progress(line: RequestLine, figures: ProgressIn, i: int) -> None:
    field = f"progress[{i}]"
    if min(figures.committed, figures.in_transit, figures.delivered) < 0:
        raise bad(f"{field}.committed", "negative", _("Quantities cannot be negative."))
    if figures.committed > line.quantity:
        raise bad(
            f"{field}.committed", "over_allocation", _("More is committed than was asked for.")
        )
    if figures.in_transit + figures.delivered > figures.committed:
        raise bad(
            f"{field}.delivered",
            "beyond_committed",
            _("Only what is committed can be on its way or delivered."),
        )
    if figures.delivered < line.delivered:
        raise bad(f"{field}.delivered", "delivered_back", _("A delivery cannot be undone here."))


def record_progress(
    *,
    user,
    request: ServiceRequest,
    progress: Sequence[ProgressIn],
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Set the lines' committed, in-transit and delivered figures; the request's progress
    follows. When every line is delivered the request is fulfilled and its clock stops."""
    _require_handle(user, request)
    now = now_or(now)
    with transaction.atomic():
        request = locked(request)
        _require_open(request)
        lines = {li.pk: li for li in request.lines.all()}
        for i, figures in enumerate(progress):
            line = lines.get(figures.line_id)
            if line is None:
                raise bad(f"progress[{i}].line_id", "unknown", _("No such line in this request."))
            _check_progress(line, figures, i)
            line.committed = figures.committed
            line.in_transit = figures.in_transit
            line.delivered = figures.delivered
        RequestLine.objects.bulk_update(
            list(lines.values()), ["committed", "in_transit", "delivered"]
        )
        _apply_progress(request, list(lines.values()), now)
        log_event(
            request,
            action="progress",
            user=user,
            at=now,
            detail={
                "lines": [[p.line_id, p.committed, p.in_transit, p.delivered] for p in progress]
            },
        )
    return request


def _apply_progress(request: ServiceRequest, lines: list[RequestLine], now: dt.datetime) -> None:
    request.commit_status, request.transit_status, request.fulfil_status = _derive(lines)
    fields = ["commit_status", "transit_status", "fulfil_status", "updated_at"]
    if lines and request.fulfil_status == Progress.COMPLETE:
        _finish(request, RequestState.FULFILLED, now)
        fields += ["state", "fulfilled_at", "due_at", "acknowledged_at"]
    request.save(update_fields=fields)


def _finish(request: ServiceRequest, state: str, now: dt.datetime) -> None:
    request.state = state
    request.due_at = None
    if state == RequestState.FULFILLED:
        request.fulfilled_at = now
        request.acknowledged_at = request.acknowledged_at or now
    else:
        request.cancelled_at = now


def complete_request(
    *, user, request: ServiceRequest, outcome: str, now: dt.datetime | None = None
) -> ServiceRequest:
    """Close a request that has no lines to deliver (a visit, a call, a trip), with its outcome."""
    _require_handle(user, request)
    outcome = (outcome or "").strip()
    if not outcome:
        raise bad("outcome", "required", _("Say what was done."))
    now = now_or(now)
    with transaction.atomic():
        request = locked(request)
        _require_open(request)
        if request.lines.exists():
            raise bad(
                "request", "has_lines", _("A request with lines is fulfilled by its deliveries.")
            )
        _finish(request, RequestState.FULFILLED, now)
        request.outcome = outcome[:500]
        request.save()
        log_event(request, action="complete", user=user, at=now, note=outcome)
    return request


def cancel_request(
    *, user, request: ServiceRequest, reason: str, now: dt.datetime | None = None
) -> ServiceRequest:
    _require_handle(user, request)
    reason = (reason or "").strip()
    if not reason:
        raise bad("reason", "required", _("Give the reason."))
    now = now_or(now)
    with transaction.atomic():
        request = locked(request)
        _require_open(request)
        _finish(request, RequestState.CANCELLED, now)
        request.outcome = reason[:500]
        request.save()
        log_event(request, action="cancel", user=user, at=now, note=reason)
    return request
