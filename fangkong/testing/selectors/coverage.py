"""Live coverage of a round: residents in scope, tested and not yet tested, by grid; the
not-yet-tested list and the door-knocking tasks it becomes.

Every read that touches people takes the requesting user and starts from
`people.selectors.scoped_residents`, so nothing outside the user's scope is counted or listed.
Coverage is a handful of grouped queries (residents GROUP BY grid, the tallies registration
keeps per grid), never a Python loop over residents; its query count does not grow with the
number of residents or grids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from fangkong.core.areas import is_within, within_q
from fangkong.geo.models import Grid
from fangkong.geo.services import export_geojson
from fangkong.people.models import Resident, ResidentStatus
from fangkong.people.selectors import IN_SCOPE_RESIDENCY, population_by_grid, scoped_residents
from fangkong.work.models import Task

from ..models import RetestOrder, RoundKind, RoundMember, RoundTally, Sample, TestingRound
from ..services.rounds import common_area
from .scope import (
    depth,
    grid_of,
    grid_q,
    require_view,
    resident_q,
    round_prefixes,
    whole_round,
)
from .targets import Targets, round_targets
from .tubes import OverdueTube, TubeFigures, overdue_tubes, tube_figures

DOORKNOCK_KIND = "door_knock"
OVERDUE_LIST_LIMIT = 200


def doorknock_key(round_pk: int, household_code: str) -> str:
    """One door-knocking task per household and round."""
    return f"doorknock:{round_pk}:{household_code}"


# ---------------------------------------------------------------------------------------------
# Coverage


@dataclass
class GridCoverage:
    code: str
    name: str
    residents: int = 0
    tested: int = 0
    visitors_tested: int = 0

    @property
    def untested(self) -> int:
        return max(self.residents - self.tested, 0)

    @property
    def percent(self) -> float | None:
        return round(100 * self.tested / self.residents, 1) if self.residents else None


@dataclass
class Coverage:
    round_id: int
    area_codes: list[str]
    residents: int = 0
    tested: int = 0
    visitors_tested: int = 0
    tubes: TubeFigures = field(default_factory=TubeFigures)
    overdue: list[OverdueTube] = field(default_factory=list)
    grids: list[GridCoverage] = field(default_factory=list)
    # People on institution rosters among `residents` (or, `only_listed`, the people a
    # retest round ordered: then they are all of them).
    listed: int = 0
    only_listed: bool = False

    @property
    def untested(self) -> int:
        return max(self.residents - self.tested, 0)

    @property
    def percent(self) -> float | None:
        return round(100 * self.tested / self.residents, 1) if self.residents else None

    @property
    def tubes_by_state(self) -> dict[str, int]:
        return self.tubes.by_state

    @property
    def tubes_total(self) -> int:
        return self.tubes.total

    @property
    def overdue_count(self) -> int:
        return self.tubes.overdue


def tested_by_area(
    *, round_ids: list[int], prefixes: list[str], scope: str
) -> dict[tuple[int, str], tuple[int, int]]:
    """(round, grid) → (residents tested, visitors tested), for people under `prefixes` and
    the user's `scope`, each counted once per round in the grid of their first sample.

    Areas down to grids read the tallies registration keeps (a row per grid); a building or
    household scope reads the round's people with their homes (a few hundred rows).
    """
    out: dict[tuple[int, str], tuple[int, int]] = {}
    if not round_ids or not prefixes:
        return out
    if all(depth(p) <= 4 for p in prefixes) and depth(scope) <= 4:
        rows = (
            RoundTally.objects.filter(resident_q(prefixes), resident_q([scope]))
            .filter(round_id__in=round_ids)
            .values_list("round_id", "area_code", "tested", "visitors")
        )
        return {(r, code): (n, v) for r, code, n, v in rows}
    members = (
        RoundMember.objects.filter(
            resident_q(prefixes, "resident__"), resident_q([scope], "resident__")
        )
        .filter(round_id__in=round_ids)
        .values_list("round_id", "area_code")
        .annotate(
            n=Count("id", filter=Q(visitor=False)), visitors=Count("id", filter=Q(visitor=True))
        )
        .order_by()
    )
    return {(r, code): (n, v) for r, code, n, v in members}


def tested_by_home(
    *, round_ids: list[int], prefixes: list[str], scope: str
) -> dict[int, dict[tuple[str, str], int]]:
    """round → (building code, household code) → residents tested, for the buildings and
    households among `prefixes`, under the user's `scope`; visitors apart. One query."""
    out: dict[int, dict[tuple[str, str], int]] = {pk: {} for pk in round_ids}
    fine = [p for p in prefixes if depth(p) > 4]
    if not round_ids or not fine:
        return out
    for round_id, building, household, n in (
        RoundMember.objects.filter(
            resident_q([scope], "resident__"),
            resident_q(fine, "resident__"),
            round_id__in=round_ids,
            visitor=False,
        )
        .values_list("round_id", "resident__household__building__code", "resident__household__code")
        .annotate(n=Count("id"))
        .order_by()
    ):
        out[round_id][(building, household)] = n
    return out


