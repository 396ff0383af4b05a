"""Reads over governance cases, always limited to the requesting user's area.

The command centre may read these; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from fangkong.accounts.permissions import can
from fangkong.core.areas import AreaCode, is_within, within_q
from fangkong.core.errors import PermissionDeniedError
from fangkong.core.tallies import tally_open_overdue
from fangkong.geo.selectors import area_names, get_node

from .kinds import case_catalogue
from .models import OPEN_STAGES, CaseEvent, GovCase, Petition, Satisfaction, Stage, Unit


@dataclass(frozen=True)
class CaseFilter:
    stage: str | None = None
    kind: str | None = None
    source: str | None = None
    area_code: str | None = None
    owner_unit: int | None = None
    open_only: bool = False
    overdue: bool = False
    q: str | None = None  # a case number (2026-000123) or the start of a title


def scoped_cases(user) -> QuerySet[GovCase]:
    """Every case the user may see; the only way a case query starts."""
    if not can(user, "view_cases"):
        raise PermissionDeniedError(field="cases", code="forbidden", message="forbidden")
    return GovCase.objects.filter(within_q(user.scope_code))


def list_cases(*, user, filters: CaseFilter, now: dt.datetime | None = None) -> QuerySet[GovCase]:
    qs = scoped_cases(user)
    f = filters
    if f.area_code:
        if not (is_within(f.area_code, user.scope_code) or is_within(user.scope_code, f.area_code)):
            return qs.none()
        qs = qs.filter(within_q(f.area_code))
    if f.stage:
        qs = qs.filter(stage=f.stage)
    elif f.open_only or f.overdue:
        qs = qs.filter(stage__in=OPEN_STAGES)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.owner_unit:
        qs = qs.filter(owner_unit_id=f.owner_unit)
    if f.overdue:
        qs = qs.filter(
            closed_at__isnull=True, paused_at__isnull=True, due_at__lt=now or timezone.now()
        )
    if f.q:
        term = f.q.strip()
        year, _sep, number = term.partition("-")
        if year.isdigit() and number.isdigit():
            qs = qs.filter(pk=int(number), received_at__year=int(year))
        else:
            qs = qs.filter(title__startswith=term)
    return qs.select_related("owner_unit", "handler_unit").order_by("-received_at", "-id")


def get_case(*, user, pk: int) -> GovCase | None:
    return scoped_cases(user).select_related("owner_unit", "handler_unit").filter(pk=pk).first()


def get_petition(*, user, case: GovCase) -> Petition | None:
    """The petition of a case the user may see (None for other kinds)."""
    if case.kind != "petition" or get_case(user=user, pk=case.pk) is None:
        return None
    return Petition.objects.filter(case=case).prefetch_related("reviews").first()


def case_history(*, user, case: GovCase) -> list[CaseEvent]:
    if get_case(user=user, pk=case.pk) is None:
        return []
    return list(case.events.select_related("unit").order_by("at", "id"))


def units_in_scope(*, user) -> list[Unit]:
    """Units serving the user's area or above it: the ones a case here can go to."""
    if not can(user, "view_cases"):
        raise PermissionDeniedError(field="units", code="forbidden", message="forbidden")
    scope = AreaCode(user.scope_code)
    above = [scope.upto(level) for level in ("district", "subdistrict", "community", "grid")]
    return list(
        Unit.objects.filter(within_q(user.scope_code) | Q(area_code__in=set(above))).order_by(
            "area_code", "name"
        )
    )


@dataclass(frozen=True)
class Rates:
    """响应率, 解决率, 满意率 for one unit or grid (接诉即办条例 §32).

    Response: answered (accepted, voided or closed) by the response deadline, out of the
    cases whose response deadline has passed or that were answered. Resolution: resolved
    out of closed. Satisfaction: satisfied or basically satisfied out of those reached on
    the call-back. A rate with nothing to divide by is None, not 0.
    """

    key: str
    name: str
    received: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    open: int
    overdue: int


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rate_counts(now: dt.datetime) -> dict[str, Count]:
    answered_in_time = Q(responded_at__isnull=False, responded_at__lte=F("response_due_at"))
    return {
        "received": Count("id"),
        "response_due": Count(
            "id", filter=Q(responded_at__isnull=False) | Q(response_due_at__lte=now)
        ),
        "responded": Count("id", filter=answered_in_time),
        "closed": Count("id", filter=Q(stage=Stage.CLOSED)),
        "resolved": Count("id", filter=Q(stage=Stage.CLOSED, resolved=True)),
        "reached": Count(
            "id",
            filter=Q(called_back_at__isnull=False) & ~Q(satisfaction=Satisfaction.UNREACHABLE),
        ),
        "satisfied": Count(
            "id", filter=Q(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.BASIC))
        ),
        "open": Count("id", filter=Q(stage__in=OPEN_STAGES)),
        "overdue": Count(
            "id", filter=Q(closed_at__isnull=True, paused_at__isnull=True, due_at__lt=now)
        ),
    }


def _rates(key: str, name: str, c: dict[str, int]) -> Rates:
    return Rates(
        key=key,
        name=name,
        received=c["received"],
        response_rate=_ratio(c["responded"], c["response_due"]),
        resolution_rate=_ratio(c["resolved"], c["closed"]),
        satisfaction_rate=_ratio(c["satisfied"], c["reached"]),
        open=c["open"],
        overdue=c["overdue"],
    )


def rates_by_unit(*, user, now: dt.datetime | None = None) -> list[Rates]:
    """The rates of each owning unit, over the cases in the user's area."""
    rows = (
        scoped_cases(user)
        .values("owner_unit__code", "owner_unit__name")
        .annotate(**_rate_counts(now or timezone.now()))
        .order_by("owner_unit__code")
    )
    return [_rates(r["owner_unit__code"], r["owner_unit__name"], r) for r in rows]


