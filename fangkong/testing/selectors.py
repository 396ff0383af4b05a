"""Reads for mass testing: rounds, live coverage, the not-yet-tested list, round statistics.

Every read that touches people takes the requesting user and starts from
`people.selectors.scoped_residents`, so nothing outside the user's scope is counted or listed.
Coverage is a handful of grouped queries (residents GROUP BY grid, samples GROUP BY grid with
COUNT(DISTINCT resident)), never a Python loop over residents; its query count does not grow
with the number of residents or grids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.areas import is_within
from fangkong.core.errors import PermissionDeniedError
from fangkong.geo.models import Grid
from fangkong.people.models import Resident, ResidentStatus
from fangkong.people.selectors import IN_SCOPE_RESIDENCY, population_by_grid, scoped_residents
from fangkong.work.models import Task

from .models import RoundMember, RoundTally, Sample, TestingRound, Tube, TubeKind, TubeState

DOORKNOCK_KIND = "door_knock"
OVERDUE_LIST_LIMIT = 200

# Setting name → default (hours). PROTOCOL_FACTS: results of a single tube within 6 h, of a
# pooled tube within 24 h (local practice, so configurable), counted from the first sample.
OVERDUE_DEFAULTS = {
    "FANGKONG_TUBE_RECEIPT_HOURS": 4,
    "FANGKONG_RESULT_HOURS_SINGLE": 6,
    "FANGKONG_RESULT_HOURS_POOLED": 24,
}


def overdue_hours(name: str) -> float:
    return getattr(settings, name, OVERDUE_DEFAULTS[name])


def doorknock_key(round_pk: int, building_code: str) -> str:
    return f"doorknock:{round_pk}:{building_code}"


# ---------------------------------------------------------------------------------------------
# Scope


def _depth(code: str) -> int:
    return len(code.split("-"))


def _grid_of(code: str) -> str:
    return "-".join(code.split("-")[:4])


def round_prefixes(*, user, round: TestingRound, area_code: str | None = None) -> list[str]:
    """The area codes where the round, the user's scope and the requested node overlap.

    Each is a node of the tree; a resident, sample or tube is in view when it lies at or below
    one of them. Empty when the user's scope and the round do not meet.
    """
    base = user.scope_code
    if area_code:
        if is_within(area_code, base):
            base = area_code
        elif not is_within(base, area_code):
            return []
    found: list[str] = []
    for code in round.scope_codes:
        if is_within(code, base):
            found.append(code)
        elif is_within(base, code):
            found.append(base)
    # Drop codes that lie under another one, so nothing is counted twice.
    unique = sorted(set(found))
    return [c for c in unique if not any(c != o and is_within(c, o) for o in unique)]


def _resident_q(prefixes: list[str], rel: str = "") -> Q:
    q = Q()
    for p in prefixes:
        depth = _depth(p)
        if depth <= 4:  # residents carry their grid's code
            q |= Q(**{f"{rel}area_code": p}) | Q(**{f"{rel}area_code__startswith": p + "-"})
        elif depth == 5:
            q |= Q(**{f"{rel}household__building__code": p})
        else:
            q |= Q(**{f"{rel}household__code": p})
    return q


def _tube_q(prefixes: list[str]) -> Q:
    """Tubes by the area of the station that used them (unused ones by their own area)."""
    q = Q(pk__in=[])
    for p in prefixes:
        if _depth(p) > 4:
            continue  # stations stand in grids or communities, never in one building
        q |= Q(station__area_code=p) | Q(station__area_code__startswith=p + "-")
        q |= Q(station__isnull=True) & (Q(area_code=p) | Q(area_code__startswith=p + "-"))
    return q


def _grid_q(prefixes: list[str]) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        if _depth(p) <= 4:
            q |= Q(code=p) | Q(code__startswith=p + "-")
        else:
            q |= Q(code=_grid_of(p))
    return q


def _whole_round(round: TestingRound, prefixes: list[str]) -> bool:
    return bool(prefixes) and all(
        any(is_within(code, p) for p in prefixes) for code in round.scope_codes
    )


def _require_view(user) -> None:
    if not can(user, "view_residents"):
        raise PermissionDeniedError(
            field="residents",
            code="forbidden",
            message=_("Your role or area does not allow this."),
        )


def may_manage_rounds(user, area_code: str | None = None) -> bool:
    """Create rounds and generate door-knocking tasks, inside the user's scope."""
    return can(user, "manage_rounds", area_code)


