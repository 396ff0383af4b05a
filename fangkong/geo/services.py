"""Writes to the area tree: import a district definition (YAML or dict), export GeoJSON."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fangkong.core.areas import AreaCode, is_within, level_of, parent_code
from fangkong.core.errors import RuleViolation

from .models import (
    AreaNode,
    Building,
    Community,
    CommunityKind,
    Compound,
    District,
    Grid,
    Household,
    Place,
    PlaceKind,
    Subdistrict,
)
from .selectors import Counter

GEOMETRY_TYPES = {"Polygon", "MultiPolygon", "Point", "LineString"}


def _bad(field: str, code: str, message) -> RuleViolation:
    return RuleViolation(field=field, code=code, message=message)


def _check_node(node: dict, path: str, level: str, parent: str | None) -> str:
    code = str(node.get("code", ""))
    try:
        actual = level_of(code)
    except ValueError:
        raise _bad(f"{path}.code", "format", _("Malformed area code.")) from None
    if actual != level:
        raise _bad(f"{path}.code", "level", _("The code is not at the expected level of the tree."))
    if parent is not None and parent_code(code) != parent:
        raise _bad(f"{path}.code", "parent", _("The code does not start with its parent's code."))
    if not str(node.get("name_zh", "")).strip():
        raise _bad(f"{path}.name_zh", "required", _("A Chinese name is required."))
    geometry = node.get("geometry")
    if geometry is not None and (
        not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES
    ):
        raise _bad(f"{path}.geometry", "format", _("Geometry must be a GeoJSON geometry object."))
    return code


def _names(node: dict) -> dict[str, Any]:
    return {
        "name_zh": str(node["name_zh"]).strip(),
        "name_en": str(node.get("name_en", "") or "").strip(),
        "geometry": node.get("geometry"),
    }


def _upsert(model: type[AreaNode], rows: list[dict]) -> int:
    """Create or update nodes by code in bulk; returns how many were created."""
    if not rows:
        return 0
    existing = {n.code: n for n in model.objects.filter(code__in=[r["code"] for r in rows])}
    new, changed = [], []
    fields = [f for f in rows[0] if f != "code"]
    for row in rows:
        node = existing.get(row["code"])
        if node is None:
            new.append(model(**row))
        elif any(getattr(node, f) != row[f] for f in fields):
            for f in fields:
                setattr(node, f, row[f])
            changed.append(node)
    model.objects.bulk_create(new, batch_size=2000)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=2000)
    return len(new)


def _ids(model, codes: Iterable[str]) -> dict[str, int]:
    return dict(model.objects.filter(code__in=list(codes)).values_list("code", "id"))


def import_district(data: dict) -> dict[str, int]:
    """Create or update a whole district from its definition; idempotent by code.

    Everything is checked before anything is written, and the write is one transaction.
    """
    if not isinstance(data, dict) or not isinstance(data.get("district"), dict):
        raise _bad("district", "required", _("The file must have a top-level 'district' mapping."))
    d = data["district"]
    plan: dict[str, list] = {k: [] for k in ("sub", "com", "grid", "cpd", "bld", "hh", "place")}
    d_code = _check_node(d, "district", "district", None)
    for i, s in enumerate(d.get("subdistricts") or []):
        sp = f"district.subdistricts[{i}]"
        s_code = _check_node(s, sp, "subdistrict", d_code)
        plan["sub"].append({"code": s_code, **_names(s), "_parent": d_code})
        for j, c in enumerate(s.get("communities") or []):
            _plan_community(c, f"{sp}.communities[{j}]", s_code, plan)
    return _write_plan(d_code, _names(d), plan)


def _plan_community(c: dict, cp: str, s_code: str, plan: dict[str, list]) -> None:
    """Check one community with its compounds, grids, buildings and places; add them to `plan`."""
    c_code = _check_node(c, cp, "community", s_code)
    kind = c.get("kind", "community")
    if kind not in CommunityKind.values:
        raise _bad(f"{cp}.kind", "choice", _("Kind must be 'community' or 'village'."))
    plan["com"].append({"code": c_code, **_names(c), "kind": kind, "_parent": s_code})
    compound_codes = set()
    for k, cpd in enumerate(c.get("compounds") or []):
        kp = f"{cp}.compounds[{k}]"
        code = str(cpd.get("code", ""))
        if not code.startswith(c_code + "-C"):
            raise _bad(
                f"{kp}.code",
                "format",
                _("A compound code is its community's code followed by -C and a number."),
            )
        if not str(cpd.get("name_zh", "")).strip():
            raise _bad(f"{kp}.name_zh", "required", _("A Chinese name is required."))
        compound_codes.add(code)
        plan["cpd"].append({"code": code, **_names(cpd), "_parent": c_code})
    for k, g in enumerate(c.get("grids") or []):
        gp = f"{cp}.grids[{k}]"
        g_code = _check_node(g, gp, "grid", c_code)
        plan["grid"].append({"code": g_code, **_names(g), "_parent": c_code})
        for m, b in enumerate(g.get("buildings") or []):
            _plan_building(b, f"{gp}.buildings[{m}]", g_code, compound_codes, plan)
    for k, p in enumerate(c.get("places") or []):
        _plan_place(p, f"{cp}.places[{k}]", c_code, plan)


def _plan_building(
    b: dict, bp: str, g_code: str, compound_codes: set[str], plan: dict[str, list]
) -> None:
    """Check one building and its households; add them to `plan`."""
    b_code = _check_node(b, bp, "building", g_code)
    compound = b.get("compound")
    if compound and compound not in compound_codes:
        raise _bad(
            f"{bp}.compound",
            "unknown",
            _("No compound with this code in the community."),
        )
    floors, entrances = int(b.get("floors", 6)), int(b.get("entrances", 1))
    plan["bld"].append(
        {
            "code": b_code,
            **_names(b),
            "floors": floors,
            "entrances": entrances,
            "area_code": g_code,
            "_parent": g_code,
            "_compound": compound,
        }
    )
    for n, h in enumerate(_households(b, floors, entrances)):
        room = str(h.get("room", "")).strip()
        entrance = str(h.get("entrance", "") or "").strip()
        if not room.isalnum() or not (entrance.isalnum() or entrance == ""):
            raise _bad(
                f"{bp}.households[{n}].room",
                "format",
                _("Room and entrance are letters and digits."),
            )
        plan["hh"].append(
            {
                "code": f"{b_code}-{entrance}{room}",
                "entrance": entrance,
                "room": room,
                "area_code": g_code,
                "_parent": b_code,
            }
        )


def _plan_place(p: dict, pp: str, c_code: str, plan: dict[str, list]) -> None:
    code = str(p.get("code", ""))
    if not code.startswith(c_code + "-P"):
        raise _bad(
            f"{pp}.code",
            "format",
            _("A place code is its community's code followed by -P and a number."),
        )
    if p.get("kind") not in PlaceKind.values:
        raise _bad(f"{pp}.kind", "choice", _("Unknown place kind."))
    if not str(p.get("name_zh", "")).strip():
        raise _bad(f"{pp}.name_zh", "required", _("A Chinese name is required."))
    grid = p.get("grid")
    plan["place"].append(
        {
            "code": code,
            **_names(p),
            "kind": p["kind"],
            "address": p.get("address", ""),
            "area_code": grid or c_code,
            "_parent": c_code,
            "_grid": grid,
        }
    )


def _households(building: dict, floors: int, entrances: int) -> list[dict]:
    if building.get("households") is not None:
        return list(building["households"])
    per_floor = int(building.get("rooms_per_floor", 0) or 0)
    return [
        {"entrance": str(e), "room": f"{f}{r:02d}"}
        for e in range(1, entrances + 1)
        for f in range(1, floors + 1)
        for r in range(1, per_floor + 1)
    ]


@transaction.atomic
def _write_plan(d_code: str, d_names: dict, plan: dict[str, list]) -> dict[str, int]:
    created = {"district": _upsert(District, [{"code": d_code, **d_names}])}

    def strip(rows, fk, parents, extra=()):
        out = []
        for r in rows:
            row = {k: v for k, v in r.items() if not k.startswith("_")}
            row[fk] = parents[r["_parent"]]
            for key, name, ids in extra:
                row[name] = ids.get(r.get(key)) if r.get(key) else None
            out.append(row)
        return out

    ids = _ids(District, [d_code])
    created["subdistricts"] = _upsert(Subdistrict, strip(plan["sub"], "district_id", ids))
    ids = _ids(Subdistrict, [r["code"] for r in plan["sub"]])
    created["communities"] = _upsert(Community, strip(plan["com"], "subdistrict_id", ids))
    com_ids = _ids(Community, [r["code"] for r in plan["com"]])
    created["compounds"] = _upsert(Compound, strip(plan["cpd"], "community_id", com_ids))
    created["grids"] = _upsert(Grid, strip(plan["grid"], "community_id", com_ids))
    grid_ids = _ids(Grid, [r["code"] for r in plan["grid"]])
    cpd_ids = _ids(Compound, [r["code"] for r in plan["cpd"]])
    created["buildings"] = _upsert(
        Building, strip(plan["bld"], "grid_id", grid_ids, [("_compound", "compound_id", cpd_ids)])
    )
    created["places"] = _upsert(
        Place, strip(plan["place"], "community_id", com_ids, [("_grid", "grid_id", grid_ids)])
    )
    bld_ids = _ids(Building, {r["_parent"] for r in plan["hh"]})
    created["households"] = upsert_households(strip(plan["hh"], "building_id", bld_ids))
    return created


def upsert_households(rows: list[dict]) -> int:
    """Create households that do not exist yet (by code); households have no names to update."""
    existing = (
        set(
            Household.objects.filter(code__in=[r["code"] for r in rows]).values_list(
                "code", flat=True
            )
        )
        if rows
        else set()
    )
    new = [Household(**r) for r in rows if r["code"] not in existing]
    Household.objects.bulk_create(new, batch_size=2000)
    return len(new)


def import_district_file(path: str | Path) -> dict[str, int]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _bad("file", "not_found", _("File not found.")) from None
    except yaml.YAMLError as exc:
        raise _bad(
            "file", "yaml", _("The file is not valid YAML: %(error)s") % {"error": exc}
        ) from None
    return import_district(data)


def export_geojson(*, scope_code: str, level: str, count: Counter | None = None) -> dict:
    """A GeoJSON FeatureCollection of the nodes at `level` within the user's scope.

    `count` (the registry's resident counter, say) fills each in-scope node's `residents`.
    """

    models = {
        "subdistrict": Subdistrict,
        "community": Community,
        "grid": Grid,
        "building": Building,
        "compound": Compound,
        "place": Place,
        "district": District,
    }
    if level not in models:
        raise _bad("level", "choice", _("Unknown level."))
    model = models[level]
    qs = model.objects.filter(code__startswith=AreaCode(scope_code).district)
    nodes = [
        n
        for n in qs.order_by("code")
        if n.code == scope_code
        or n.code.startswith(scope_code + "-")
        or scope_code.startswith(n.code + "-")
    ]
    # Nodes above the scope are drawn for orientation; their counts would reach outside it.
    counts = (
        count([n.code for n in nodes if is_within(n.code, scope_code)])
        if count and level in {"subdistrict", "community", "grid", "building", "district"}
        else {}
    )
    features = [
        {
            "type": "Feature",
            "id": n.code,
            "geometry": n.geometry,
            "properties": {
                "code": n.code,
                "name": n.name_zh,
                "name_zh": n.name_zh,
                "name_en": n.name_en,
                "level": level,
                "residents": counts.get(n.code),
                **({"kind": n.kind} if hasattr(n, "kind") else {}),
            },
        }
        for n in nodes
    ]
    return {"type": "FeatureCollection", "features": features}
