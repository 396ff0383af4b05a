"""The demo district's area tree and shapes, as dicts for `geo.services.import_district`.

Names come from the two Zhengzhou High-tech Zone newspaper pages (sub-district offices,
communities, villages, compounds, checkpoints, schools); grids, buildings and households are
generated around them. The number of grids follows the population (a grid is ~300–500
households), so a plan is a function of (residents, seed) and nothing else.

Shapes are rectangles in lon/lat that tile exactly: sub-districts tile the district,
communities their sub-district, grids their community; inside a grid each block (a compound
or a patch of self-built houses) gets its own rectangle and its buildings are small
rectangles in a lattice inside it, so nothing overlaps.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

DISTRICT_CODE = "410172"
DISTRICT_NAME = ("高新区", "High-tech Zone")
# West, south, east, north: the zone west of Zhengzhou's Third Ring Road.
DISTRICT_BOUNDS = (113.50, 34.78, 113.62, 34.86)

HOUSEHOLDS_PER_GRID = 400  # target mean; grids vary ±20 %
PEOPLE_PER_HOUSEHOLD = 2.62  # mean of the 2020 census household sizes used in population
MAX_GRIDS_PER_COMMUNITY = 15
PEOPLE_PER_SAMPLING_SITE = 2500  # regional testing guide: one site per 2,000–3,000 people

M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(34.82))

Rect = tuple[float, float, float, float]  # west, south, east, north

TOWER, WALKUP, SELF_BUILT = "tower", "walkup", "self_built"


@dataclass(frozen=True)
class BlockSpec:
    """A compound (or, with compound=False, a patch of self-built houses) of a community."""

    name_zh: str
    name_en: str
    style: str
    weight: float
    compound: bool = True


@dataclass(frozen=True)
class PlaceSpec:
    name_zh: str
    name_en: str
    kind: str
    address: str = ""


@dataclass(frozen=True)
class CommunitySpec:
    short: str  # the name without 社区/村, used to name generated things
    name_en: str
    kind: str  # "community" | "village"
    weight: float
    blocks: tuple[BlockSpec, ...]
    places: tuple[PlaceSpec, ...] = ()

    @property
    def name_zh(self) -> str:
        return self.short + ("村" if self.kind == "village" else "社区")


def _village(short: str, en: str, weight: float, places=()) -> CommunitySpec:
    return CommunitySpec(
        short,
        f"{en} Village",
        "village",
        weight,
        (BlockSpec(f"{short}村", f"{en} Village", SELF_BUILT, 1.0, compound=False),),
        tuple(places),
    )


# Sub-district offices, their communities and what the seed pages put in them.
SUBDISTRICTS: tuple[tuple[str, str, tuple[CommunitySpec, ...]], ...] = (
    (
        "梧桐街办事处",
        "Wutong Street Office",
        (
            CommunitySpec(
                "瓦屋李",
                "Wawuli Community",
                "community",
                1.6,
                (
                    BlockSpec("瓦屋李新居", "Wawuli Xinju", TOWER, 0.40),
                    BlockSpec("玉兰雅亭", "Yulan Yating", TOWER, 0.22),
                    BlockSpec(
                        "玉兰街凯旋路药厂家属院",
                        "Pharmaceutical Factory Quarters, Yulan St & Kaixuan Rd",
                        WALKUP,
                        0.13,
                    ),
                    BlockSpec("瓦屋李村", "Wawuli Village", SELF_BUILT, 0.25, compound=False),
                ),
                (
                    PlaceSpec(
                        "瓦屋李采样小屋", "Wawuli sampling booth", "sampling_site", "瓦屋李社区"
                    ),
                    PlaceSpec(
                        "高新区三十七中",
                        "No. 37 Middle School, High-tech Zone",
                        "school",
                        "玉兰街",
                    ),
                    PlaceSpec(
                        "冬青街瑞达路煤气管道公司",
                        "Gas pipeline company, Dongqing St & Ruida Rd",
                        "company",
                        "冬青街与瑞达路交叉口",
                    ),
                ),
            ),
            CommunitySpec(
                "春藤",
                "Chunteng Community",
                "community",
                1.2,
                (
                    BlockSpec("香堤园", "Xiangdi Garden", WALKUP, 0.30),
                    BlockSpec("香逸园", "Xiangyi Garden", TOWER, 0.30),
                    BlockSpec("香榭园", "Xiangxie Garden", TOWER, 0.25),
                    BlockSpec("春藤家园", "Chunteng Homes", WALKUP, 0.15),
                ),
                (
                    PlaceSpec(
                        "电厂路漳河路卡点",
                        "Checkpoint, Dianchang Rd & Zhanghe Rd",
                        "checkpoint",
                        "电厂路与漳河路交叉口",
                    ),
                    PlaceSpec("春藤享老俱乐部", "Chunteng seniors' club", "venue"),
                ),
            ),
            CommunitySpec(
                "紫锦",
                "Zijin Community",
                "community",
                1.0,
                (BlockSpec("紫锦苑", "Zijin Court", TOWER, 1.0),),
                (
                    PlaceSpec(
                        "双优酒店",
                        "Shuangyou Hotel (flow-investigation station)",
                        "hotel",
                        "高新区流调工作驻站点",
                    ),
                ),
            ),
            CommunitySpec(
                "观悦",
                "Guanyue Community",
                "community",
                1.0,
                (
                    BlockSpec("观悦华府", "Guanyue Mansion", TOWER, 0.7),
                    BlockSpec("观悦小区", "Guanyue Estate", WALKUP, 0.3),
                ),
                (
                    PlaceSpec("郑州大学南校区", "Zhengzhou University South Campus", "school"),
                    PlaceSpec("阅城实验小学", "Yuecheng Experimental Primary School", "school"),
                ),
            ),
            CommunitySpec(
                "翡翠华庭",
                "Feicui Huating Community",
                "community",
                1.0,
                (BlockSpec("翡翠华庭", "Feicui Huating", TOWER, 1.0),),
                (
                    PlaceSpec(
                        "高新区疫情防控指挥部", "High-tech Zone epidemic command centre", "other"
                    ),
                    PlaceSpec(
                        "梧桐街社区卫生服务中心",
                        "Wutong Street community health centre",
                        "hospital",
                    ),
                ),
            ),
        ),
    ),
    (
        "枫杨办事处",
        "Fengyang Office",
        (
            CommunitySpec(
                "通和",
                "Tonghe Community",
                "community",
                1.2,
                (
                    BlockSpec("通和盛世西院", "Tonghe Shengshi West Court", TOWER, 0.55),
                    BlockSpec("通和盛世东院", "Tonghe Shengshi East Court", TOWER, 0.45),
                ),
                (
                    PlaceSpec("民生保障超市", "Basic-needs supermarket", "warehouse"),
                    PlaceSpec(
                        "枫杨社区卫生服务中心", "Fengyang community health centre", "hospital"
                    ),
                ),
            ),
            CommunitySpec(
                "紫竹",
                "Zizhu Community",
                "community",
                1.0,
                (
                    BlockSpec("紫竹苑", "Zizhu Court", WALKUP, 0.5),
                    BlockSpec("紫竹花园", "Zizhu Garden", TOWER, 0.5),
                ),
                (
                    PlaceSpec(
                        "郑州市科创学校初中部",
                        "Zhengzhou Kechuang School (junior)",
                        "school",
                    ),
                ),
            ),
            CommunitySpec(
                "西溪花园",
                "Xixi Huayuan Community",
                "community",
                1.0,
                (BlockSpec("西溪花园", "Xixi Garden", TOWER, 1.0),),
                (
                    PlaceSpec("西湖小学", "Xihu Primary School", "school"),
                    PlaceSpec("西湖中学", "Xihu Middle School", "school"),
                    PlaceSpec(
                        "郑州绕城高速科学大道站卡点",
                        "Checkpoint, Kexue Avenue exit, Zhengzhou ring expressway",
                        "checkpoint",
                    ),
                ),
            ),
            _village(
                "大里",
                "Dali",
                0.9,
                (PlaceSpec("大里双创街区", "Dali innovation street", "venue"),),
            ),
        ),
    ),
    (
        "双桥办事处",
        "Shuangqiao Office",
        (
            CommunitySpec(
                "洼刘",
                "Waliu Community",
                "community",
                1.0,
                (
                    BlockSpec("洼刘安置小区", "Waliu resettlement estate", TOWER, 0.7),
                    BlockSpec("洼刘村", "Waliu Village", SELF_BUILT, 0.3, compound=False),
                ),
                (PlaceSpec("双桥卫生院", "Shuangqiao health centre", "hospital"),),
            ),
            _village(
                "沟赵",
                "Gouzhao",
                0.9,
                (
                    PlaceSpec(
                        "连霍高速沟赵站卡点",
                        "Checkpoint, Gouzhao exit, Lianhuo expressway",
                        "checkpoint",
                    ),
                    PlaceSpec(
                        "连霍高速郑州西三环站卡点",
                        "Checkpoint, West Third Ring exit, Lianhuo expressway",
                        "checkpoint",
                    ),
                ),
            ),
        ),
    ),
)

# Extra communities for large populations, named after the zone's tree-named streets.
EXTRA_NAMES = (
    ("长椿", "Changchun"),
    ("银杏", "Yinxing"),
    ("莲花", "Lianhua"),
    ("雪松", "Xuesong"),
    ("红松", "Hongsong"),
    ("翠竹", "Cuizhu"),
    ("金梭", "Jinsuo"),
    ("银屏", "Yinping"),
    ("石楠", "Shinan"),
    ("丁香", "Dingxiang"),
    ("合欢", "Hehuan"),
    ("冬青", "Dongqing"),
    ("枫林", "Fenglin"),
    ("西湖", "Xihu"),
    ("阅城", "Yuecheng"),
    ("科学大道", "Kexue Avenue"),
)
EXTRA_VILLAGES = (("榆林", "Yulin"), ("关庄", "Guanzhuang"), ("葛寨", "Gezhai"))

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十; from 100 on, Arabic digits (as signs do)."""
    if not 1 <= n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


