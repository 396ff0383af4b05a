"""The command dashboard: one read of everything a commander watches, for the user's scope.

Testing progress of every active round, coverage by grid, tubes late at the lab, active
zones, incidents, overdue tasks and the people waiting for a retest. Every figure is a grouped
query over all active rounds at once, so the number of queries is fixed: it does not grow with
rounds, grids, tubes or residents (a test pins it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language

from fangkong.accounts.permissions import can
from fangkong.core.areas import AreaCode, is_within
from fangkong.geo.models import Grid
from fangkong.geo.selectors import area_names
from fangkong.people.models import HealthStatus, ResidentStatus
from fangkong.people.selectors import IN_SCOPE_RESIDENCY, population_by_grid, scoped_residents
from fangkong.testing.models import RetestState, RoundKind, TestingRound
from fangkong.testing.selectors import (
    OverdueTube,
    Targets,
    TubeFigures,
    active_rounds,
    bulletin_phrase,
    overdue_tubes,
    resident_q,
    retest_counts,
    round_statistics,
    round_targets,
    tested_by_area,
    tested_by_home,
    tube_figures,
)
from fangkong.work.models import Task, TaskState, task_kind_label
from fangkong.zones.models import ZoneStatus
from fangkong.zones.selectors import zones_for_user

from .models import Incident, IncidentStatus
from .scope import meets_q, within_q
from .selectors import inbox, require_view

MAX_ROUNDS = 30
LIST_LIMIT = 20
RECENT_CLOSED_DAYS = 7


def _depth(code: str) -> int:
    return AreaCode(code).depth


def _grid_of(code: str) -> str:
    return AreaCode(code).grid


@dataclass
class RoundProgress:
    round: TestingRound
    prefixes: list[str]
    residents: int = 0
    tested: int = 0
    tubes: TubeFigures = field(default_factory=TubeFigures)
    stats: dict = field(default_factory=dict)
    phrase: str = ""

    @property
    def untested(self) -> int:
        return max(self.residents - self.tested, 0)

    @property
    def percent(self) -> float | None:
        return round(100 * self.tested / self.residents, 1) if self.residents else None

    @property
    def tubes_total(self) -> int:
        return self.tubes.total

    @property
    def resulted(self) -> int:
        return self.tubes.resulted

    @property
    def overdue(self) -> int:
        return self.tubes.overdue


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
    overdue_tubes: list[OverdueTube] = field(default_factory=list)
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

    @property
    def is_empty(self) -> bool:
        """Nothing under way yet: a fresh demo, where the page should say what to try first."""
        return not (self.rounds or self.zones or self.open_incidents or self.closed_incidents)


def _english() -> bool:
    return (get_language() or "").startswith("en")


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


@dataclass
class _Counts:
    """Residents and people tested, by grid and by home, for the active rounds."""

    ids: list[int]
    grid_people: dict[str, int] = field(default_factory=dict)
    fine_people: dict[tuple, int] = field(default_factory=dict)
    tested: dict[int, dict[str, int]] = field(default_factory=dict)
    fine_tested: dict[int, dict[tuple, int]] = field(default_factory=dict)
    targets: dict[int, Targets] = field(default_factory=dict)

    def __post_init__(self):
        self.tested = {pk: {} for pk in self.ids}
        self.fine_tested = {pk: {} for pk in self.ids}


def _count_people(user, active: list, progress: dict, counts: _Counts) -> None:
    """Residents in scope and tested for each round: the grid tallies registration keeps,
    and the homes of rounds over buildings or households."""
    scope = user.scope_code
    counts.grid_people.update(population_by_grid(user))
    for (round_id, code), (n, _visitors) in tested_by_area(
        round_ids=counts.ids, prefixes=[scope], scope=scope
    ).items():
        counts.tested[round_id][code] = n
    fine_prefixes = sorted({c for _, p in active for c in p if _depth(c) > 4})
    if fine_prefixes:
        for building, household, n in (
            scoped_residents(user)
            .filter(
                resident_q(fine_prefixes),
                status=ResidentStatus.ACTIVE,
                residency__in=IN_SCOPE_RESIDENCY,
            )
            .values_list("household__building__code", "household__code")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts.fine_people[(building, household)] = n
        fine_ids = [r.pk for r, p in active if any(_depth(c) > 4 for c in p)]
        counts.fine_tested.update(
            tested_by_home(round_ids=fine_ids, prefixes=fine_prefixes, scope=scope)
        )
    counts.targets = round_targets(rounds=active)
    for pk, row in progress.items():
        listed = counts.targets[pk]
        if listed.only_listed:  # a retest round: the people ordered, not the area
            row.residents, row.tested = listed.expected_total, listed.tested_total
            continue
        row.residents = _sum_for(row.prefixes, counts.grid_people, counts.fine_people)
        row.tested = _sum_for(row.prefixes, counts.tested[pk], counts.fine_tested[pk])
        row.residents += listed.expected_total  # institution rosters
        row.tested += listed.tested_total


def map_round(rounds: list[RoundProgress], *, chosen: int | None = None) -> RoundProgress | None:
    """The round the coverage map colours: the one chosen, else the latest with activity
    (the newest tube opened), else the newest mass round. A routine round at 0.3 % does not
    paint the district red while the rounds of the day are elsewhere."""
    by_pk = {r.round.pk: r for r in rounds}
    if chosen in by_pk:
        return by_pk[chosen]
    active = [r for r in rounds if r.tubes.last_opened_at is not None]
    if active:
        return max(active, key=lambda r: (r.tubes.last_opened_at, r.round.pk))
    return next(
        (r for r in rounds if r.round.kind == RoundKind.MASS),
        next((r for r in rounds if r.round.kind != RoundKind.RETEST), None),
    )


def dashboard(
    *, user, now: dt.datetime | None = None, map_round_id: int | None = None
) -> Dashboard:
    """Everything on the command dashboard for the user's scope, in a fixed number of queries;
    the coverage map shows `map_round_id` if it is one of the active rounds (`map_round`)."""
    require_view(user)
    now = now or timezone.now()
    scope = user.scope_code
    board = Dashboard(scope_code=scope, now=now)
    may_see_people = can(user, "view_residents")
    board.may_see_people = may_see_people

    # Testing progress of the active rounds ------------------------------------------------
    active = active_rounds(user=user, limit=MAX_ROUNDS, now=now)
    ids = [r.pk for r, _ in active]
    progress = {r.pk: RoundProgress(round=r, prefixes=p) for r, p in active}
    counts = _Counts(ids)
    if ids and may_see_people:
        _count_people(user, active, progress, counts)
    if ids:
        _tubes(board, progress, ids, scope, now)
        _statistics(progress, ids)
    board.rounds = [progress[pk] for pk in ids]
    board.primary = map_round(board.rounds, chosen=map_round_id)
    grid_names: dict[str, str] = {}
    board.grid_rows = _grid_rows(scope, board.primary, counts, grid_names)

    # Zones, incidents, tasks, people ------------------------------------------------------
    if can(user, "view_zones"):
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
    for pk, figures in tube_figures(round_ids=ids, prefixes=[scope], now=now).items():
        progress[pk].tubes = figures
        board.overdue_tube_count += figures.overdue
    if board.overdue_tube_count:
        board.overdue_tubes = overdue_tubes(
            round_ids=ids, prefixes=[scope], now=now, limit=LIST_LIMIT
        )


def _statistics(progress: dict, ids: list[int]) -> None:
    """The bulletin figures of every active round, whole round, in the bulletin's words."""
    lang = "en" if _english() else "zh-hans"
    for pk, stats in round_statistics(round_ids=ids).items():
        progress[pk].stats = stats
        progress[pk].phrase = bulletin_phrase(stats, lang)


