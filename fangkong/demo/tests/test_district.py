"""The demo district's plan: names from the seed pages, codes, scale and shapes."""

import itertools
import random

import pytest

from fangkong.core.areas import level_of, parent_code
from fangkong.demo.district import DISTRICT_BOUNDS, MAX_GRIDS_PER_COMMUNITY, plan_district
from fangkong.demo.names import SELF_BUILT, chinese_number
from fangkong.demo.shapes import bounds, grid_inner, plan_buildings, split_rect


def _area(r):
    return (r[2] - r[0]) * (r[3] - r[1])


def _inside(inner, outer, eps=1e-9):
    return (
        inner[0] >= outer[0] - eps
        and inner[1] >= outer[1] - eps
        and inner[2] <= outer[2] + eps
        and inner[3] <= outer[3] + eps
    )


def _overlap(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def _assert_tiles(children, parent):
    assert all(_inside(c, parent) for c in children)
    assert sum(_area(c) for c in children) == pytest.approx(_area(parent), rel=1e-6)
    for a, b in itertools.combinations(children, 2):
        assert _overlap(a, b) < 1e-12


@pytest.fixture(scope="module")
def plan():
    return plan_district(residents=50_000, seed=613)


def _communities(plan):
    return {
        c["name_zh"]: (s["name_zh"], c)
        for s in plan.tree["district"]["subdistricts"]
        for c in s["communities"]
    }


def test_the_seed_pages_names_are_in_the_tree(plan):
    d = plan.tree["district"]
    assert (d["code"], d["name_zh"], d["name_en"]) == ("410172", "高新区", "High-tech Zone")
    assert [s["name_zh"] for s in d["subdistricts"]] == ["梧桐街办事处", "枫杨办事处", "双桥办事处"]
    coms = _communities(plan)
    for name in ["瓦屋李社区", "翡翠华庭社区", "西溪花园社区", "春藤社区", "紫锦社区", "通和社区"]:
        assert coms[name][1]["kind"] == "community"
    for name in ["紫竹社区", "洼刘社区", "观悦社区"]:
        assert name in coms
    assert coms["大里村"][1]["kind"] == coms["沟赵村"][1]["kind"] == "village"
    assert coms["瓦屋李社区"][0] == "梧桐街办事处"
    compounds = {c["name_zh"]: name for name, (_, com) in coms.items() for c in com["compounds"]}
    assert compounds["瓦屋李新居"] == compounds["玉兰雅亭"] == "瓦屋李社区"
    assert compounds["玉兰街凯旋路药厂家属院"] == "瓦屋李社区"
    assert compounds["通和盛世西院"] == "通和社区"
    assert {"香堤园", "香逸园", "香榭园"} <= compounds.keys()
    places = {p["name_zh"]: p["kind"] for _, com in coms.values() for p in com["places"]}
    assert places["双优酒店"] == "hotel"
    assert places["电厂路漳河路卡点"] == "checkpoint"
    assert places["高新区三十七中"] == places["郑州大学南校区"] == "school"
    assert places["瓦屋李采样小屋"] == "sampling_site"
    assert places["冬青街瑞达路煤气管道公司"] == "company"
    assert places["民生保障超市"] == "warehouse"


def test_codes_follow_the_area_code_rules(plan):
    d = plan.tree["district"]
    seen = set()
    for s in d["subdistricts"]:
        assert level_of(s["code"]) == "subdistrict" and parent_code(s["code"]) == d["code"]
        for c in s["communities"]:
            assert level_of(c["code"]) == "community" and parent_code(c["code"]) == s["code"]
            for k, cpd in enumerate(c["compounds"], start=1):
                assert cpd["code"] == f"{c['code']}-C{k:02d}"
            for k, p in enumerate(c["places"], start=1):
                assert p["code"] == f"{c['code']}-P{k:02d}"
                assert parent_code(p["grid"]) == c["code"]
            for g in c["grids"]:
                assert level_of(g["code"]) == "grid" and parent_code(g["code"]) == c["code"]
                seen.add(g["code"])
    assert seen == {g.code for g in plan.grids}
    assert plan.grids[0].code == "410172-001-001-001"
    assert plan.grids[0].name_zh == "第一网格"


def test_grids_scale_with_the_population_at_300_to_500_households_each():
    for n in (50_000, 200_000):
        p = plan_district(residents=n, seed=1)
        assert sum(g.residents for g in p.grids) == n
        households = [g.residents / 2.62 for g in p.grids]
        assert 380 <= sum(households) / len(households) <= 420
        assert min(households) >= 300 and max(households) <= 500
    small = plan_district(residents=300, seed=1)
    assert len(small.grids) == 11  # one per named community, however few people
    assert sum(g.residents for g in small.grids) == 300


def test_a_large_population_gets_more_communities_not_giant_ones():
    p = plan_district(residents=400_000, seed=1)
    coms = [c for s in p.tree["district"]["subdistricts"] for c in s["communities"]]
    assert len(coms) > 11
    assert max(len(c["grids"]) for c in coms) <= MAX_GRIDS_PER_COMMUNITY
    names = [c["name_zh"] for c in coms]
    assert len(names) == len(set(names))


def test_the_plan_is_a_function_of_residents_and_seed():
    a = plan_district(residents=20_000, seed=5)
    b = plan_district(residents=20_000, seed=5)
    c = plan_district(residents=20_000, seed=6)
    assert a.tree == b.tree and a.grids == b.grids
    assert [g.residents for g in a.grids] != [g.residents for g in c.grids]


def test_shapes_tile_their_parents_without_overlap(plan):
    d = plan.tree["district"]
    assert bounds(d["geometry"]) == DISTRICT_BOUNDS
    w, s, e, n = DISTRICT_BOUNDS
    assert 113.50 <= w < e <= 113.62 and 34.78 <= s < n <= 34.86
    _assert_tiles([bounds(x["geometry"]) for x in d["subdistricts"]], DISTRICT_BOUNDS)
    for sub in d["subdistricts"]:
        _assert_tiles([bounds(c["geometry"]) for c in sub["communities"]], bounds(sub["geometry"]))
        for com in sub["communities"]:
            grid_rects = [bounds(g["geometry"]) for g in com["grids"]]
            _assert_tiles(grid_rects, bounds(com["geometry"]))
            for p in com["places"]:
                grid = next(g for g in com["grids"] if g["code"] == p["grid"])
                assert _inside(bounds(p["geometry"]), bounds(grid["geometry"]))


def test_blocks_tile_the_grid_and_compounds_cover_their_blocks(plan):
    compounds = {
        c["code"]: bounds(c["geometry"])
        for s in plan.tree["district"]["subdistricts"]
        for com in s["communities"]
        for c in com["compounds"]
        if c.get("geometry")
    }
    for grid in plan.grids:
        _assert_tiles([b.rect for b in grid.blocks], grid_inner(grid.rect))
        assert sum(b.residents for b in grid.blocks) == grid.residents
        for b in grid.blocks:
            if b.compound:
                assert _overlap(compounds[b.compound], b.rect) > 0.9 * _area(b.rect)


def test_buildings_are_small_rectangles_inside_their_block_without_overlap(plan):
    rng = random.Random(3)
    numbering = {}
    for grid in plan.grids[:12]:
        buildings = []
        for block in grid.blocks:
            new = plan_buildings(
                rng,
                block,
                400 * block.residents // max(grid.residents, 1),
                grid_code=grid.code,
                first_number=len(buildings) + 1,
                numbering=numbering,
            )
            for b in new:
                assert _inside(bounds(b["geometry"]), block.rect)
                if block.style == SELF_BUILT:
                    assert 3 <= b["floors"] <= 6 and b["entrances"] == 1
                    assert b["compound"] is None
                else:
                    assert b["floors"] in range(5, 8) or 18 <= b["floors"] <= 33
                    assert b["compound"] == block.compound
            buildings += new
        rects = [bounds(b["geometry"]) for b in buildings]
        assert all(_inside(r, grid.rect) for r in rects)
        assert all(_area(r) < 0.05 * _area(grid.rect) for r in rects)
        for a, b in itertools.combinations(rects, 2):
            assert _overlap(a, b) == 0
        codes = [b["code"] for b in buildings]
        assert codes == [f"{grid.code}-{i:03d}" for i in range(1, len(codes) + 1)]
        assert all(level_of(c) == "building" for c in codes)


def test_enough_flats_for_the_households():
    p = plan_district(residents=5_000, seed=2)
    block = p.grids[0].blocks[0]
    buildings = plan_buildings(
        random.Random(1), block, 333, grid_code=p.grids[0].code, first_number=1, numbering={}
    )
    flats = sum(b["floors"] * b["entrances"] * b["rooms_per_floor"] for b in buildings)
    assert 333 <= flats <= 333 / 0.86 + 33 * 2 * 4
    assert (
        plan_buildings(
            random.Random(1), block, 0, grid_code=p.grids[0].code, first_number=1, numbering={}
        )
        == []
    )


def test_split_rect_keeps_proportions():
    rect = (113.5, 34.8, 113.6, 34.85)
    tiles = split_rect(rect, [1, 2, 3, 4])
    _assert_tiles(tiles, rect)
    areas = [_area(t) / _area(rect) for t in tiles]
    assert areas == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=1e-4)


@pytest.mark.parametrize(
    ("n", "text"), [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (47, "四十七"), (120, "120")]
)
def test_chinese_numbers_for_grid_names(n, text):
    assert chinese_number(n) == text
