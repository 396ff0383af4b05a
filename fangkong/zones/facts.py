"""What the lifting evaluation needs to know about many zones at once, in a fixed number of
grouped queries: the people inside (by grid), the last infection found inside, the scheduled
rounds and how they went for the zone's people, and the zones that must be lifted first.

The daily pass over hundreds of zones and the zone page read the same facts through the same
code, so there is one rule. Which zone holds a home is `selectors.residents_q`'s rule (a grid
by the resident's grid code, a building or compound through the household's building),
applied in Python to homes grouped by (grid code, building): a query per fact, not per zone.
Internal reads: callers check the user's scope.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fangkong.core.areas import AreaCode
from fangkong.geo.models import Building
from fangkong.people.models import HealthStatus, Resident, ResidentStatus, ResidentTag
from fangkong.testing.selectors import last_positive_samples, results_by_area

from .models import MemberType, RiskZone, ZoneMember, ZoneRound, ZoneStatus
from .protocols import zone_rule

COUNTS = ("residents", "elderly_alone", "medical_trips")


@dataclass
class RoundResult:
    """How a scheduled round went for the people inside the zone."""

    day: int
    round_id: int
    name: str
    starts_at: object
    due_at: object
    status: str
    inside: int = 0
    sampled: int = 0
    negative: int = 0
    positive: int = 0

    @property
    def pending(self) -> int:
        return max(self.sampled - self.negative - self.positive, 0)

    @property
    def complete(self) -> bool:
        return self.inside > 0 and self.sampled >= self.inside

    @property
    def all_negative(self) -> bool:
        return self.complete and self.positive == 0 and self.negative >= self.inside

    @property
    def percent(self) -> float | None:
        return round(100 * self.sampled / self.inside, 1) if self.inside else None


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


@dataclass
class _Rules:
    """One zone's members, as the membership test needs them."""

    grids: set[str] = field(default_factory=set)
    buildings: set[str] = field(default_factory=set)
    building_grids: set[str] = field(default_factory=set)
    compounds: set[str] = field(default_factory=set)
    communities: tuple[str, ...] = ()


class Membership:
    """Which of the given zones hold a home (a resident's grid code and household building).

    The same rule as `selectors.residents_q`: a grid member holds the residents with its grid
    code; a building member those living in it whose grid code is one of the zone's building
    grids; a compound member those living in its buildings whose grid lies in one of the zone's
    compound communities.
    """

    def __init__(self, members: dict[int, list[ZoneMember]]):
        self.rules: dict[int, _Rules] = {}
        self.by_grid: dict[str, set[int]] = defaultdict(set)
        self.by_building: dict[str, set[int]] = defaultdict(set)
        self.by_compound: dict[str, set[int]] = defaultdict(set)
        for zone_id, rows in members.items():
            r = self.rules[zone_id] = _Rules()
            for m in rows:
                if m.node_type == MemberType.GRID:
                    r.grids.add(m.code)
                    self.by_grid[m.code].add(zone_id)
                elif m.node_type == MemberType.BUILDING:
                    r.buildings.add(m.code)
                    r.building_grids.add(m.code.rsplit("-", 1)[0])
                    self.by_building[m.code].add(zone_id)
                elif m.node_type == MemberType.COMPOUND:
                    r.compounds.add(m.code)
                    self.by_compound[m.code].add(zone_id)
            r.communities = tuple(
                sorted({c.split("-C")[0] + "-" for c in r.compounds}),
            )
        # id → (code, compound code) of every building a member names or holds
        self.homes: dict[int, tuple[str, str]] = {}
        self.grids_of: dict[str, set[str]] = defaultdict(set)  # building/compound → grids

    def load_buildings(self) -> None:
        """The buildings of the building and compound members: one query."""
        codes, compounds = list(self.by_building), list(self.by_compound)
        if not codes and not compounds:
            return
        rows = Building.objects.filter(Q(code__in=codes) | Q(compound__code__in=compounds))
        for pk, code, grid, compound in rows.values_list(
            "id", "code", "area_code", "compound__code"
        ):
            self.homes[pk] = (code, compound or "")
            self.grids_of[code].add(grid)
            if compound:
                self.grids_of[compound].add(grid)

    def each(self, qs: QuerySet, rel: str = "") -> Iterable[dict]:
        """`qs` (a values queryset) narrowed to the residents who may live in one of the zones:
        a superset, `zones_of` decides. By grid code, and by household building, each on its
        own index in one UNION ALL query (OR-ed in one WHERE, they make PostgreSQL read every
        resident of the district). A resident may come once from each part."""
        parts = []
        if self.by_grid:
            parts.append(qs.filter(**{f"{rel}area_code__in": sorted(self.by_grid)}))
        if self.homes:
            parts.append(qs.filter(**{f"{rel}household__building_id__in": sorted(self.homes)}))
        if not parts:
            return []
        return parts[0].union(*parts[1:], all=True).order_by() if len(parts) > 1 else parts[0]

    def zones_of(self, grid: str | None, building_id: int | None) -> set[int]:
        found = set(self.by_grid.get(grid, ())) if grid else set()
        home = self.homes.get(building_id) if building_id is not None else None
        if home is None or not grid:
            return found
        code, compound = home
        for zone_id in self.by_building.get(code, ()):
            if grid in self.rules[zone_id].building_grids:
                found.add(zone_id)
        for zone_id in self.by_compound.get(compound, ()) if compound else ():
            if grid.startswith(self.rules[zone_id].communities):
                found.add(zone_id)
        return found

    def grid_codes(self, zone_id: int) -> list[str]:
        """The grids the zone's members lie in (`selectors.zone_grid_codes`)."""
        r = self.rules[zone_id]
        grids = set(r.grids)
        for code in r.buildings | r.compounds:
            grids |= self.grids_of.get(code, set())
        return sorted(grids)