def round_coverage(
    *, user, round: TestingRound, area_code: str | None = None, now: dt.datetime | None = None
) -> Coverage:
    """Residents in scope, tested, not yet tested and visitors tested, by grid; tubes by state
    and overdue tubes — for the part of `round` under `area_code` the user may see.

    Residents in scope are active, registered or floating; visitors (registered at sampling)
    are counted apart. Tested = distinct residents with a sample in the round.
    """
    require_view(user)
    prefixes = round_prefixes(user=user, round=round, area_code=area_code)
    coverage = Coverage(round_id=round.pk, area_codes=prefixes)
    if not prefixes:
        return coverage
    now = now or timezone.now()
    where = resident_q(prefixes)
    if all(depth(p) <= 4 for p in prefixes):
        people = [
            (code, n)
            for code, n in population_by_grid(user).items()
            if any(is_within(code, p) for p in prefixes)
        ]
    else:
        people = (
            scoped_residents(user)
            .filter(where, status=ResidentStatus.ACTIVE, residency__in=IN_SCOPE_RESIDENCY)
            .values_list("area_code")
            .annotate(n=Count("id"))
            .order_by()
        )
    tested = tested_by_area(round_ids=[round.pk], prefixes=prefixes, scope=user.scope_code)
    rows: dict[str, GridCoverage] = {
        code: GridCoverage(code=code, name=name_zh if not _english() else (name_en or name_zh))
        for code, name_zh, name_en in Grid.objects.filter(grid_q(prefixes))
        .values_list("code", "name_zh", "name_en")
        .order_by("code")
    }
    for code, n in people:
        rows.setdefault(code, GridCoverage(code=code, name=code)).residents = n
    for (_round, code), (n, visitors) in tested.items():
        row = rows.setdefault(code, GridCoverage(code=code, name=code))
        row.tested, row.visitors_tested = row.tested + n, row.visitors_tested + visitors
    _add_targets(rows, round_targets(rounds=[(round, prefixes)])[round.pk], coverage)
    coverage.grids = sorted(rows.values(), key=lambda r: r.code)
    coverage.residents = sum(r.residents for r in coverage.grids)
    coverage.tested = sum(r.tested for r in coverage.grids)
    coverage.visitors_tested = sum(r.visitors_tested for r in coverage.grids)

    # Tubes by the stations that used them, unless the whole round is in view.
    tube_prefixes = None if whole_round(round, prefixes) else prefixes
    figures = tube_figures(round_ids=[round.pk], prefixes=tube_prefixes, now=now)
    coverage.tubes = figures[round.pk]
    if coverage.tubes.overdue:
        coverage.overdue = overdue_tubes(
            round_ids=[round.pk], prefixes=tube_prefixes, now=now, limit=OVERDUE_LIST_LIMIT
        )
    return coverage


