"""Reads over the area tree. Every function that lists nodes takes the user's scope."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fangkong.core.areas import AreaCode, is_within, level_of, parent_code

from .models import LEVEL_MODELS, Building, Community, Grid, Household, Subdistrict


@dataclass(frozen=True)
class NodeRef:
    code: str
    name: str
    level: str


def natural_key(text: str) -> tuple:
    """Sort key that orders the numbers inside text by value: room 302 before room 1001."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


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


Counter = Callable[[list[str]], dict[str, int]]


def children(code: str, *, scope_code: str, count: Counter | None = None) -> list[dict]:
    """The children of `code`, limited to the user's scope, with what `count` says of each.

    The tree knows no residents: the registry passes its own counter. A user may look at
    nodes above their scope only as the path down to it: a node on that path is named, but
    its count (residents outside the user's area too) is None.
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
        homes = sorted(
            (
                h
                for h in Household.objects.filter(building__code=code)
                if is_within(h.code, scope_code) or is_within(scope_code, h.code)
            ),
            key=lambda h: (natural_key(h.entrance), natural_key(h.room)),
        )
        counts = count([h.code for h in homes if is_within(h.code, scope_code)]) if count else {}
        return [
            {
                "code": h.code,
                "name": f"{h.entrance}-{h.room}" if h.entrance else h.room,
                "level": "household",
                "residents": counts.get(h.code),
            }
            for h in homes
        ]
    else:
        return []
    nodes = [n for n in qs if is_within(n.code, scope_code) or is_within(scope_code, n.code)]
    counts = count([n.code for n in nodes if is_within(n.code, scope_code)]) if count else {}
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


def area_names(codes: Iterable[str]) -> dict[str, str]:
    """The names of the area nodes with these codes (one query per level present), by code.

    Lists show a place by its name; a code without a node is left out, and the page shows
    the code itself as a hint.
    """
    by_level: dict[str, set[str]] = {}
    for code in {c for c in codes if c}:
        try:
            by_level.setdefault(level_of(code), set()).add(code)
        except ValueError:
            continue
    names: dict[str, str] = {}
    for level, level_codes in by_level.items():
        model = LEVEL_MODELS.get(level)  # a household is shown by its address, not here
        if model is not None:
            names.update((n.code, n.name) for n in model.objects.filter(code__in=level_codes))
    return names


def area_labels(codes: Iterable[str]) -> dict[str, str]:
    """Like `area_names`, but a place below a community is named with its community first
    (瓦屋李社区第一网格): every community has its 第一网格, and a district-wide list of grids
    named alone would show a dozen alike. A code without a node is left out."""
    wanted = {c for c in codes if c}
    community_of: dict[str, str] = {}
    for code in wanted:
        try:
            if level_of(code) not in _TO_COMMUNITY:
                community_of[code] = AreaCode(code).community
        except ValueError:
            continue
    names = area_names(wanted | set(community_of.values()))
    labels = {}
    for code in wanted & names.keys():
        community = names.get(community_of.get(code, ""))
        labels[code] = _joined(community, names[code]) if community else names[code]
    return labels


_TO_COMMUNITY = frozenset(("district", "subdistrict", "community"))


def _joined(outer: str, inner: str) -> str:
    # Chinese names run together (瓦屋李社区第一网格); Latin ones take a space.
    if outer[-1:].isascii() or inner[:1].isascii():
        return f"{outer} {inner}"
    return f"{outer}{inner}"
