"""Reads over venues, scans and orders: always limited to the requesting user's scope, masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count, FilteredRelation, Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.services import require_permission
from fangkong.core.areas import AreaCode, within_q
from fangkong.core.documents import DocumentType
from fangkong.core.errors import RuleViolation
from fangkong.people.models import HealthStatus, Resident
from fangkong.people.selectors import scoped_residents

from .exposure_sql import (
    Exposure,
    ExposureQuery,
    count_by_visit,
    iter_exposures,
    visit_candidates,
)
from .models import (
    ControlOrder,
    Decision,
    ExposureDecision,
    OrderState,
    QuarantineSite,
    Venue,
    VenueScan,
)
from .models_cases import Case, Contact
from .models_pushed import Outcome, PushedList, PushedRow
from .protocol import tracing_protocol
from .services.release import order_test_results
from .services.scan_checks import person_index

RECENT_SCANS = 200


def _in_scope(user) -> Q:
    return within_q(user.scope_code)


def _scoped[M: Model](user, rows: QuerySet[M], *, object_type: str) -> QuerySet[M]:
    """`rows` in the user's area, once the user may read tracing at all (every list here)."""
    require_permission(actor=user, action="view_tracing", object_type=object_type)
    return rows.filter(_in_scope(user))


def _one[M: Model](user, rows: QuerySet[M], pk: int, *, field: str, object_type: str, missing) -> M:
    """One row by id; one outside the user's area is refused and audited, not hidden."""
    row = rows.filter(pk=pk).first()
    if row is None:
        raise RuleViolation(field=field, code="unknown", message=missing, status_code=404)
    require_permission(
        actor=user,
        action="view_tracing",
        area_code=row.area_code,
        object_type=object_type,
        object_id=pk,
    )
    return row


def venues_for(user) -> QuerySet[Venue]:
    """The venues in the user's area."""
    return _scoped(user, Venue.objects.all(), object_type="venues")


def venue_for(user, pk: int) -> Venue:
    """One venue by id (refused and audited outside the user's area)."""
    return _one(
        user,
        Venue.objects.all(),
        pk,
        field="venue",
        object_type="venue",
        missing=_("No venue has this number."),
    )


def recent_scans(user, venue: Venue, *, limit: int = RECENT_SCANS) -> list[dict]:
    """The venue's latest scans, masked: who (masked document) and when."""
    venue_for(user, venue.pk)
    return list(
        VenueScan.objects.filter(venue=venue)
        .order_by("-scanned_at", "-id")
        .values("source_id", "scanned_at", "document_type", "document_masked")[:limit]
    )


# --- exposures --------------------------------------------------------------------------------


class _Operator:
    """The server's operator at the command line: the whole installation is in scope."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = _Operator()


def list_exposures(
    *,
    actor,
    document_number: str,
    start: dt.datetime,
    end: dt.datetime,
    document_type: str = DocumentType.RESIDENT_ID,
    window_minutes: int | None = None,
    protocol: str | None = None,
) -> Iterator[Exposure]:
    """Other people's scans within the protocol's window of one of the person's scans in
    [start, end], each once, by venue and visit; at venues in the actor's area. Streamed: an
    answer of any size is read a few thousand rows at a time. `window_minutes` overrides the
    protocol's minutes for every kind of venue."""
    query = exposure_query(
        actor=actor,
        subject_index=person_index(document_type=document_type, document_number=document_number),
        start=start,
        end=end,
        window_minutes=window_minutes,
        protocol=protocol,
    )
    return iter_exposures(query)


def exposure_query(
    *,
    actor,
    subject_index: str,
    start: dt.datetime,
    end: dt.datetime,
    window_minutes: int | None = None,
    protocol: str | None = None,
) -> ExposureQuery:
    """The exposures search for a person known by their blind index (pages keep no clear
    number), checked and limited to the actor's area; read it with the functions below."""
    if actor is OPERATOR:
        scope_code = None
    else:
        require_permission(actor=actor, action="view_tracing", object_type="exposures")
        scope_code = actor.scope_code
    if end < start:
        raise RuleViolation(
            field="end", code="order", message=_("The period ends before it starts.")
        )
    if window_minutes is not None and not 1 <= window_minutes <= 1440:
        raise RuleViolation(
            field="window_minutes", code="range", message=_("A window is 1 to 1,440 minutes.")
        )
    rules = tracing_protocol(protocol).rules
    windows = {} if window_minutes is not None else rules["venue_windows"]["by_kind"]
    default = window_minutes or rules["venue_windows"]["default_minutes"]
    return ExposureQuery(
        person_index=subject_index,
        start=start,
        end=end,
        windows=windows,
        default_minutes=default,
        scope_code=scope_code,
    )


