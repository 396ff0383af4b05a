"""Reads over the area tree. Every function that lists nodes takes the user's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from fangkong.core.areas import is_within, level_of, parent_code

from .models import LEVEL_MODELS, Building, Community, Grid, Household, Subdistrict


@dataclass(frozen=True)
class NodeRef:
    code: str
    name: str
    level: str


def get_node(code: str):
    """The area node (district … building) with this code, or None."""
    try:
        level = level_of(code)
    except ValueError:
        return None
    model = LEVEL_MODELS.get(level)
    if model is None:
        return Household.objects.filter(code=code).first()
    return model.objects.filter(code=code).first()


def area_exists(code: str) -> bool:
    return get_node(code) is not None


def ancestors(code: str) -> list[NodeRef]:
    """The nodes above `code`, district first (breadcrumbs)."""
    codes = []
    current = parent_code(code)
    while current:
        codes.append(current)
        current = parent_code(current)
    refs = []
    for c in reversed(codes):
        node = get_node(c)
        if node is not None:
            refs.append(NodeRef(c, getattr(node, "name", c), level_of(c)))
    return refs


def children(code: str, *, scope_code: str) -> list[dict]:
    """The children of `code` with their resident counts, limited to the user's scope.

    A user may look at nodes above their scope only as the path down to it: a node on that
    path is named, but its count (residents outside the user's area too) is None.
    """
    if not (is_within(code, scope_code) or is_within(scope_code, code)):
        return []
    level = level_of(code)
    qs: object
    if level == "district":
        qs = Subdistrict.objects.filter(district__code=code)
    elif level == "subdistrict":
        qs = Community.objects.filter(subdistrict__code=code)
    elif level == "community":
        qs = Grid.objects.filter(community__code=code)
    elif level == "grid":
        qs = Building.objects.filter(grid__code=code).select_related("compound")
    elif level == "building":
        qs = Household.objects.filter(building__code=code).annotate(
            n_residents=Count("residents", filter=Q(residents__status="active"))
        )
        return [
            {
                "code": h.code,
                "name": f"{h.entrance}-{h.room}" if h.entrance else h.room,
                "level": "household",
                "residents": h.n_residents if is_within(h.code, scope_code) else None,
            }
            for h in qs
            if is_within(h.code, scope_code) or is_within(scope_code, h.code)
        ]
    else:
        return []
    nodes = [n for n in qs if is_within(n.code, scope_code) or is_within(scope_code, n.code)]
    counts = resident_counts([n.code for n in nodes if is_within(n.code, scope_code)])
    child_level = level_of(nodes[0].code) if nodes else ""
    return [
        {
            "code": n.code,
            "name": n.name,
            "level": child_level,
            "residents": counts.get(n.code),
            "compound": getattr(getattr(n, "compound", None), "name", ""),
        }
        for n in nodes
    ]


def resident_counts(codes: list[str]) -> dict[str, int]:
    """Active residents under each code, in one grouped query."""
    from fangkong.people.models import Resident

    if not codes:
        return {}
    depth = len(codes[0].split("-"))
    counts: dict[str, int] = dict.fromkeys(codes, 0)
    if depth >= 5:  # buildings: residents carry the grid code, so group by building
        rows = (
            Resident.objects.filter(household__building__code__in=codes, status="active")
            .values_list("household__building__code")
            .annotate(n=Count("id"))
        )
        counts.update(dict(rows))
        return counts
    # Group by the grid code and fold grids into their ancestor at the requested depth:
    # one query over an indexed column, no per-node count.
    prefix = codes[0].rsplit("-", 1)[0] if depth > 1 else codes[0]
    rows = (
        Resident.objects.filter(area_code__startswith=prefix, status="active")
        .values_list("area_code")
        .annotate(n=Count("id"))
    )
    for area_code, n in rows:
        key = "-".join(area_code.split("-")[:depth])
        if key in counts:
            counts[key] += n
    return counts
