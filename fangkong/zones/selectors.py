"""Reads over zones: who is inside, which regime applies where, and the user's zones.

The people inside a zone are one set-based query over its members (grids by the residents'
grid code, buildings and compounds through the household), never a loop over rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.permissions import can
from fangkong.core.areas import AreaCode, is_within, within_q
from fangkong.core.errors import PermissionDeniedError, out_of_scope
from fangkong.geo.models import Building, Compound, Grid
from fangkong.geo.services import export_geojson
from fangkong.people.area_counts import resident_counts
from fangkong.people.models import Resident, ResidentStatus

from .facts import RoundResult, gather
from .models import MemberType, RiskZone, ZoneKind, ZoneMember, ZoneStatus


def _codes(members: Iterable, node_type: str) -> list[str]:
    return [m.code for m in members if m.node_type == node_type]


def residents_q(members: Iterable, rel: str = "") -> Q:
    """Residents living in any of the members (a zone's or a list about to become one)."""
    members = list(members)
    q = Q(pk__in=[])
    if grids := _codes(members, MemberType.GRID):
        q |= Q(**{f"{rel}area_code__in": grids})
    # Residents carry their grid's code: narrowing on that indexed column first keeps a
    # building's or compound's lookup to one grid or community instead of the whole district.
    if buildings := _codes(members, MemberType.BUILDING):
        grids_of = sorted({code.rsplit("-", 1)[0] for code in buildings})
        q |= Q(
            **{f"{rel}area_code__in": grids_of, f"{rel}household__building__code__in": buildings}
        )
    if compounds := _codes(members, MemberType.COMPOUND):
        near = Q()
        for community in sorted({code.split("-C")[0] for code in compounds}):
            near |= Q(**{f"{rel}area_code__startswith": community + "-"})
        q |= near & Q(**{f"{rel}household__building__compound__code__in": compounds})
    return q


def buildings_q(members: Iterable) -> Q:
    members = list(members)
    q = Q(pk__in=[])
    if grids := _codes(members, MemberType.GRID):
        q |= Q(grid__code__in=grids)
    if buildings := _codes(members, MemberType.BUILDING):
        q |= Q(code__in=buildings)
    if compounds := _codes(members, MemberType.COMPOUND):
        q |= Q(compound__code__in=compounds)
    return q


def zone_buildings(members: Iterable) -> QuerySet[Building]:
    return Building.objects.filter(buildings_q(members))


def zone_grid_codes(members: Iterable) -> list[str]:
    """The grids the members lie in (a compound's buildings may span several)."""
    members = list(members)
    grids = set(_codes(members, MemberType.GRID))
    others = [m for m in members if m.node_type != MemberType.GRID]
    if others:
        grids |= set(zone_buildings(others).values_list("area_code", flat=True).distinct())
    return sorted(grids)


def count_people(members: Iterable) -> dict[str, int]:
    """Residents inside, and those living alone in old age or needing medical trips: one query."""
    counts = Resident.objects.filter(residents_q(members), status=ResidentStatus.ACTIVE).aggregate(
        residents=Count("id", distinct=True),
        elderly_alone=Count("id", distinct=True, filter=Q(tags__tag="elderly_alone")),
        medical_trips=Count("id", distinct=True, filter=Q(tags__tag="medical_trips")),
    )
    return {k: v or 0 for k, v in counts.items()}


# ---------------------------------------------------------------------------------------------
# Which regime applies here: overlaps resolve to the strictest zone


@dataclass(frozen=True)
class Applicable:
    """The regime that applies to a place or person and the zone that imposes it."""

    regime: str | None
    zone: RiskZone | None

    @property
    def zone_kind(self) -> str | None:
        return self.zone.kind if self.zone else None


NO_ZONE = Applicable(None, None)


def _node_codes(*, building_code: str = "", grid_code: str = "", compound_code: str = "") -> list:
    return [c for c in (building_code, grid_code, compound_code) if c]


def applicable_zone(
    *, building_code: str = "", grid_code: str = "", compound_code: str = ""
) -> Applicable:
    """The strictest active zone holding this building (or grid): one query.

    Sealed beats controlled beats precaution; a standstill counts as sealed. Between two
    zones of the same strictness the more recent one is named.
    """
    codes = _node_codes(
        building_code=building_code, grid_code=grid_code, compound_code=compound_code
    )
    if not codes:
        return NO_ZONE
    zone = (
        RiskZone.objects.filter(status=ZoneStatus.ACTIVE, members__code__in=codes)
        .order_by("-strictness", "-designated_at", "-id")
        .first()
    )
    return Applicable(zone.regime, zone) if zone else NO_ZONE


def applicable_zone_for_building(building: Building) -> Applicable:
    compound = building.compound.code if building.compound_id else ""
    return applicable_zone(
        building_code=building.code, grid_code=building.area_code, compound_code=compound
    )


def applicable_zone_for_resident(resident: Resident) -> Applicable:
    """Where the resident lives decides; without a household, their grid does."""
    building = resident.household.building if resident.household_id else None
    if building is None:
        return applicable_zone(grid_code=resident.area_code)
    return applicable_zone_for_building(building)


# ---------------------------------------------------------------------------------------------
# The user's zones


def _require_view(user) -> None:
    if not can(user, "view_zones"):
        raise PermissionDeniedError(
            field="zones", code="forbidden", message=_("Your role or area does not allow this.")
        )


def _meets(code: str, scope: str) -> bool:
    return is_within(code, scope) or is_within(scope, code)


def zone_in_scope(zone: RiskZone, scope: str) -> bool:
    """A member lies in the user's scope, or the user's node lies inside a member."""
    return any(_meets(m.area_code, scope) for m in zone.members.all())


def zones_for_user(user, *, status: str | None = None, summary: bool = False) -> list[RiskZone]:
    """Zones meeting the user's scope, newest first (members prefetched).

    `summary` loads only what a list shows (name, kind, people): no shape, no protocol text,
    which for the dashboard's 500 zones was 0.2 s of JSON decoding per refresh.
    """
    _require_view(user)
    scope = user.scope_code
    parents = AreaCode(scope).lineage
    qs = RiskZone.objects.filter(Q(area_code__in=parents) | within_q(scope)).prefetch_related(
        "members"
    )
    if summary:
        qs = qs.only("id", "name", "kind", "status", "area_code", "residents", "designated_at")
    else:
        qs = qs.select_related("protocol", "designated_by")
    if status:
        qs = qs.filter(status=status)
    return [z for z in qs if zone_in_scope(z, scope)]


def get_zone(*, user, pk: int) -> RiskZone | None:
    """The zone, or None when there is none; one outside the user's area is refused."""
    _require_view(user)
    zone = (
        RiskZone.objects.select_related("protocol", "designated_by", "ended_by")
        .prefetch_related("members")
        .filter(pk=pk)
        .first()
    )
    if zone is not None and not zone_in_scope(zone, user.scope_code):
        raise out_of_scope(object_type="risk_zone", object_id=pk, area_code=zone.area_code)
    return zone


def member_refs(members: Iterable[ZoneMember]) -> dict[str, list[ZoneMember]]:
    """Members by type, for pages and notices."""
    out: dict[str, list[ZoneMember]] = {t.value: [] for t in MemberType}
    for m in members:
        out[m.node_type].append(m)
    return out


# ---------------------------------------------------------------------------------------------
# Maps: grids, compounds and buildings coloured by the regime that applies there


def _active_member_regimes() -> dict[str, tuple[int, str, int, str]]:
    """Member code → (strictness, regime, zone id, zone kind) of the strictest active zone."""
    best: dict[str, tuple[int, str, int, str]] = {}
    rows = ZoneMember.objects.filter(zone__status=ZoneStatus.ACTIVE).values_list(
        "code", "zone__strictness", "zone__regime", "zone_id", "zone__kind"
    )
    for code, strictness, regime, zone_id, kind in rows:
        if code not in best or strictness > best[code][0]:
            best[code] = (strictness, regime, zone_id, kind)
    return best


def map_features(*, user, levels: Iterable[str] = ("grid", "compound", "building")) -> dict:
    """The user's area as GeoJSON, each shape with the regime and zone that apply there.

    Shapes come from geo's export; a compound drawn without a shape of its own gets the union
    of its buildings'. Checkpoints (places of kind checkpoint) come as points.
    """

    _require_view(user)
    regimes = _active_member_regimes()
    scope = user.scope_code
    features: list[dict] = []
    levels = list(levels)
    buildings: dict[str, tuple[str, str]] = {}
    if "building" in levels or "compound" in levels:
        qs = Building.objects.filter(within_q(scope))
        if scope.count("-") >= 4:
            qs = Building.objects.filter(code=scope)
        for code, grid, compound in qs.values_list("code", "area_code", "compound__code"):
            buildings[code] = (grid, compound or "")
    for level in levels:
        if level == "checkpoint":
            data = export_geojson(scope_code=scope, level="place")
            features += [f for f in data["features"] if f["properties"].get("kind") == "checkpoint"]
            continue
        data = export_geojson(scope_code=scope, level=level, count=resident_counts)
        if level == "compound":
            _fill_compound_shapes(data["features"])
        for f in data["features"]:
            code = f["properties"]["code"]
            candidates = [code]
            if level == "building" and code in buildings:
                candidates += [c for c in buildings[code] if c]
            elif level == "compound":
                candidates += sorted({g for g, c in buildings.values() if c == code})
            hits = [regimes[c] for c in candidates if c in regimes]
            top = max(hits) if hits else None
            f["properties"].update(
                regime=top[1] if top else None,
                zone_id=top[2] if top else None,
                zone_kind=top[3] if top else None,
                zone_kind_label=str(ZoneKind(top[3]).label) if top else None,
            )
            if f.get("geometry"):
                features.append(f)
    return {"type": "FeatureCollection", "features": features}


def _fill_compound_shapes(features: list[dict]) -> None:

    bare = [f["properties"]["code"] for f in features if not f.get("geometry")]
    if not bare:
        return
    shapes: dict[str, list] = {}
    rows = Building.objects.filter(compound__code__in=bare).values_list(
        "compound__code", "geometry"
    )
    for code, geometry in rows:
        if geometry and geometry.get("type") == "Polygon":
            shapes.setdefault(code, []).append(geometry["coordinates"])
        elif geometry and geometry.get("type") == "MultiPolygon":
            shapes.setdefault(code, []).extend(geometry["coordinates"])
    for f in features:
        polys = shapes.get(f["properties"]["code"])
        if not f.get("geometry") and polys:
            f["geometry"] = {"type": "MultiPolygon", "coordinates": polys}


# ---------------------------------------------------------------------------------------------
# The schedule and its results, for the zone's people only


def round_results(zone: RiskZone) -> list[RoundResult]:
    """Each scheduled round with the zone's residents sampled, negative and positive in it.

    Reads the testing app's samples, tubes and retest orders in grouped queries (shared with
    the lifting evaluation, see `facts`); a member of a positive pool who re-tested negative
    by single tube counts as negative.
    """

    return gather([zone], results="all", checklist=False)[zone.pk].rounds


def zone_name_en(zone: RiskZone) -> str:
    """The zone's English name: its place's when it is named after one of its members (the
    name notices, bulletins and intercom texts all print), else its own name."""
    models = {
        MemberType.COMPOUND: Compound,
        MemberType.BUILDING: Building,
        MemberType.GRID: Grid,
    }
    for member in zone.members.all():
        model = models.get(member.node_type)
        if member.name == zone.name and model is not None:
            name = model.objects.filter(code=member.code).values_list("name_en", flat=True).first()
            if name:
                return name
    return zone.name


# ---------------------------------------------------------------------------------------------
# The zone page's map frame

MAP_PAD = 0.15  # of the zone's width and height, on each side: its outline never touches the edge
MAP_MIN_SPAN = 0.002  # degrees (~200 m): a single building still opens with its street around it


def map_frame(geometry: dict | None) -> dict | None:
    """The box the zone page's map opens on: the zone's shape, padded, and its centre.

    `bounds` is ECharts' boundingCoords order, [[west, north], [east, south]]; None when the
    zone has no shape (the map then shows its whole area).
    """
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    points = [pt for poly in polygons for ring in poly for pt in ring]
    if not points:
        return None
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    pad_x = max((east - west) * MAP_PAD, (MAP_MIN_SPAN - (east - west)) / 2)
    pad_y = max((north - south) * MAP_PAD, (MAP_MIN_SPAN - (north - south)) / 2)
    return {
        "bounds": [
            [round(west - pad_x, 6), round(north + pad_y, 6)],
            [round(east + pad_x, 6), round(south - pad_y, 6)],
        ],
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6)],
    }