# The readings of a search `exposure_query` checked: the person's visits with their
# candidates counted (one grouped query), and a page of one visit's candidates.
exposure_visits = count_by_visit
exposure_candidates = visit_candidates


def decisions_for(user, *, subject_index: str) -> QuerySet[ExposureDecision]:
    """The decisions on one person's candidates at venues in the user's area."""
    decisions = _scoped(user, ExposureDecision.objects.all(), object_type="exposure_decisions")
    return decisions.filter(subject_index=subject_index)


# --- orders -----------------------------------------------------------------------------------


def orders_for(user) -> QuerySet[ControlOrder]:
    orders = ControlOrder.objects.select_related("site")
    return _scoped(user, orders, object_type="control_orders")


def order_for(user, pk: int) -> ControlOrder:
    """One order (refused and audited outside the user's area)."""
    return _one(
        user,
        ControlOrder.objects.select_related("site"),
        pk,
        field="order",
        object_type="control_order",
        missing=_("No order has this number."),
    )


TEST_OUTCOMES = {
    "negative": _("Negative"),
    "positive": _("Positive"),
    "pending": _("No result yet"),
}


def order_tests(user, order: ControlOrder) -> list[tuple[str, str, object]]:
    """The order's test dates with testing's outcome of each: (date, outcome, label). An order
    for someone outside the registry has dates but no rounds here: its outcomes are empty."""
    order = order_for(user, order.pk)
    outcomes = order_test_results(order)
    return [
        (day, outcomes.get(day, ""), TEST_OUTCOMES.get(outcomes.get(day, ""), ""))
        for day in order.test_dates
    ]


def contacts_awaiting_orders(user) -> QuerySet[ExposureDecision]:
    """Accepted contacts in the user's area with no order in force."""
    decisions = _scoped(user, ExposureDecision.objects.all(), object_type="exposure_decisions")
    return (
        decisions.filter(decision=Decision.ACCEPTED)
        .exclude(orders__state=OrderState.ACTIVE)
        .select_related("venue")
        .order_by("-updated_at")
    )


def sites_for(user) -> QuerySet[QuarantineSite]:
    require_permission(actor=user, action="view_tracing", object_type="sites")
    # A district's hotels serve every grid under it: sites above the user count too.
    above, code = [], AreaCode(user.scope_code)
    while code:
        above.append(str(code))
        code = code.parent
    return QuarantineSite.objects.filter(_in_scope(user) | Q(area_code__in=above))


# --- cases ------------------------------------------------------------------------------------


def cases_for(user) -> QuerySet[Case]:
    return _scoped(user, Case.objects.all(), object_type="cases")


def case_for(user, pk: int) -> Case:
    """One case (refused and audited outside the user's area)."""
    return _one(
        user,
        Case.objects.all(),
        pk,
        field="case",
        object_type="case",
        missing=_("No case has this number."),
    )


# --- daily follow-up --------------------------------------------------------------------------


FOLLOW_UP_LISTS = ("not_reported", "symptomatic", "due_test", "due_release")
FOLLOW_UP_ROWS = 200


def _follow_up_orders(user, *, day: dt.date, fever: float) -> tuple[QuerySet, dict[str, Q]]:
    """The active orders in the user's area with the day's report joined (one at most a day),
    and each line list's condition on them."""
    orders = (
        orders_for(user)
        .filter(state=OrderState.ACTIVE)
        .annotate(today=FilteredRelation("reports", condition=Q(reports__day=day)))
    )
    covering = Q(start__lt=day, end__gte=day)
    return orders, {
        "not_reported": covering & Q(today__isnull=True),
        # The day's own report must carry the fever or the symptoms.
        "symptomatic": covering
        & Q(today__isnull=False)
        & (Q(today__temperature__gte=fever) | Q(today__symptoms__gt="")),
        # Test dates are ISO dates in a JSON list: the day's text matches only itself.
        "due_test": covering & Q(test_dates__icontains=day.isoformat()),
        "due_release": Q(end__lte=day),
    }


