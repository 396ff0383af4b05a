"""Cases: opened with the protocol's clocks (report within 2 h, case investigation within
24 h in the shipped presets), itineraries filled by the investigator, and overdue clocks
turned into tasks and events for the command centre."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode
from fangkong.core.documents import DocumentType, validate_document
from fangkong.core.errors import RuleViolation
from fangkong.core.events import publish
from fangkong.people.models import Resident
from fangkong.people.services import find_resident_by_document
from fangkong.work.models import Task, TaskState

from ..events import CaseClockOverdue, CaseOpened
from ..models import Venue
from ..models_cases import Case, CaseKind, CaseSource, CaseState, ItineraryStop
from ..protocol import tracing_protocol
from .contacts import reclassify_after_positive
from .identity import registered_identity, typed_identity
from .orders import convert_orders

CASE_CONTEXT = "tracing.case.document"
CLOCK_TASK_KIND = "case_clock"


def _fail(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


def check_kind(kind: str, source: str, onset: dt.date | None, sampled: dt.date | None) -> None:
    if kind not in CaseKind.values or source not in CaseSource.values:
        raise _fail("kind", "unknown", _("Unknown kind or source of case."))
    if onset is None and sampled is None:
        raise _fail(
            "onset_date",
            "required",
            _("Give the onset date (or the sampling date for an asymptomatic infection)."),
        )


def open_case(
    *,
    user,
    document_number: str,
    kind: str,
    document_type: str = DocumentType.RESIDENT_ID,
    source: str = CaseSource.MANUAL,
    onset_date: dt.date | None = None,
    sampling_date: dt.date | None = None,
    team: str = "",
    area_code: str = "",
    person_name: str = "",
    opened_at: dt.datetime | None = None,
    protocol: str | None = None,
) -> Case:
    """Open a case for a positive person; its clocks start now (or at `opened_at`)."""
    check_kind(kind, source, onset_date, sampling_date)
    doc = validate_document(document_type, document_number)
    resident = find_resident_by_document(doc.type, doc.number)
    if resident is not None:
        return open_case_for_resident(
            user=user,
            resident=resident,
            kind=kind,
            source=source,
            onset_date=onset_date,
            sampling_date=sampling_date,
            team=team,
            opened_at=opened_at,
            protocol=protocol,
        )
    person = typed_identity(doc, name=person_name, context=CASE_CONTEXT)
    case = Case(
        kind=kind, source=source, onset_date=onset_date, sampling_date=sampling_date, **person
    )
    return open_prepared(
        user=user, case=case, area_code=area_code, team=team, opened_at=opened_at, protocol=protocol
    )


def open_case_for_resident(
    *,
    user,
    resident: Resident,
    kind: str,
    source: str = CaseSource.RETEST,
    onset_date: dt.date | None = None,
    sampling_date: dt.date | None = None,
    team: str = "",
    opened_at: dt.datetime | None = None,
    protocol: str | None = None,
) -> Case:
    """Open a case for a registered resident (a positive retest marks them in the registry);
    the registry keeps their number, the case links to it."""
    check_kind(kind, source, onset_date, sampling_date)
    if not resident.document_index:
        raise _fail("resident", "no_document", _("This resident has no document on record."))
    case = Case(
        kind=kind,
        source=source,
        onset_date=onset_date,
        sampling_date=sampling_date,
        resident=resident,
        **registered_identity(resident),
    )
    return open_prepared(
        user=user,
        case=case,
        area_code=resident.area_code,
        team=team,
        opened_at=opened_at,
        protocol=protocol,
    )


def open_prepared(*, user, case: Case, area_code: str, team: str, opened_at, protocol) -> Case:
    """Check the area, start the protocol's clocks and write a case whose person and dates are
    filled in, with its effects. `user` None: a confirmed result opens it (`case_sources`)."""
    try:
        area = AreaCode.parse(area_code or user.scope_code)
    except ValueError:
        raise _fail("area_code", "invalid", _("Not an area code.")) from None
    if user is not None:
        require_permission(actor=user, action="manage_tracing", area_code=area, object_type="case")
    rules = tracing_protocol(protocol)
    clocks = rules.rules["clocks"]
    case.opened_at = opened_at or timezone.now()
    case.area_code, case.team, case.protocol, case.opened_by = (
        area,
        team.strip()[:100],
        rules.name,
        user,
    )
    case.report_due_at = case.opened_at + dt.timedelta(hours=clocks["report_within_hours"])
    case.investigation_due_at = case.opened_at + dt.timedelta(
        hours=clocks["investigation_within_hours"]
    )
    try:
        with transaction.atomic():
            case.save()
            reclassify_after_positive(case=case)
            convert_orders(document_index=case.document_index)
            publish(
                CaseOpened(
                    case_id=case.pk,
                    case_kind=case.kind,
                    area_code=area,
                    person=case.document_masked,
                    by=user.get_username() if user is not None else "",
                )
            )
    except IntegrityError:
        raise _fail(
            "document_number", "open_case", _("This person already has a case under investigation.")
        ) from None
    return case


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def mark_reported(*, user, case: Case, at: dt.datetime | None = None) -> Case:
    """The positive was reported (直报): the report clock stops."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=case.area_code,
        object_type="case",
        object_id=case.pk,
    )
    with transaction.atomic():
        case = _locked(case)
        if case.reported_at is None:
            case.reported_at = at or timezone.now()
            case.save(update_fields=["reported_at", "updated_at"])
            _close_clock_task(case, "report")
    return case