def _add_targets(rows: dict[str, GridCoverage], targets: Targets, coverage: Coverage) -> None:
    """Roster members on top of the residents; a retest round's ordered people instead."""
    if targets.only_listed:
        for row in rows.values():
            row.residents = row.tested = row.visitors_tested = 0
    for code, n in targets.expected.items():
        rows.setdefault(code, GridCoverage(code=code, name=code)).residents += n
    for code, n in targets.tested.items():
        rows[code].tested += n
    coverage.listed = targets.expected_total
    coverage.only_listed = targets.only_listed


def _english() -> bool:
    return (get_language() or "").startswith("en")


def untested_residents(
    *, user, round: TestingRound, area_code: str | None = None
) -> QuerySet[Resident]:
    """Residents in scope with no sample in the round, by building, household and id."""
    prefixes = round_prefixes(user=user, round=round, area_code=area_code)
    qs = scoped_residents(user)
    if not prefixes:
        return qs.none()
    sampled = Sample.objects.filter(round=round, resident=OuterRef("pk"))
    if round.kind == RoundKind.RETEST:
        # The people ordered, where their order is (visitors too), not the area's residents.
        where = Q(pk__in=[])
        for p in prefixes:
            where |= within_q(p)
        ordered = RetestOrder.objects.filter(where, retest_round=round).values("resident_id")
        people = qs.filter(pk__in=ordered)
    else:
        people = qs.filter(
            resident_q(prefixes), status=ResidentStatus.ACTIVE, residency__in=IN_SCOPE_RESIDENCY
        )
    return (
        people.filter(~Exists(sampled))
        .select_related("household__building")
        .order_by("area_code", "household__building__code", "household__code", "id")
    )


@dataclass
class BuildingGroup:
    code: str  # "" for residents without an address
    name: str
    grid_code: str
    residents: list[Resident] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.residents)


def untested_by_building(
    *, user, round: TestingRound, area_code: str | None = None
) -> list[BuildingGroup]:
    """The not-yet-tested list for door-knocking: one group per building, people without an
    address last. One query."""
    groups: dict[str, BuildingGroup] = {}
    for r in untested_residents(user=user, round=round, area_code=area_code).prefetch_related(
        "tags"
    ):
        building = r.household.building if r.household_id else None
        key = building.code if building else ""
        if key not in groups:
            groups[key] = BuildingGroup(
                code=key,
                name=building.name if building else "",
                grid_code=building.area_code if building else r.area_code,
            )
        groups[key].residents.append(r)
    return sorted(groups.values(), key=lambda g: (g.code == "", g.code))


def doorknock_tasks(*, user, round: TestingRound, area_code: str | None = None) -> QuerySet[Task]:
    """The round's door-knocking tasks in the part of the round the user sees."""
    require_view(user)
    prefixes = round_prefixes(user=user, round=round, area_code=area_code)
    if not prefixes:
        return Task.objects.none()
    where = Q(pk__in=[])
    for p in prefixes:
        if depth(p) <= 4:
            where |= within_q(p)
        else:
            key = doorknock_key(round.pk, p)
            where |= Q(key=key) | Q(key__startswith=key + "-")
    return (
        Task.objects.filter(where, kind=DOORKNOCK_KIND, key__startswith=f"doorknock:{round.pk}:")
        .select_related("assignee")
        .order_by("state", "key")
    )


# ---------------------------------------------------------------------------------------------
# Map


def coverage_features(*, coverage: Coverage) -> dict:
    """GeoJSON of the grids in a coverage, each with its coverage figures as properties."""
    codes = {g.code: g for g in coverage.grids}
    if not coverage.area_codes:
        return {"type": "FeatureCollection", "features": []}
    node = common_area([grid_of(c) if depth(c) > 4 else c for c in coverage.area_codes])
    features = []
    for f in export_geojson(scope_code=node, level="grid")["features"]:
        row = codes.get(f["id"])
        if row is None or not f.get("geometry"):
            continue
        props = {k: v for k, v in f["properties"].items() if k in ("code", "name_zh", "name_en")}
        props.update(
            name=row.name,
            residents=row.residents,
            tested=row.tested,
            untested=row.untested,
            percent=row.percent,
        )
        features.append({**f, "properties": props})
    return {"type": "FeatureCollection", "features": features}
