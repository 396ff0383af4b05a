"""The command dashboard: one read of everything a commander watches, for the user's scope.

Testing progress of every active round, coverage by grid, tubes late at the lab, active
zones, incidents, overdue tasks and the people waiting for a retest. Every figure is a grouped
query over all active rounds at once, so the number of queries is fixed: it does not grow with
rounds, grids, tubes or residents (a test pins it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language

from fangkong.accounts.permissions import can
from fangkong.core.areas import is_within
from fangkong.geo.models import Grid, Household
from fangkong.people.models import HealthStatus, Resident, ResidentStatus
from fangkong.people.selectors import IN_SCOPE_RESIDENCY, population_by_grid, scoped_residents
from fangkong.testing.models import (
    RetestOrder,
    RetestState,
    RoundKind,
    RoundMember,
    RoundStatus,
    TestingRound,
    Tube,
    TubeKind,
    TubeState,
)
from fangkong.testing.selectors import (
    _overdue_q,  # the lab's time limits live with testing; one rule, read here too
    bulletin_phrase,
    overdue_hours,
    round_prefixes,
    tested_by_area,
)
from fangkong.work.models import Task, TaskState, task_kind_label

from .models import Incident, IncidentStatus
from .scope import meets_q, within_q
from .selectors import inbox, require_view

MAX_ROUNDS = 30
LIST_LIMIT = 20
RECENT_CLOSED_DAYS = 7


def _depth(code: str) -> int:
    return len(code.split("-"))


def _grid_of(code: str) -> str:
    return "-".join(code.split("-")[:4])


@dataclass
class RoundProgress:
    round: TestingRound
    prefixes: list[str]
    residents: int = 0
    tested: int = 0
    tubes_by_state: dict[str, int] = field(default_factory=dict)
    tubes_total: int = 0
    overdue: int = 0
    stats: dict = field(default_factory=dict)
    phrase: str = ""

    @property
    def untested(self) -> int:
        return max(self.residents - self.tested, 0)

    @property
    def percent(self) -> float | None:
        return round(100 * self.tested / self.residents, 1) if self.residents else None

    @property
    def resulted(self) -> int:
        return self.tubes_by_state.get(TubeState.RESULTED, 0)


@dataclass
class LateTube:
    barcode: str
    round_name: str
    state: str
    capacity: int
    kind: str
    reason: str  # not_received | no_result
    hours_waiting: float
    limit_hours: float
    station: str
    box: str


@dataclass
class Dashboard:
    scope_code: str
    now: dt.datetime
    rounds: list[RoundProgress] = field(default_factory=list)
    primary: RoundProgress | None = None
    grid_rows: list[dict] = field(default_factory=list)
    zones: list | None = None  # None: the user may not see zones
    open_incidents: list[Incident] = field(default_factory=list)
    closed_incidents: list[Incident] = field(default_factory=list)
    overdue_tubes: list[LateTube] = field(default_factory=list)
    overdue_tube_count: int = 0
    tasks_open: int = 0
    tasks_overdue: int = 0
    tasks_by_kind: list[tuple[str, str, int, int]] = field(default_factory=list)
    overdue_tasks: list[Task] = field(default_factory=list)
    may_see_people: bool = False
    awaiting_retest: int = 0
    cases_to_investigate: int = 0
    awaiting_by_grid: list[dict] = field(default_factory=list)
    retests_pending: int = 0
    retests_sampled: int = 0
    unread: int = 0

    @property
    def tested(self) -> int:
        return sum(r.tested for r in self.rounds)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _active_rounds(user) -> list[tuple[TestingRound, list[str]]]:
    scope = user.scope_code
    rows = (
        TestingRound.objects.filter(status=RoundStatus.ACTIVE)
        .filter(meets_q(scope))
        .order_by("-starts_at", "-id")[:MAX_ROUNDS]
    )
    out = []
    for r in rows:
        prefixes = round_prefixes(user=user, round=r)
        if prefixes:
            out.append((r, prefixes))
    return out


def _fine_q(prefixes: list[str], rel: str = "") -> Q:
    """People in buildings (5 segments) or households (6) named by a round's scope.

    Written as "home among these households" so the database starts from the few homes and
    their residents' index: joined through buildings by code, it read all the district's
    residents (1.2 s at 1M with 30 zone rounds on the dashboard).
    """
    buildings = [p for p in prefixes if _depth(p) == 5]
    households = [p for p in prefixes if _depth(p) >= 6]
    if not (buildings or households):
        return Q(pk__in=[])
    homes = Household.objects.filter(Q(building__code__in=buildings) | Q(code__in=households))
    residents = Resident.objects.filter(household_id__in=homes.values("id"))
    if rel:  # e.g. a round's people: by their person, from the homes' residents
        return Q(**{f"{rel}id__in": residents.values("id")})
    return Q(household_id__in=homes.values("id"))


def _sum_for(prefixes: list[str], by_grid: dict[str, int], fine: dict[tuple, int]) -> int:
    """Add up grid rows under the coarse prefixes and building/household rows of the fine ones."""
    total = 0
    for p in prefixes:
        if _depth(p) <= 4:
            total += sum(n for code, n in by_grid.items() if is_within(code, p))
        else:
            total += sum(
                n for (building, household), n in fine.items() if p in (building, household)
            )
    return total


def dashboard(*, user, now: dt.datetime | None = None) -> Dashboard:
    """Everything on the command dashboard for the user's scope, in a fixed number of queries."""
    require_view(user)
    now = now or timezone.now()
    scope = user.scope_code
    board = Dashboard(scope_code=scope, now=now)
    may_see_people = can(user, "view_residents")
    board.may_see_people = may_see_people

    # Testing progress of the active rounds ------------------------------------------------
    active = _active_rounds(user)
    ids = [r.pk for r, _ in active]
    progress = {r.pk: RoundProgress(round=r, prefixes=p) for r, p in active}
    fine_rounds = [r.pk for r, p in active if any(_depth(c) > 4 for c in p)]
    fine_prefixes = sorted({c for _, p in active for c in p if _depth(c) > 4})
    grid_people: dict[str, int] = {}
    fine_people: dict[tuple, int] = {}
    tested: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    fine_tested: dict[int, dict[tuple, int]] = {pk: {} for pk in ids}
    if ids and may_see_people:
        people = scoped_residents(user).filter(
            status=ResidentStatus.ACTIVE, residency__in=IN_SCOPE_RESIDENCY
        )
        grid_people.update(population_by_grid(user))
        for (round_id, code), (n, _visitors) in tested_by_area(
            round_ids=ids, prefixes=[scope], scope=scope
        ).items():
            tested[round_id][code] = n
        if fine_prefixes:
            for building, household, n in (
                people.filter(_fine_q(fine_prefixes))
                .values_list("household__building__code", "household__code")
                .annotate(n=Count("id"))
                .order_by()
            ):
                fine_people[(building, household)] = n
            for round_id, building, household, n in (
                RoundMember.objects.filter(
                    within_q(scope, "resident__area_code"),
                    _fine_q(fine_prefixes, "resident__"),
                    round_id__in=fine_rounds,
                    visitor=False,
                )
                .values_list(
                    "round_id", "resident__household__building__code", "resident__household__code"
                )
                .annotate(n=Count("id"))
                .order_by()
            ):
                fine_tested[round_id][(building, household)] = n
        for pk, row in progress.items():
            row.residents = _sum_for(row.prefixes, grid_people, fine_people)
            row.tested = _sum_for(row.prefixes, tested[pk], fine_tested[pk])

    if ids:
        _tubes(board, progress, ids, scope, now)
        _statistics(progress, ids)
    board.rounds = [progress[pk] for pk in ids]
    board.primary = next(
        (r for r in board.rounds if r.round.kind == RoundKind.MASS),
        next((r for r in board.rounds if r.round.kind != RoundKind.RETEST), None),
    )
    grid_names: dict[str, str] = {}
    board.grid_rows = _grid_rows(scope, board.primary, grid_people, tested, fine_tested, grid_names)

    # Zones, incidents, tasks, people ------------------------------------------------------
    if can(user, "view_zones"):
        from fangkong.zones.models import ZoneStatus
        from fangkong.zones.selectors import zones_for_user

        board.zones = zones_for_user(user, status=ZoneStatus.ACTIVE, summary=True)
    since = now - dt.timedelta(days=RECENT_CLOSED_DAYS)
    for incident in (
        Incident.objects.filter(meets_q(scope))
        .filter(Q(status=IncidentStatus.OPEN) | Q(closed_at__gte=since))
        .select_related("commander")
        .order_by("status", "-opened_at", "-id")[: 2 * LIST_LIMIT]
    ):
        if incident.status == IncidentStatus.OPEN:
            board.open_incidents.append(incident)
        else:
            board.closed_incidents.append(incident)
    _tasks(board, scope, now)
    if may_see_people:
        _people(board, user, scope, grid_names)
    board.unread = inbox(user).filter(read_at__isnull=True).count()
    return board