def complete_investigation(*, user, case: Case, at: dt.datetime | None = None) -> Case:
    """The case investigation (个案调查) is done: its clock stops."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=case.area_code,
        object_type="case",
        object_id=case.pk,
    )
    with transaction.atomic():
        case = _locked(case)
        if case.state != CaseState.OPEN:
            raise _fail("state", "not_open", _("This case is no longer under investigation."))
        case.state, case.investigated_at = CaseState.INVESTIGATED, at or timezone.now()
        case.save(update_fields=["state", "investigated_at", "updated_at"])
        _close_clock_task(case, "investigation")
    return case


def _clock_key(case: Case, clock: str) -> str:
    return f"case-clock:{case.pk}:{clock}"


def _close_clock_task(case: Case, clock: str) -> None:
    Task.objects.filter(key=_clock_key(case, clock), state=TaskState.OPEN).update(
        state=TaskState.DONE, done_at=timezone.now()
    )


def escalate_overdue_clocks(*, now: dt.datetime | None = None) -> int:
    """Turn every clock that ran out into a task for the team's area and an event for the
    command centre, once each; the number of clocks escalated now. Safe to run again."""
    now = now or timezone.now()
    overdue = [
        (case, "report", case.report_due_at)
        for case in Case.objects.filter(reported_at__isnull=True, report_due_at__lt=now)
    ] + [
        (case, "investigation", case.investigation_due_at)
        for case in Case.objects.filter(state=CaseState.OPEN, investigation_due_at__lt=now)
    ]
    escalated = 0
    for case, clock, due in overdue:
        with transaction.atomic():
            _task, created = Task.objects.get_or_create(
                key=_clock_key(case, clock),
                defaults={
                    "kind": CLOCK_TASK_KIND,
                    "title": str(
                        _("Overdue: %(clock)s of case %(person)s")
                        % {"clock": CLOCK_LABELS[clock], "person": case.document_masked}
                    ),
                    "detail": {"case": case.pk, "clock": clock, "due_at": due.isoformat()},
                    "area_code": case.area_code,
                    "due_at": due,
                },
            )
            if created:
                publish(
                    CaseClockOverdue(
                        case_id=case.pk,
                        clock=clock,
                        due_at=due.isoformat(),
                        area_code=case.area_code,
                        person=case.document_masked,
                    )
                )
                escalated += 1
    return escalated


CLOCK_LABELS = {"report": _("the report"), "investigation": _("the case investigation")}


def add_stop(
    *,
    user,
    case: Case,
    place: str,
    arrived_at: dt.datetime,
    left_at: dt.datetime | None = None,
    companions: str = "",
    transport: str = "",
    note: str = "",
    venue_code: str = "",
) -> ItineraryStop:
    """Add a place to the case's itinerary (轨迹)."""
    require_permission(
        actor=user,
        action="manage_tracing",
        area_code=case.area_code,
        object_type="case",
        object_id=case.pk,
    )
    venue = None
    if venue_code.strip():
        venue = Venue.objects.filter(code=venue_code.strip()).first()
        if venue is None:
            raise _fail("venue_code", "unknown", _("No venue has this code."))
    place = place.strip() or (venue.name if venue else "")
    if not place:
        raise _fail("place", "required", _("Say where the person was."))
    if left_at is not None and left_at < arrived_at:
        raise _fail("left_at", "order", _("The person left before arriving."))
    return ItineraryStop.objects.create(
        case=case,
        place=place[:200],
        venue=venue,
        arrived_at=arrived_at,
        left_at=left_at,
        companions=companions.strip()[:200],
        transport=transport.strip()[:100],
        note=note.strip()[:200],
    )