@dataclass(frozen=True)
class GridBoard:
    """A grid's matters on the board: the open ones and, among them, the overdue ones."""

    code: str
    name: str
    open: int
    overdue: int
    matters: list[GovCase]


def grid_board(*, user, now: dt.datetime | None = None, per_grid: int = 10) -> list[GridBoard]:
    """Each grid in the user's area with open matters: counts and the most urgent few
    (事在格中办: what the grid still has to settle, overdue first)."""
    now = now or timezone.now()
    rates = [r for r in rates_by_grid(user=user, now=now) if r.open]
    board = []
    for r in rates:
        matters = list(
            scoped_cases(user)
            .filter(area_code=r.key, stage__in=OPEN_STAGES)
            .order_by(F("due_at").asc(nulls_last=True), "received_at")[:per_grid]
        )
        board.append(GridBoard(r.key, r.name, r.open, r.overdue, matters))
    return board


def rates_by_grid(*, user, now: dt.datetime | None = None) -> list[Rates]:
    """The rates of each grid, over the cases in the user's area reported at grid level."""
    rows = (
        scoped_cases(user)
        .filter(area_code__regex=r"^\d{6}-\d{3}-\d{3}-\d{3}$")
        .values("area_code")
        .annotate(**_rate_counts(now or timezone.now()))
        .order_by("area_code")
    )
    result = []
    for r in rows:
        node = get_node(r["area_code"])
        result.append(_rates(r["area_code"], node.name if node else r["area_code"], r))
    return result


@dataclass(frozen=True)
class DeskSummary:
    """What the command centre shows of the case desk: open and overdue cases by kind,
    and the grids whose matters are most overdue (事在格中办)."""

    open: int
    overdue: int
    kinds: list[tuple[str, int, int]]  # kind name, open, overdue
    grids: list[tuple[str, str, int, int]]  # code, name, open, overdue


def desk_summary(*, user, now: dt.datetime | None = None, limit: int = 8) -> DeskSummary | None:
    """Two grouped queries and one for names, whatever the number of cases; None for a
    role that does not see cases."""
    if not can(user, "view_cases"):
        return None
    now = now or timezone.now()
    overdue = Q(paused_at__isnull=True, due_at__lt=now)
    live = scoped_cases(user).filter(stage__in=OPEN_STAGES)
    catalogue = case_catalogue()
    kinds = []
    for t in tally_open_overdue(live, by="kind", overdue=overdue):
        kind = catalogue.kind(t.key)
        kinds.append((str(kind.name) if kind else t.key, t.open, t.overdue))
    kinds.sort(key=lambda k: (-k[2], -k[1], k[0]))
    grids = [
        (t.key, t.open, t.overdue)
        for t in tally_open_overdue(live, by="area_code", overdue=overdue)
        if AreaCode(t.key).level == "grid"
    ][:limit]
    names = area_names(g[0] for g in grids)
    return DeskSummary(
        open=sum(k[1] for k in kinds),
        overdue=sum(k[2] for k in kinds),
        kinds=kinds,
        grids=[(code, names.get(code, code), n, late) for code, n, late in grids],
    )


# GeoReport v2 caps an answer at 1000 requests; servers page it with `page_size` and `page`
# (the extension Chicago, Boston, Toronto and San Francisco implement), 50 by default as
# Austin's and Chicago's do: a resident's app shows the newest few, not a thousand.
OPEN311_MAX_REQUESTS = 1000
OPEN311_PAGE_SIZE = 50
OPEN311_DEFAULT_SPAN = dt.timedelta(days=90)
OPEN311_FIELDS = (
    "pk",
    "kind",
    "stage",
    "closure_type",
    "resolved",
    "description",
    "owner_unit__name",
    "received_at",
    "updated_at",
    "due_at",
    "address",
    "area_code",
    "latitude",
    "longitude",
    "media_url",
)


def open311_requests(
    *,
    jurisdiction: str,
    ids: list[int] | None = None,
    kinds: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: set[str] | None = None,
    public_kinds: list[str],
    limit: int = OPEN311_MAX_REQUESTS,
    offset: int = 0,
) -> list[dict]:
    """Cases of the public services within the jurisdiction, as Open311 GET requests.json reads.

    Open311 publishes requests to anyone (it takes no key for reads), so this is scoped to the
    jurisdiction and to the kinds the catalogue offers as services, and it reads only the
    public fields (as plain rows: a thousand model instances were most of an answer's time).
    Ids given override every other filter, as the specification says; otherwise the answer
    is the page of `limit` rows after `offset`, newest first.
    """
    qs = GovCase.objects.filter(within_q(jurisdiction), kind__in=public_kinds)
    if ids:
        qs = qs.filter(pk__in=ids)
        return list(
            qs.order_by("-received_at", "-id").values(*OPEN311_FIELDS)[:OPEN311_MAX_REQUESTS]
        )
    if kinds:
        qs = qs.filter(kind__in=kinds)
    end = end or timezone.now()
    start = start or end - OPEN311_DEFAULT_SPAN
    qs = qs.filter(received_at__gte=start, received_at__lte=end)
    if statuses == {"open"}:
        qs = qs.filter(stage__in=OPEN_STAGES)
    elif statuses == {"closed"}:
        qs = qs.exclude(stage__in=OPEN_STAGES)
    rows = qs.order_by("-received_at", "-id").values(*OPEN311_FIELDS)
    return list(rows[offset : offset + min(limit, OPEN311_MAX_REQUESTS)])