def _tubes(board: Dashboard, progress: dict, ids: list[int], scope: str, now) -> None:
    """Tubes by round and state, the late ones counted in the same query; the oldest listed."""
    tubes = Tube.objects.filter(round_id__in=ids).filter(
        within_q(scope, "station__area_code")
        | (Q(station__isnull=True) & within_q(scope, "area_code"))
    )
    late = _overdue_q(now)
    for round_id, state, n, n_late in (
        tubes.values_list("round_id", "state")
        .annotate(n=Count("id"), late=Count("id", filter=late))
        .order_by()
    ):
        row = progress[round_id]
        row.tubes_by_state[state] = n
        row.tubes_total += n
        row.overdue += n_late
        board.overdue_tube_count += n_late
    if not board.overdue_tube_count:
        return
    for t in (
        tubes.filter(late)
        .select_related("station", "box", "round")
        .order_by("sealed_at", "id")[:LIST_LIMIT]
    ):
        if t.state == TubeState.RECEIVED:
            reason, since = "no_result", t.first_sample_at or t.sealed_at
            limit = overdue_hours(
                "FANGKONG_RESULT_HOURS_SINGLE"
                if t.capacity == 1
                else "FANGKONG_RESULT_HOURS_POOLED"
            )
        else:
            reason, since = "not_received", t.sealed_at
            limit = overdue_hours("FANGKONG_TUBE_RECEIPT_HOURS")
        board.overdue_tubes.append(
            LateTube(
                barcode=t.barcode,
                round_name=t.round.name,
                state=t.state,
                capacity=t.capacity,
                kind=t.kind,
                reason=reason,
                hours_waiting=round((now - since).total_seconds() / 3600, 1),
                limit_hours=limit,
                station=t.station.name if t.station_id else "",
                box=t.box.code if t.box_id else "",
            )
        )