def rounds_for_user(user) -> list[TestingRound]:
    """Rounds whose areas meet the user's scope, newest first."""
    _require_view(user)
    scope = user.scope_code
    parents = [scope.rsplit("-", n)[0] for n in range(_depth(scope))]
    candidates = TestingRound.objects.filter(
        Q(area_code__in=parents) | Q(area_code__startswith=scope + "-")
    ).select_related("created_by")
    return [r for r in candidates if round_prefixes(user=user, round=r)]


def get_round(*, user, pk: int) -> TestingRound | None:
    """The round if it exists and meets the user's scope."""
    _require_view(user)
    round_ = TestingRound.objects.filter(pk=pk).first()
    if round_ is None or not round_prefixes(user=user, round=round_):
        return None
    return round_


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
class OverdueTube:
    barcode: str
    state: str
    state_label: str
    capacity: int
    kind: str
    reason: str  # "not_received" | "no_result"
    since: dt.datetime
    limit_hours: float
    hours_waiting: float
    station: str
    box: str


@dataclass
class Coverage:
    round_id: int
    area_codes: list[str]
    residents: int = 0
    tested: int = 0
    visitors_tested: int = 0
    tubes_by_state: dict[str, int] = field(default_factory=dict)
    tubes_total: int = 0
    overdue_count: int = 0
    overdue: list[OverdueTube] = field(default_factory=list)
    grids: list[GridCoverage] = field(default_factory=list)

    @property
    def untested(self) -> int:
        return max(self.residents - self.tested, 0)

    @property
    def percent(self) -> float | None:
        return round(100 * self.tested / self.residents, 1) if self.residents else None


def _overdue_q(now: dt.datetime) -> Q:
    receipt = now - dt.timedelta(hours=overdue_hours("FANGKONG_TUBE_RECEIPT_HOURS"))
    single = now - dt.timedelta(hours=overdue_hours("FANGKONG_RESULT_HOURS_SINGLE"))
    pooled = now - dt.timedelta(hours=overdue_hours("FANGKONG_RESULT_HOURS_POOLED"))

    def started_before(moment: dt.datetime) -> Q:
        # The clock runs from the first sample (the person's wait), else from sealing.
        return Q(first_sample_at__lt=moment) | Q(first_sample_at__isnull=True, sealed_at__lt=moment)

    return (
        Q(state__in=[TubeState.SEALED, TubeState.BOXED], sealed_at__lt=receipt)
        | (Q(state=TubeState.RECEIVED, capacity=1) & started_before(single))
        | (Q(state=TubeState.RECEIVED, capacity__gt=1) & started_before(pooled))
    )


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
    if all(_depth(p) <= 4 for p in prefixes) and _depth(scope) <= 4:
        rows = (
            RoundTally.objects.filter(_resident_q(prefixes), _resident_q([scope]))
            .filter(round_id__in=round_ids)
            .values_list("round_id", "area_code", "tested", "visitors")
        )
        return {(r, code): (n, v) for r, code, n, v in rows}
    members = (
        RoundMember.objects.filter(
            _resident_q(prefixes, "resident__"), _resident_q([scope], "resident__")
        )
        .filter(round_id__in=round_ids)
        .values_list("round_id", "area_code")
        .annotate(
            n=Count("id", filter=Q(visitor=False)), visitors=Count("id", filter=Q(visitor=True))
        )
        .order_by()
    )
    return {(r, code): (n, v) for r, code, n, v in members}