@dataclass
class ZoneFacts:
    """What is known about one zone now."""

    zone: RiskZone
    grids: list[str] = field(default_factory=list)
    people: dict[str, int] = field(default_factory=_zero)
    people_by_grid: dict[str, dict[str, int]] = field(default_factory=dict)
    last_infection_at: dt.datetime | None = None
    rounds: list[RoundResult] = field(default_factory=list)  # by day; see `gather`
    last_day: int = 0  # the schedule's last day
    blocking_zones: int = 0  # active zones of the kinds the protocol wants lifted first


def _members(zones: Sequence[RiskZone]) -> dict[int, list[ZoneMember]]:
    out: dict[int, list[ZoneMember]] = {}
    rest = []
    for z in zones:
        if "members" in getattr(z, "_prefetched_objects_cache", {}):
            out[z.pk] = list(z.members.all())
        else:
            out[z.pk] = []
            rest.append(z.pk)
    if rest:
        for m in ZoneMember.objects.filter(zone_id__in=rest).order_by("zone_id", "code"):
            out[m.zone_id].append(m)
    return out


def _people(facts: dict[int, ZoneFacts], where: Membership) -> None:
    """Residents inside each zone, by grid, with the special-needs counts: two queries."""
    rows = {
        (r["area_code"], r["household__building_id"]): r["residents"]
        for r in where.each(
            Resident.objects.filter(status=ResidentStatus.ACTIVE)
            .values("area_code", "household__building_id")
            .annotate(residents=Count("id"))
            .order_by()
        )
    }
    # Tags counted apart: joined to the residents above, they would need COUNT(DISTINCT).
    tags: dict[tuple, dict[str, int]] = defaultdict(dict)
    for r in where.each(
        ResidentTag.objects.filter(
            tag__in=["elderly_alone", "medical_trips"], resident__status=ResidentStatus.ACTIVE
        )
        .values("resident__area_code", "resident__household__building_id", "tag")
        .annotate(n=Count("id"))
        .order_by(),
        "resident__",
    ):
        tags[(r["resident__area_code"], r["resident__household__building_id"])][r["tag"]] = r["n"]
    for (area, building), residents in rows.items():
        counts = {"residents": residents, **dict.fromkeys(COUNTS[1:], 0), **tags[(area, building)]}
        for zone_id in where.zones_of(area, building):
            f = facts[zone_id]
            grid = f.people_by_grid.setdefault(area, _zero())
            for key in COUNTS:
                f.people[key] += counts[key]
                grid[key] += counts[key]


def _infections(facts: dict[int, ZoneFacts], where: Membership) -> None:
    """When the last infection inside each zone was found: the latest positive sample of a
    resident now marked "case to investigate", else the time their status changed."""
    rows = list(
        where.each(
            Resident.objects.filter(
                status=ResidentStatus.ACTIVE, health_status=HealthStatus.CASE_TO_INVESTIGATE
            )
            .values("id", "area_code", "household__building_id", "updated_at")
            .order_by()
        )
    )
    sampled = last_positive_samples(resident_ids=[row["id"] for row in rows])
    for row in rows:
        found = sampled.get(row["id"]) or row["updated_at"]
        for zone_id in where.zones_of(row["area_code"], row["household__building_id"]):
            f = facts[zone_id]
            if f.last_infection_at is None or found > f.last_infection_at:
                f.last_infection_at = found