def _statistics(progress: dict, ids: list[int]) -> None:
    """The bulletin figures of every active round (the figures `testing.selectors.
    round_statistics` counts from the samples, whole round), in two grouped queries over the
    tubes instead of two per round over the samples."""
    people: dict[int, list[dict]] = {pk: [] for pk in ids}
    # The tubes' own sample counters (kept by registration in the same transaction as the
    # samples) give the same figures as counting millions of samples.
    for round_id, capacity, tubes, n in (
        Tube.objects.filter(round_id__in=ids, kind=TubeKind.PEOPLE, sample_count__gt=0)
        .values_list("round_id", "capacity")
        .annotate(tubes=Count("id"), n=Sum("sample_count"))
        .order_by("round_id", "-capacity")
    ):
        people[round_id].append({"capacity": capacity, "tubes": tubes, "people": n})
    env: dict[int, dict] = {pk: {"tubes": 0, "points": 0} for pk in ids}
    for round_id, tubes, points in (
        Tube.objects.filter(round_id__in=ids, kind=TubeKind.ENVIRONMENT)
        .exclude(state=TubeState.OPEN)
        .values_list("round_id")
        .annotate(tubes=Count("id"), points=Sum("swab_points"))
        .order_by()
    ):
        env[round_id] = {"tubes": tubes or 0, "points": points or 0}
    lang = "en" if _english() else "zh-hans"
    for pk, row in progress.items():
        rows = people[pk]
        row.stats = {
            "round_id": pk,
            "people": rows,
            "environment": env[pk],
            "people_tubes": sum(r["tubes"] for r in rows),
            "people_total": sum(r["people"] for r in rows),
            "tubes_total": sum(r["tubes"] for r in rows) + env[pk]["tubes"],
        }
        row.phrase = bulletin_phrase(row.stats, lang)