def _grid_rows(
    scope: str, primary: RoundProgress | None, counts: _Counts, names: dict[str, str]
) -> list[dict]:
    """Coverage by grid for the map and the table: the map's round (`map_round`), with its
    roster members, or a retest round's ordered people instead of the residents."""
    grids = Grid.objects.filter(within_q(scope, "code")).only("code", "name_zh", "name_en")
    if primary is None:
        return []
    pk = primary.round.pk
    listed = counts.targets.get(pk) or Targets()
    coarse = [p for p in primary.prefixes if _depth(p) <= 4]
    fine_by_grid: dict[str, int] = {}
    for (building, _household), n in counts.fine_tested.get(pk, {}).items():
        if building:
            fine_by_grid[_grid_of(building)] = fine_by_grid.get(_grid_of(building), 0) + n
    rows = []
    for grid in grids.order_by("code"):
        code = grid.code
        names[code] = grid.name  # in the page's language (English falls back to Chinese)
        inside = any(is_within(code, p) or is_within(p, code) for p in primary.prefixes)
        if not inside:
            continue
        whole = any(is_within(code, p) for p in coarse)
        residents = counts.grid_people.get(code, 0) if whole else 0
        done = counts.tested.get(pk, {}).get(code, 0) if whole else fine_by_grid.get(code, 0)
        if listed.only_listed:
            residents = done = 0
        residents += listed.expected.get(code, 0)
        done += listed.tested.get(code, 0)
        rows.append(
            {
                "code": code,
                "name": names[code],
                "residents": residents,
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
    names.update(area_names(code for code in by_grid if code not in names))
    board.awaiting_by_grid = [
        {**row, "name": names.get(code, code)} for code, row in sorted(by_grid.items())
    ]
    retests = retest_counts(area_code=scope)
    board.retests_pending = retests[RetestState.PENDING]
    board.retests_sampled = retests[RetestState.SAMPLED]