def follow_up_counts(
    user, *, day: dt.date, fever: float, area: str = ""
) -> dict[str, dict[str, int]]:
    """How many people each line list of the day holds, per grid of the user's area (of
    `area` within it, if given): one grouped query, whatever the number of people."""
    orders, lists = _follow_up_orders(user, day=day, fever=fever)
    if area:
        orders = orders.filter(within_q(area))
    rows = (
        orders.order_by()
        .values("area_code")
        .annotate(**{name: Count("id", filter=cond) for name, cond in lists.items()})
    )
    counts: dict[str, dict[str, int]] = {name: {} for name in FOLLOW_UP_LISTS}
    for row in rows:
        code = AreaCode(row["area_code"])
        grid = str(code.grid) if code.depth >= 4 else str(code)
        for name in FOLLOW_UP_LISTS:
            if row[name]:
                counts[name][grid] = counts[name].get(grid, 0) + row[name]
    return counts


def follow_up_lists(
    user,
    *,
    day: dt.date,
    fever: float,
    area: str = "",
    limit: int = FOLLOW_UP_ROWS,
    only: tuple[str, ...] = FOLLOW_UP_LISTS,
) -> dict[str, list[ControlOrder]]:
    """The line lists of the day in the user's area (in `area` within it, if given): not
    reported, symptomatic, due a test, due release, the first `limit` people of each by grid.
    A query per list asked for (`only`: the page skips the lists it counted empty)."""
    orders, lists = _follow_up_orders(user, day=day, fever=fever)
    if area:
        orders = orders.filter(within_q(area))
    return {
        name: list(orders.filter(lists[name]).order_by("area_code", "id")[:limit])
        if name in only
        else []
        for name in FOLLOW_UP_LISTS
    }


# --- pushed lists -----------------------------------------------------------------------------


def pushed_lists_for(user) -> QuerySet[PushedList]:
    return _scoped(user, PushedList.objects.all(), object_type="pushed_lists")


def pushed_list_for(user, pk: int) -> PushedList:
    """One pushed list (refused and audited outside the user's area)."""
    return _one(
        user,
        PushedList.objects.all(),
        pk,
        field="pushed_list",
        object_type="pushed_list",
        missing=_("No list has this number."),
    )


def pushed_progress(user, pushed: PushedList) -> dict:
    """The list's progress for the command centre: rows by outcome, and open rows by grid,
    each one grouped query."""
    rows = pushed_rows(user, pushed)
    by_outcome = dict(rows.values_list("outcome").annotate(n=Count("id")).order_by())
    open_by_area = (
        rows.filter(outcome=Outcome.PENDING)
        .values_list("area_code")
        .annotate(n=Count("id"))
        .order_by("area_code")
    )
    return {
        "total": sum(by_outcome.values()),
        "by_outcome": [
            (value, label, by_outcome.get(value, 0)) for value, label in Outcome.choices
        ],
        "open_by_area": list(open_by_area),
        "matched": rows.filter(resident__isnull=False).count(),
    }


def pushed_rows(user, pushed: PushedList, *, outcome: str | None = None) -> QuerySet[PushedRow]:
    """The list's rows in the user's area (its grids' rows for a grid worker)."""
    rows = _scoped(user, PushedRow.objects.filter(pushed_list=pushed), object_type="pushed_rows")
    return rows.filter(outcome=outcome) if outcome else rows


def positives_awaiting_case(user) -> QuerySet[Resident]:
    """Residents the registry marks positive (a positive single-tube retest does) who have no
    case yet, in the user's area."""
    require_permission(actor=user, action="view_tracing", object_type="cases")
    with_case = Case.objects.filter(resident__isnull=False).values("resident_id")
    return (
        scoped_residents(user)
        .filter(health_status=HealthStatus.CASE_TO_INVESTIGATE)
        .exclude(pk__in=with_case)
        .order_by("area_code", "id")
    )


def pushed_out_contacts(user) -> QuerySet[Contact]:
    """Contacts living beyond the district, by the district they go to (masked)."""
    return (
        _scoped(user, Contact.objects.all(), object_type="contacts")
        .exclude(destination="")
        .select_related("case")
        .order_by("destination", "id")
    )