def _grid_rows(
    scope: str,
    primary: RoundProgress | None,
    people: dict,
    tested: dict,
    fine_tested: dict,
    names: dict[str, str],
) -> list[dict]:
    """Coverage by grid for the map and the table: the primary round (the newest mass round)."""
    english = _english()
    grids = Grid.objects.filter(within_q(scope, "code")).values_list("code", "name_zh", "name_en")
    if primary is None:
        return []
    coarse = [p for p in primary.prefixes if _depth(p) <= 4]
    fine_by_grid: dict[str, int] = {}
    for (building, _household), n in fine_tested.get(primary.round.pk, {}).items():
        if building:
            fine_by_grid[_grid_of(building)] = fine_by_grid.get(_grid_of(building), 0) + n
    rows = []
    for code, name_zh, name_en in grids.order_by("code"):
        names[code] = (name_en or name_zh) if english else name_zh
        inside = any(is_within(code, p) or is_within(p, code) for p in primary.prefixes)
        if not inside:
            continue
        whole = any(is_within(code, p) for p in coarse)
        residents = people.get(code, 0) if whole else None
        done = tested.get(primary.round.pk, {}).get(code, 0) if whole else fine_by_grid.get(code, 0)
        rows.append(
            {
                "code": code,
                "name": names[code],
                "residents": residents if residents is not None else 0,
                "tested": done,
                "percent": round(100 * done / residents, 1) if residents else None,
            }
        )
    return rows


def _tasks(board: Dashboard, scope: str, now) -> None:
    tasks = Task.objects.filter(within_q(scope), state=TaskState.OPEN)
    for kind, n, late in (
        tasks.values_list("kind")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=now)))
        .order_by("kind")
    ):
        board.tasks_by_kind.append((kind, task_kind_label(kind), n, late))
        board.tasks_open += n
        board.tasks_overdue += late
    if board.tasks_overdue:
        board.overdue_tasks = list(
            tasks.filter(due_at__lt=now)
            .select_related("assignee", "incident_link")
            .order_by("due_at", "id")[:LIST_LIMIT]
        )


def _people(board: Dashboard, user, scope: str, names: dict[str, str]) -> None:
    by_grid: dict[str, dict] = {}
    for code, status, n in (
        scoped_residents(user)
        .filter(
            status=ResidentStatus.ACTIVE,
            health_status__in=[HealthStatus.AWAITING_RETEST, HealthStatus.CASE_TO_INVESTIGATE],
        )
        .values_list("area_code", "health_status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row = by_grid.setdefault(code, {"code": code, "awaiting": 0, "cases": 0})
        if status == HealthStatus.AWAITING_RETEST:
            row["awaiting"] += n
            board.awaiting_retest += n
        else:
            row["cases"] += n
            board.cases_to_investigate += n
    missing = [code for code in by_grid if code not in names]
    if missing:
        english = _english()
        names.update(
            {
                code: (en or zh) if english else zh
                for code, zh, en in Grid.objects.filter(code__in=missing).values_list(
                    "code", "name_zh", "name_en"
                )
            }
        )
    board.awaiting_by_grid = [
        {**row, "name": names.get(code, code)} for code, row in sorted(by_grid.items())
    ]
    for state, n in (
        RetestOrder.objects.filter(
            within_q(scope), state__in=[RetestState.PENDING, RetestState.SAMPLED]
        )
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if state == RetestState.PENDING:
            board.retests_pending = n
        else:
            board.retests_sampled = n
