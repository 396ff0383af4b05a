"""Resident counts per area node: what the area pages, maps and exports show beside the tree."""

from __future__ import annotations

from django.db.models import Count

from fangkong.core.areas import AreaCode, within_q

from .models import Resident, ResidentStatus


def resident_counts(codes: list[str]) -> dict[str, int]:
    """Active residents under each code (all codes of one level), in one grouped query."""
    if not codes:
        return {}
    depth = AreaCode(codes[0]).depth
    counts: dict[str, int] = dict.fromkeys(codes, 0)
    active = Resident.objects.filter(status=ResidentStatus.ACTIVE)
    if depth >= 5:  # residents carry the grid code: buildings and homes go by the household
        key = "household__code" if depth == 6 else "household__building__code"
        rows = active.filter(**{f"{key}__in": codes}).values_list(key).annotate(n=Count("id"))
        counts.update(dict(rows))
        return counts
    # Group by the grid code and fold grids into their ancestor at the requested depth:
    # one query over an indexed column, no per-node count.
    prefix = AreaCode(codes[0]).parent if depth > 1 else codes[0]
    level = AreaCode(codes[0]).level
    rows = active.filter(within_q(prefix)).values_list("area_code").annotate(n=Count("id"))
    for area_code, n in rows:
        node = AreaCode(area_code).upto(level)
        if node in counts:
            counts[node] += n
    return counts