def round_coverage(
    *, user, round: TestingRound, area_code: str | None = None, now: dt.datetime | None = None
) -> Coverage:
    """Residents in scope, tested, not yet tested and visitors tested, by grid; tubes by state
    and overdue tubes — for the part of `round` under `area_code` the user may see.

    Residents in scope are active, registered or floating; visitors (registered at sampling)
    are counted apart. Tested = distinct residents with a sample in the round.
    """
    _require_view(user)
    prefixes = round_prefixes(user=user, round=round, area_code=area_code)
    coverage = Coverage(round_id=round.pk, area_codes=prefixes)
    if not prefixes:
        return coverage
    now = now or timezone.now()
    where = _resident_q(prefixes)
    if all(_depth(p) <= 4 for p in prefixes):
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
        for code, name_zh, name_en in Grid.objects.filter(_grid_q(prefixes))
        .values_list("code", "name_zh", "name_en")
        .order_by("code")
    }
    for code, n in people:
        rows.setdefault(code, GridCoverage(code=code, name=code)).residents = n
    for (_round, code), (n, visitors) in tested.items():
        row = rows.setdefault(code, GridCoverage(code=code, name=code))
        row.tested, row.visitors_tested = row.tested + n, row.visitors_tested + visitors
    coverage.grids = sorted(rows.values(), key=lambda r: r.code)
    coverage.residents = sum(r.residents for r in coverage.grids)
    coverage.tested = sum(r.tested for r in coverage.grids)
    coverage.visitors_tested = sum(r.visitors_tested for r in coverage.grids)

    tubes = Tube.objects.filter(round=round)
    if not _whole_round(round, prefixes):
        tubes = tubes.filter(_tube_q(prefixes))
    late = _overdue_q(now)
    by_state = tubes.values_list("state").annotate(n=Count("id"), late=Count("id", filter=late))
    states = {s.value: 0 for s in TubeState}
    for state, n, n_late in by_state.order_by():
        states[state] = n
        coverage.overdue_count += n_late
    coverage.tubes_by_state = states
    coverage.tubes_total = sum(states.values())
    if coverage.overdue_count:
        coverage.overdue = _overdue_list(tubes.filter(late), now)
    return coverage


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _overdue_list(tubes: QuerySet[Tube], now: dt.datetime) -> list[OverdueTube]:
    out = []
    for t in tubes.select_related("station", "box").order_by("sealed_at", "id")[
        :OVERDUE_LIST_LIMIT
    ]:
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
        out.append(
            OverdueTube(
                barcode=t.barcode,
                state=t.state,
                state_label=str(TubeState(t.state).label),
                capacity=t.capacity,
                kind=t.kind,
                reason=reason,
                since=since,
                limit_hours=limit,
                hours_waiting=round((now - since).total_seconds() / 3600, 1),
                station=t.station.name if t.station_id else "",
                box=t.box.code if t.box_id else "",
            )
        )
    return out