_SCHEDULE = ("zone_id", "day", "round_id", "round__name", "round__starts_at")
_SCHEDULE += ("round__due_at", "round__status")


def _schedules(facts: dict[int, ZoneFacts]) -> None:
    """Each zone's scheduled rounds, by day: one query."""
    rows = ZoneRound.objects.filter(zone_id__in=list(facts)).order_by("zone_id", "day")
    for zone_id, day, round_id, name, starts_at, due_at, status in rows.values_list(*_SCHEDULE):
        f = facts[zone_id]
        f.last_day = max(f.last_day, day)
        f.rounds.append(
            RoundResult(
                day=day,
                round_id=round_id,
                name=name,
                starts_at=starts_at,
                due_at=due_at,
                status=status,
                inside=f.people["residents"],
            )
        )


def _round_results(rows: dict[int, tuple[int, RoundResult]], where: Membership) -> None:
    """Fill each round's sampled, negative and positive counts for its zone's people (one
    grouped query): testing's rule, a member of a positive pool who re-tested negative by
    single tube counts as negative."""
    if not rows:
        return
    # The rounds' people by home; those living outside the round's zone are left out.
    found = results_by_area(round_ids=rows)
    for (round_id, grid, building), counts in found.items():
        zone_id, row = rows[round_id]
        if zone_id in where.zones_of(grid, building):
            row.sampled += counts.sampled
            row.negative += counts.negative
            row.positive += counts.positive


def _blocking(facts: dict[int, ZoneFacts]) -> None:
    """Active zones of the kinds each zone's protocol wants lifted first, in its district
    (itself excluded): one query."""
    wanted: dict[int, list[str]] = {}
    for zone_id, f in facts.items():
        rule = zone_rule(f.zone.protocol.data, f.zone.kind) or {}
        wanted[zone_id] = (rule.get("lift") or {}).get("requires_lifted") or []
    kinds = sorted({k for ks in wanted.values() for k in ks})
    if not kinds:
        return
    active = list(
        RiskZone.objects.filter(status=ZoneStatus.ACTIVE, kind__in=kinds).values_list(
            "id", "kind", "area_code"
        )
    )
    for zone_id, ks in wanted.items():
        if not ks:
            continue
        district = AreaCode(facts[zone_id].zone.area_code).district
        facts[zone_id].blocking_zones = sum(
            1
            for pk, kind, area in active
            if pk != zone_id and kind in ks and area.startswith(district)
        )


def gather(
    zones: Iterable[RiskZone],
    *,
    now: dt.datetime | None = None,
    results: str = "final",
    checklist: bool = True,
) -> dict[int, ZoneFacts]:
    """The facts of each zone, keyed by id, in a fixed number of queries whatever the number
    of zones (zones come with their protocol).

    `results` says which rounds get their results counted: "final" (the last round started by
    `now`, all the checklist needs), "all" (the zone page) or "none". Without `checklist`, the
    last infection and the blocking zones are left out.
    """
    now = now or timezone.now()
    zones = list(zones)
    facts = {z.pk: ZoneFacts(zone=z) for z in zones}
    if not facts:
        return facts
    where = Membership(_members(zones))
    where.load_buildings()
    for zone_id, f in facts.items():
        f.grids = where.grid_codes(zone_id)
    _people(facts, where)
    if checklist:
        _infections(facts, where)
        _blocking(facts)
    if results != "none":
        _schedules(facts)
    counted: dict[int, tuple[int, RoundResult]] = {}
    for zone_id, f in facts.items():
        if results == "all":
            counted.update((r.round_id, (zone_id, r)) for r in f.rounds)
        elif results == "final" and (final := final_round(f.rounds, now)) is not None:
            counted[final.round_id] = (zone_id, final)
    _round_results(counted, where)
    return facts


def final_round(rounds: Sequence[RoundResult], now: dt.datetime) -> RoundResult | None:
    """The latest scheduled round that has started by `now`."""
    started = [r for r in rounds if r.starts_at <= now]
    return started[-1] if started else None
