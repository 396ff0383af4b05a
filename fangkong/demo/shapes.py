"""The demo district's shapes: rectangles in lon/lat that tile exactly, and the buildings'
footprints in a lattice inside their block, so nothing overlaps.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .names import SELF_BUILT, TOWER, WALKUP

M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(34.82))

Rect = tuple[float, float, float, float]  # west, south, east, north


def polygon(rect: Rect) -> dict:
    w, s, e, n = rect
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def bounds(geometry: dict) -> Rect:
    """The bounding rectangle of a Polygon, MultiPolygon or Point."""
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        return (coords[0], coords[1], coords[0], coords[1])
    rings = [coords[0]] if geometry["type"] == "Polygon" else [p[0] for p in coords]
    xs = [pt[0] for ring in rings for pt in ring]
    ys = [pt[1] for ring in rings for pt in ring]
    return (min(xs), min(ys), max(xs), max(ys))


def coord(x: float) -> float:
    return round(x, 6)


def split_rect(rect: Rect, weights: Sequence[float]) -> list[Rect]:
    """Tile `rect` into one rectangle per weight, areas proportional to the weights, in order.

    Recursive bisection across the longer side (in metres), so tiles stay near-square;
    neighbours share the same rounded cut, so the tiles cover the rectangle exactly.
    """
    weights = [max(float(w), 1e-9) for w in weights]
    if len(weights) == 1:
        return [rect]
    total = sum(weights)
    acc, k = 0.0, 1
    for i, w in enumerate(weights[:-1], start=1):
        acc += w
        k = i
        if acc >= total / 2:
            # Take whichever of i and i-1 items lands closer to half.
            if i > 1 and acc - total / 2 > total / 2 - (acc - w):
                k = i - 1
            break
    frac = sum(weights[:k]) / total
    w, s, e, n = rect
    if (e - w) * M_PER_DEG_LON >= (n - s) * M_PER_DEG_LAT:
        cut = coord(w + (e - w) * frac)
        first, second = (w, s, cut, n), (cut, s, e, n)
    else:  # top first, so tiles read north to south
        cut = coord(n - (n - s) * frac)
        first, second = (w, cut, e, n), (w, s, e, cut)
    return split_rect(first, weights[:k]) + split_rect(second, weights[k:])


def inset(rect: Rect, left: float, bottom: float, right: float, top: float) -> Rect:
    """Shrink by fractions of the width/height on each side."""
    w, s, e, n = rect
    dx, dy = e - w, n - s
    return (
        coord(w + dx * left),
        coord(s + dy * bottom),
        coord(e - dx * right),
        coord(n - dy * top),
    )


def grid_inner(rect: Rect) -> Rect:
    """Where a grid's blocks go; the wider bottom strip is kept for its places."""
    return inset(rect, 0.04, 0.10, 0.04, 0.04)


@dataclass(frozen=True)
class BlockPlan:
    """One compound (or self-built patch) inside one grid: who lives there and where."""

    style: str
    label_zh: str  # names its buildings: 瓦屋李新居3号楼, 大里村12号
    label_en: str
    compound: str | None  # compound code
    residents: int
    rect: Rect


# Share of a style's flats that are lived in; the rest stand empty (sold, not moved in).
OCCUPANCY = {TOWER: 0.86, WALKUP: 0.92, SELF_BUILT: 0.94}


def _shape(rng: random.Random, style: str) -> tuple[int, int, int, float, float]:
    """Floors, entrances, rooms per floor per entrance, footprint width and depth (m)."""
    if style == TOWER:  # 18–33 storeys, one or two stair cores, two to four flats a floor
        entrances = rng.choices((1, 2), (0.6, 0.4))[0]
        rooms = rng.choices((2, 3, 4), (0.5, 0.2, 0.3))[0]
        return rng.randint(18, 33), entrances, rooms, 9.0 * rooms * entrances + 6, 17.0
    if style == WALKUP:  # the 6-storey slab of the 1980s–2000s: one flat each side a landing
        entrances = rng.randint(2, 4)
        floors = rng.choices((6, 5, 7), (0.85, 0.1, 0.05))[0]
        return floors, entrances, 2, 14.0 * entrances, 11.0
    # Self-built village houses: three to six floors of rooms let to tenants.
    floors = rng.choices((3, 4, 5, 6), (0.1, 0.3, 0.35, 0.25))[0]
    rooms = rng.choices((2, 3, 4, 5, 6), (0.15, 0.25, 0.3, 0.2, 0.1))[0]
    return floors, 1, rooms, rng.uniform(10, 15), rng.uniform(9, 12)


def plan_buildings(
    rng: random.Random,
    block: BlockPlan,
    households: int,
    *,
    grid_code: str,
    first_number: int,
    numbering: dict[str, int],
) -> list[dict]:
    """Buildings for `households` occupied flats in `block`, as import_district dicts.

    Enough flats for the block's occupancy rate; footprints in a lattice inside the block.
    `numbering` carries on building numbers of a compound that spans grids.
    """
    if households <= 0:
        return []
    occupancy = OCCUPANCY[block.style]
    shapes, units = [], 0
    while units < households or units * occupancy < households:
        shape = _shape(rng, block.style)
        shapes.append(shape)
        units += shape[0] * shape[1] * shape[2]
    w, s, e, n = inset(block.rect, 0.05, 0.05, 0.05, 0.05)
    width_m, height_m = (e - w) * M_PER_DEG_LON, (n - s) * M_PER_DEG_LAT
    count = len(shapes)
    cols = max(1, min(count, round(math.sqrt(count * width_m / max(height_m, 1e-9)))))
    rows = math.ceil(count / cols)
    slot_w, slot_h = (e - w) / cols, (n - s) / rows
    out = []
    for i, (floors, entrances, rooms, fw_m, fh_m) in enumerate(shapes):
        row, col = divmod(i, cols)
        fw = min(fw_m / M_PER_DEG_LON, 0.8 * slot_w)
        fh = min(fh_m / M_PER_DEG_LAT, 0.7 * slot_h)
        x0 = w + col * slot_w + (slot_w - fw) * rng.uniform(0.3, 0.7)
        y0 = n - (row + 1) * slot_h + (slot_h - fh) * rng.uniform(0.3, 0.7)
        numbering[block.label_zh] = number = numbering.get(block.label_zh, 0) + 1
        if block.style == SELF_BUILT:
            name_zh, name_en = f"{block.label_zh}{number}号", f"{block.label_en} No. {number}"
        else:
            name_zh = f"{block.label_zh}{number}号楼"
            name_en = f"{block.label_en} Building {number}"
        out.append(
            {
                "code": f"{grid_code}-{first_number + i:03d}",
                "name_zh": name_zh,
                "name_en": name_en,
                "floors": floors,
                "entrances": entrances,
                "rooms_per_floor": rooms,
                "compound": block.compound,
                "geometry": polygon((coord(x0), coord(y0), coord(x0 + fw), coord(y0 + fh))),
            }
        )
    return out
