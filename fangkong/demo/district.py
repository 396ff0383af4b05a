"""The demo district's area tree and shapes, as dicts for `geo.services.import_district`.

Names come from the two Zhengzhou High-tech Zone newspaper pages (`names`); grids, buildings
and households are generated around them. The number of grids follows the population (a grid
is ~300–500 households), so a plan is a function of (residents, seed) and nothing else.

Shapes are rectangles in lon/lat that tile exactly (`shapes`): sub-districts tile the district,
communities their sub-district, grids their community; inside a grid each block (a compound
or a patch of self-built houses) gets its own rectangle and its buildings are small
rectangles in a lattice inside it, so nothing overlaps.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from .names import (
    EXTRA_NAMES,
    EXTRA_VILLAGES,
    SUBDISTRICTS,
    TOWER,
    WALKUP,
    BlockSpec,
    CommunitySpec,
    PlaceSpec,
    chinese_number,
    village,
)
from .shapes import BlockPlan, Rect, bounds, coord, grid_inner, inset, polygon, split_rect

DISTRICT_CODE = "410172"
DISTRICT_NAME = ("高新区", "High-tech Zone")
# West, south, east, north: the zone west of Zhengzhou's Third Ring Road.
DISTRICT_BOUNDS = (113.50, 34.78, 113.62, 34.86)

HOUSEHOLDS_PER_GRID = 400  # target mean; grids vary ±20 %
PEOPLE_PER_HOUSEHOLD = 2.62  # mean of the 2020 census household sizes used in population
MAX_GRIDS_PER_COMMUNITY = 15
PEOPLE_PER_SAMPLING_SITE = 2500  # regional testing guide: one site per 2,000–3,000 people


@dataclass(frozen=True)
class GridPlan:
    code: str
    name_zh: str
    name_en: str
    rect: Rect
    residents: int
    blocks: tuple[BlockPlan, ...]
    path: tuple[dict, dict, dict]  # the district, sub-district and community nodes above it


@dataclass
class DistrictPlan:
    residents: int
    seed: int
    tree: dict  # the skeleton for import_district: everything down to grids and places
    grids: list[GridPlan] = field(default_factory=list)

    def grid_import(self, grid: GridPlan, buildings: list[dict]) -> dict:
        """A definition holding only the path down to one grid and that grid's buildings."""
        district, sub, com = grid.path
        node = {
            "code": grid.code,
            "name_zh": grid.name_zh,
            "name_en": grid.name_en,
            "geometry": polygon(grid.rect),
            "buildings": buildings,
        }
        return {
            "district": {
                **district,
                "subdistricts": [{**sub, "communities": [{**com, "grids": [node]}]}],
            }
        }


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split the integer `total` in proportion to `weights`; the parts sum to `total`."""
    s = sum(weights)
    if s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    parts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _grid_counts(n_grids: int, weights: Sequence[float]) -> list[int]:
    """At least one grid per community, the rest by weight, none above the maximum."""
    counts = [1] * len(weights)
    left = n_grids - len(weights)
    while left > 0:
        open_ = [i for i, c in enumerate(counts) if c < MAX_GRIDS_PER_COMMUNITY]
        for i, extra in zip(
            open_, _largest_remainder(left, [weights[i] for i in open_]), strict=True
        ):
            counts[i] += extra
        left = sum(max(0, c - MAX_GRIDS_PER_COMMUNITY) for c in counts)
        counts = [min(c, MAX_GRIDS_PER_COMMUNITY) for c in counts]
    return counts


def _communities(n_grids: int) -> list[tuple[int, CommunitySpec]]:
    """The named communities, plus generated ones when there are too many grids for them."""
    named = [(i, c) for i, (_, _, cs) in enumerate(SUBDISTRICTS) for c in cs]
    needed = max(len(named), math.ceil(n_grids / MAX_GRIDS_PER_COMMUNITY))
    extra = []
    pool = [(z, e, "community") for z, e in EXTRA_NAMES] + [
        (z, e, "village") for z, e in EXTRA_VILLAGES
    ]
    for k in range(needed - len(named)):
        short, en, kind = pool[k % len(pool)]
        rnd = k // len(pool)
        if rnd:
            short, en = f"{short}第{chinese_number(rnd + 1)}", f"{en} {rnd + 1}"
        if kind == "village":
            spec = village(short, en, 1.0)
        else:
            spec = CommunitySpec(
                short,
                f"{en} Community",
                "community",
                1.0,
                (
                    BlockSpec(f"{short}苑", f"{en} Court", TOWER, 0.6),
                    BlockSpec(f"{short}小区", f"{en} Estate", WALKUP, 0.4),
                ),
            )
        extra.append((k % len(SUBDISTRICTS), spec))
    return named + extra


def _block_shares(
    blocks: Sequence[BlockSpec], grid_residents: Sequence[int]
) -> list[list[tuple[int, float]]]:
    """Lay the community's blocks along a line and cut it at the grid boundaries.

    Returns, per grid, (block index, share of the grid) pairs: a large compound spans
    several grids, a small one shares a grid with its neighbours.
    """
    total_w = sum(b.weight for b in blocks)
    edges, acc = [0.0], 0.0
    for b in blocks:
        acc += b.weight / total_w
        edges.append(acc)
    edges[-1] = 1.0
    n = len(grid_residents)
    total_r = sum(grid_residents)
    g_edges, acc = [0.0], 0.0
    for r in grid_residents:
        acc += (r / total_r) if total_r else 1 / n
        g_edges.append(acc)
    g_edges[-1] = 1.0
    out = []
    for gi in range(n):
        lo, hi = g_edges[gi], g_edges[gi + 1]
        parts = []
        for bi in range(len(blocks)):
            overlap = min(hi, edges[bi + 1]) - max(lo, edges[bi])
            if overlap > 0:
                parts.append((bi, overlap))
        width = sum(p for _, p in parts) or 1.0
        # Slivers under 5 % of a grid go to the largest neighbour: no one-building compounds.
        big = [(bi, p / width) for bi, p in parts if p / width >= 0.05] or [
            max(parts, key=lambda x: x[1])
        ]
        width = sum(p for _, p in big)
        out.append([(bi, p / width) for bi, p in big])
    return out


def plan_district(*, residents: int, seed: int) -> DistrictPlan:
    """The whole tree for `residents` people: nodes, shapes, people per grid and block."""
    if residents < 0:
        raise ValueError("residents must not be negative")
    rng = random.Random(f"fangkong-demo-plan:{seed}:{residents}")
    named = sum(len(cs) for _, _, cs in SUBDISTRICTS)
    n_grids = max(named, round(residents / (HOUSEHOLDS_PER_GRID * PEOPLE_PER_HOUSEHOLD)))
    communities = _communities(n_grids)
    grid_counts = _grid_counts(n_grids, [c.weight for _, c in communities])
    jitter = [[rng.uniform(0.8, 1.2) for _ in range(k)] for k in grid_counts]
    flat = _largest_remainder(residents, [j for js in jitter for j in js])
    per_grid, pos = [], 0
    for k in grid_counts:
        per_grid.append(flat[pos : pos + k])
        pos += k

    by_sub: list[list[int]] = [[] for _ in SUBDISTRICTS]
    for ci, (si, _) in enumerate(communities):
        by_sub[si].append(ci)
    district_node = {
        "code": DISTRICT_CODE,
        "name_zh": DISTRICT_NAME[0],
        "name_en": DISTRICT_NAME[1],
        "geometry": polygon(DISTRICT_BOUNDS),
    }
    sub_rects = split_rect(DISTRICT_BOUNDS, [sum(grid_counts[ci] for ci in cis) for cis in by_sub])
    plan = DistrictPlan(residents, seed, {"district": {**district_node, "subdistricts": []}})
    for si, (sub_zh, sub_en, _) in enumerate(SUBDISTRICTS):
        sub_code = f"{DISTRICT_CODE}-{si + 1:03d}"
        sub_node = {
            "code": sub_code,
            "name_zh": sub_zh,
            "name_en": sub_en,
            "geometry": polygon(sub_rects[si]),
        }
        com_rects = split_rect(sub_rects[si], [grid_counts[ci] for ci in by_sub[si]])
        coms = []
        for cj, ci in enumerate(by_sub[si]):
            coms.append(
                _plan_community(
                    plan,
                    rng,
                    code=f"{sub_code}-{cj + 1:03d}",
                    spec=communities[ci][1],
                    rect=com_rects[cj],
                    grid_residents=per_grid[ci],
                    path=(district_node, sub_node),
                )
            )
        plan.tree["district"]["subdistricts"].append({**sub_node, "communities": coms})
    return plan


def _plan_community(
    plan: DistrictPlan,
    rng: random.Random,
    *,
    code: str,
    spec: CommunitySpec,
    rect: Rect,
    grid_residents: list[int],
    path: tuple[dict, dict],
) -> dict:
    grid_rects = split_rect(rect, [1.0] * len(grid_residents))
    compound_codes: dict[int, str] = {}
    compounds = []
    for bi, b in enumerate(spec.blocks):
        if b.compound:
            compound_codes[bi] = f"{code}-C{len(compound_codes) + 1:02d}"
            compounds.append(
                {"code": compound_codes[bi], "name_zh": b.name_zh, "name_en": b.name_en}
            )
    com_node = {
        "code": code,
        "name_zh": spec.name_zh,
        "name_en": spec.name_en,
        "kind": spec.kind,
        "geometry": polygon(rect),
        "compounds": compounds,
    }
    footprints: dict[str, list[Rect]] = {c: [] for c in compound_codes.values()}
    grids = []
    for gi, (shares, g_rect, g_res) in enumerate(
        zip(_block_shares(spec.blocks, grid_residents), grid_rects, grid_residents, strict=True)
    ):
        g_code = f"{code}-{gi + 1:03d}"
        block_rects = split_rect(grid_inner(g_rect), [p for _, p in shares])
        counts = _largest_remainder(g_res, [p for _, p in shares])
        blocks = []
        for (bi, _), b_rect, n in zip(shares, block_rects, counts, strict=True):
            b = spec.blocks[bi]
            c_code = compound_codes.get(bi)
            if c_code:
                footprints[c_code].append(inset(b_rect, 0.02, 0.02, 0.02, 0.02))
            blocks.append(BlockPlan(b.style, b.name_zh, b.name_en, c_code, n, b_rect))
        name_zh, name_en = f"第{chinese_number(gi + 1)}网格", f"Grid {gi + 1}"
        grids.append(
            {"code": g_code, "name_zh": name_zh, "name_en": name_en, "geometry": polygon(g_rect)}
        )
        plan.grids.append(
            GridPlan(
                g_code,
                name_zh,
                name_en,
                g_rect,
                g_res,
                tuple(blocks),
                (*path, com_node),
            )
        )
    for c in compounds:
        rects = footprints[c["code"]]
        if len(rects) == 1:
            c["geometry"] = polygon(rects[0])
        elif rects:
            c["geometry"] = {
                "type": "MultiPolygon",
                "coordinates": [polygon(r)["coordinates"] for r in rects],
            }
    places = _plan_places(rng, code, spec, grids, sum(grid_residents))
    return {**com_node, "grids": grids, "places": places}


def _plan_places(
    rng: random.Random, code: str, spec: CommunitySpec, grids: list[dict], residents: int
) -> list[dict]:
    """The named places, then sampling sites for every ~2,500 people, spread over the grids.

    Places are points in the strip along the bottom of their grid that blocks leave free.
    """
    specs = list(spec.places)
    named_sites = sum(1 for p in specs if p.kind == "sampling_site")
    wanted = math.ceil(residents / PEOPLE_PER_SAMPLING_SITE) if residents else 0
    for k in range(named_sites, wanted):
        specs.append(
            PlaceSpec(
                f"{spec.short}第{chinese_number(k + 1)}采样点",
                f"{spec.name_en} sampling site {k + 1}",
                "sampling_site",
                spec.name_zh,
            )
        )
    per_grid: dict[int, list[int]] = {}
    for k in range(len(specs)):
        per_grid.setdefault(k % len(grids), []).append(k)
    places: list[dict] = [{} for _ in specs]
    for gi, ks in per_grid.items():
        w, s, e, n = bounds(grids[gi]["geometry"])
        for slot, k in enumerate(ks):
            x = w + (e - w) * (slot + 0.5 + rng.uniform(-0.2, 0.2)) / len(ks)
            y = s + (n - s) * rng.uniform(0.03, 0.07)
            p = specs[k]
            places[k] = {
                "code": f"{code}-P{k + 1:02d}",
                "name_zh": p.name_zh,
                "name_en": p.name_en,
                "kind": p.kind,
                "address": p.address,
                "grid": grids[gi]["code"],
                "geometry": {"type": "Point", "coordinates": [coord(x), coord(y)]},
            }
    return places