# ---------------------------------------------------------------------------- geometry


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


def _r(x: float) -> float:
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
        cut = _r(w + (e - w) * frac)
        first, second = (w, s, cut, n), (cut, s, e, n)
    else:  # top first, so tiles read north to south
        cut = _r(n - (n - s) * frac)
        first, second = (w, cut, e, n), (w, s, e, cut)
    return split_rect(first, weights[:k]) + split_rect(second, weights[k:])


def inset(rect: Rect, left: float, bottom: float, right: float, top: float) -> Rect:
    """Shrink by fractions of the width/height on each side."""
    w, s, e, n = rect
    dx, dy = e - w, n - s
    return (_r(w + dx * left), _r(s + dy * bottom), _r(e - dx * right), _r(n - dy * top))


def grid_inner(rect: Rect) -> Rect:
    """Where a grid's blocks go; the wider bottom strip is kept for its places."""
    return inset(rect, 0.04, 0.10, 0.04, 0.04)


# ---------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class BlockPlan:
    """One compound (or self-built patch) inside one grid: who lives there and where."""

    style: str
    label_zh: str  # names its buildings: 瓦屋李新居3号楼, 大里村12号
    label_en: str
    compound: str | None  # compound code
    residents: int
    rect: Rect


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
            spec = _village(short, en, 1.0)
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
                "geometry": {"type": "Point", "coordinates": [_r(x), _r(y)]},
            }
    return places


# ---------------------------------------------------------------------------- buildings

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
                "geometry": polygon((_r(x0), _r(y0), _r(x0 + fw), _r(y0 + fh))),
            }
        )
    return out