def untested_residents(
    *, user, round: TestingRound, area_code: str | None = None
) -> QuerySet[Resident]:
    """Residents in scope with no sample in the round, by building, household and id."""
    prefixes = round_prefixes(user=user, round=round, area_code=area_code)
    qs = scoped_residents(user)
    if not prefixes:
        return qs.none()
    sampled = Sample.objects.filter(round=round, resident=OuterRef("pk"))
    return (
        qs.filter(
            _resident_q(prefixes), status=ResidentStatus.ACTIVE, residency__in=IN_SCOPE_RESIDENCY
        )
        .filter(~Exists(sampled))
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
    _require_view(user)
    prefixes = round_prefixes(user=user, round=round, area_code=area_code)
    if not prefixes:
        return Task.objects.none()
    where = Q(pk__in=[])
    for p in prefixes:
        if _depth(p) <= 4:
            where |= Q(area_code=p) | Q(area_code__startswith=p + "-")
        else:
            where |= Q(key=doorknock_key(round.pk, "-".join(p.split("-")[:5])))
    return (
        Task.objects.filter(where, kind=DOORKNOCK_KIND, key__startswith=f"doorknock:{round.pk}:")
        .select_related("assignee")
        .order_by("state", "key")
    )


# ---------------------------------------------------------------------------------------------
# Round statistics in the bulletin's form


def round_statistics(round: TestingRound) -> dict:
    """Tubes and people by pool size, and environmental tubes and swab points, from the rows.

    Aggregates over the whole round, with no personal data: the figures a bulletin prints.
    People tubes count when they hold at least one sample; environmental tubes once collected.
    """
    people = [
        {"capacity": capacity, "tubes": tubes, "people": n}
        for capacity, tubes, n in Sample.objects.filter(round=round, tube__kind=TubeKind.PEOPLE)
        .values_list("tube__capacity")
        .annotate(tubes=Count("tube_id", distinct=True), n=Count("id"))
        .order_by("-tube__capacity")
    ]
    env = (
        Tube.objects.filter(round=round, kind=TubeKind.ENVIRONMENT)
        .exclude(state=TubeState.OPEN)
        .aggregate(tubes=Count("id"), points=Sum("swab_points"))
    )
    environment = {"tubes": env["tubes"] or 0, "points": env["points"] or 0}
    return {
        "round_id": round.pk,
        "people": people,
        "environment": environment,
        "people_tubes": sum(r["tubes"] for r in people),
        "people_total": sum(r["people"] for r in people),
        "tubes_total": sum(r["tubes"] for r in people) + environment["tubes"],
    }


def bulletin_phrase(stats: dict, lang: str = "zh-hans") -> str:
    """The sentence a bulletin prints, e.g. "采集20:1标本360管6799人,外环境样本8管80个点位".

    This is a document format, not interface text: the Chinese wording is the bulletin's own
    and must come out the same whatever the catalogue says, so both languages are built here.
    """
    env = stats.get("environment") or {"tubes": 0, "points": 0}
    rows = stats.get("people") or []
    if (lang or "").lower().startswith("zh"):
        parts = [
            f"单采单检{r['tubes']}管{r['people']}人"
            if r["capacity"] == 1
            else f"{r['capacity']}:1标本{r['tubes']}管{r['people']}人"
            for r in rows
        ]
        env_part = f"外环境样本{env['tubes']}管{env['points']}个点位" if env["tubes"] else ""
        if not parts and not env_part:
            return "尚未采集样本"
        text = "采集" + "、".join(parts)
        if env_part:
            text += ("," if parts else "") + env_part
        return text

    def plural(n: int, one: str, many: str) -> str:
        return f"{n:,} {one if n == 1 else many}"

    parts = []
    for r in rows:
        tubes, people = plural(r["tubes"], "tube", "tubes"), plural(r["people"], "person", "people")
        if r["capacity"] == 1:
            tubes = plural(r["tubes"], "single tube", "single tubes")
            parts.append(f"{tubes} from {people}")
        else:
            parts.append(f"{tubes} of {r['capacity']}:1 pooled samples from {people}")
    env_part = (
        f"{plural(env['tubes'], 'environmental tube', 'environmental tubes')} from "
        f"{plural(env['points'], 'swab point', 'swab points')}"
        if env["tubes"]
        else ""
    )
    if not parts and not env_part:
        return "No samples collected yet"
    if not parts:
        return f"Collected {env_part}"
    people_text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Collected {people_text}, plus {env_part}" if env_part else f"Collected {people_text}"


# ---------------------------------------------------------------------------------------------
# Map


def coverage_features(*, coverage: Coverage) -> dict:
    """GeoJSON of the grids in a coverage, each with its coverage figures as properties."""
    from fangkong.geo.services import export_geojson

    from .services.rounds import common_area

    codes = {g.code: g for g in coverage.grids}
    if not coverage.area_codes:
        return {"type": "FeatureCollection", "features": []}
    node = common_area([_grid_of(c) if _depth(c) > 4 else c for c in coverage.area_codes])
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
