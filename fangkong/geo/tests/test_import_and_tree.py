import copy

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from devtools.fixtures import C11, G111, G112, G211, S1, S2, D, small_district
from fangkong.accounts.models import Role
from fangkong.core.areas import child_code, grid_code_15, is_within, level_of, parent_code
from fangkong.core.errors import RuleViolation
from fangkong.geo import selectors
from fangkong.geo.models import Building, Community, Grid, Household, Place
from fangkong.geo.services import export_geojson, import_district, import_district_file
from fangkong.people.area_counts import resident_counts


def test_area_codes():
    assert level_of("410172-002-005-012") == "grid"
    assert parent_code("410172-002-005") == "410172-002"
    assert child_code("410172-002", 5) == "410172-002-005"
    assert grid_code_15("410172-002-005-012") == "410172002005012"
    assert is_within("410172-002-005", "410172-002")
    assert not is_within("410172-0025", "410172-002")
    with pytest.raises(ValueError):
        level_of("41017-002")


def test_import_builds_the_tree(district):
    assert Community.objects.get(code=C11).kind == "community"
    assert Grid.objects.count() == 3
    assert Building.objects.get(code=f"{G111}-001").compound.name_zh == "瓦屋李新居"
    # 2 entrances × 3 floors × 2 rooms per building, 2 buildings per grid, 3 grids
    assert Household.objects.count() == 72
    assert Place.objects.get(code=f"{C11}-P01").grid.code == G111


def test_reimport_is_idempotent_and_updates_names(district):
    data = small_district()
    data["district"]["subdistricts"][0]["name_en"] = "Wutong Sub-district"
    created = import_district(data)
    assert sum(created.values()) == 0
    assert selectors.get_node(S1).name_en == "Wutong Sub-district"
    assert Household.objects.count() == 72


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda d: d["district"]["subdistricts"][0].update(code="410172-1"),
            "district.subdistricts[0].code",
        ),
        (
            lambda d: d["district"]["subdistricts"][1]["communities"][0].update(
                code="410172-001-009"
            ),
            "district.subdistricts[1].communities[0].code",
        ),
        (
            lambda d: d["district"]["subdistricts"][0]["communities"][0].update(kind="town"),
            "district.subdistricts[0].communities[0].kind",
        ),
        (
            lambda d: d["district"]["subdistricts"][0]["communities"][0]["grids"][0].update(
                name_zh=" "
            ),
            "district.subdistricts[0].communities[0].grids[0].name_zh",
        ),
        (
            lambda d: d["district"]["subdistricts"][0]["communities"][0]["grids"][0]["buildings"][
                0
            ].update(compound="x"),
            "district.subdistricts[0].communities[0].grids[0].buildings[0].compound",
        ),
        (lambda d: d["district"].update(geometry={"type": "Circle"}), "district.geometry"),
        (
            lambda d: d["district"]["subdistricts"][0]["communities"][0]["places"][0].update(
                kind="zoo"
            ),
            "district.subdistricts[0].communities[0].places[0].kind",
        ),
    ],
)
def test_bad_definition_names_the_field_and_writes_nothing(db, mutate, field):
    data = copy.deepcopy(small_district())
    mutate(data)
    with pytest.raises(RuleViolation) as exc:
        import_district(data)
    assert exc.value.field == field
    assert not Community.objects.exists()


def test_import_from_yaml_file_and_cli(db, tmp_path, capsys):
    path = tmp_path / "district.yaml"
    path.write_text(yaml.safe_dump(small_district(), allow_unicode=True), encoding="utf-8")
    assert import_district_file(path)["grids"] == 3
    with pytest.raises(RuleViolation) as exc:
        import_district_file(tmp_path / "missing.yaml")
    assert exc.value.code == "not_found"
    (tmp_path / "bad.yaml").write_text("district: [unclosed", encoding="utf-8")
    with pytest.raises(RuleViolation) as exc:
        import_district_file(tmp_path / "bad.yaml")
    assert exc.value.code == "yaml"


def test_geojson_export_is_scoped(district, residents):
    fc = export_geojson(scope_code=D, level="grid", count=resident_counts)
    assert [f["id"] for f in fc["features"]] == [G111, G112, G211]
    assert fc["features"][0]["properties"]["residents"] == 3
    assert fc["features"][0]["geometry"]["type"] == "Polygon"
    assert [f["id"] for f in export_geojson(scope_code=S2, level="grid")["features"]] == [G211]
    # A grid worker's map shows its own grid, and the community above only as context.
    assert [f["id"] for f in export_geojson(scope_code=G111, level="community")["features"]] == [
        C11
    ]
    with pytest.raises(RuleViolation):
        export_geojson(scope_code=D, level="planet")


def test_children_with_counts_in_one_grouped_query(
    district, residents, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        rows = selectors.children(D, scope_code=D, count=resident_counts)
    assert [(r["code"], r["residents"]) for r in rows] == [(S1, 5), (S2, 1)]
    buildings = selectors.children(G111, scope_code=D, count=resident_counts)
    assert [r["residents"] for r in buildings] == [3, 0]
    households = selectors.children(f"{G111}-001", scope_code=D, count=resident_counts)
    assert sum(h["residents"] for h in households) == 3


def test_children_limited_to_scope(district):
    # A grid worker sees the path down to their grid, not the neighbouring grid or sub-district.
    assert [r["code"] for r in selectors.children(D, scope_code=G111, count=resident_counts)] == [
        S1
    ]
    assert [r["code"] for r in selectors.children(C11, scope_code=G111, count=resident_counts)] == [
        G111
    ]
    assert selectors.children(S2, scope_code=G111, count=resident_counts) == []


def test_navigator_page_walks_down_to_a_household(client, commander, residents):
    client.force_login(commander)
    for code in (D, S1, C11, G111, f"{G111}-001"):
        response = client.get(reverse("areas:node", args=[code]))
        assert response.status_code == 200
    household = Household.objects.filter(area_code=G111).order_by("code").first()
    assert client.get(reverse("areas:node", args=[household.code])).status_code == 200
    assert client.get(reverse("areas:node", args=["410172-009"])).status_code == 404


def test_navigator_refuses_a_sibling_area_and_audits(client, make_user):
    from fangkong.core.models import AuditEntry

    worker = make_user(Role.GRID_WORKER, G111)
    client.force_login(worker)
    assert client.get(reverse("areas:node", args=[G211])).status_code == 403
    assert AuditEntry.objects.filter(action="permission_denied", object_id=G211).exists()


def test_area_api(client, commander, residents):
    client.force_login(commander)
    body = client.get(f"/api/v1/geo/areas/{C11}").json()
    assert body["level"] == "community"
    assert [a["code"] for a in body["ancestors"]] == [D, S1]
    assert [c["residents"] for c in body["children"]] == [3, 2]
    assert client.get("/api/v1/geo/areas/410172-999").status_code == 404
    geo = client.get("/api/v1/geo/geojson", {"level": "building"}).json()
    assert len(geo["features"]) == 6


def test_export_geojson_cli(district, tmp_path):
    import json

    out = tmp_path / "grids.geojson"
    call_command("export_data", "geojson", "--level", "grid", "-o", str(out))
    assert len(json.loads(out.read_text())["features"]) == 3


def test_a_buildings_rooms_are_listed_by_number_and_households_titled_by_address(district):
    building = Building.objects.get(code=f"{G111}-001")
    for n, room in enumerate(["1001", "302", "101", "2101"], start=50):
        Household.objects.create(
            building=building,
            code=f"{building.code}-{n:04d}",
            entrance="9",
            room=room,
            area_code=G111,
        )
    rows = selectors.children(building.code, scope_code=D, count=None)
    rooms = [r["name"].split("-")[-1] for r in rows if r["name"].startswith("9-")]
    assert rooms == ["101", "302", "1001", "2101"]
    household = Household.objects.get(code=f"{building.code}-0050")
    assert str(household) == f"{building.name_zh} 9单元 1001"


def test_area_names_names_each_known_node_in_one_query_per_level(
    district, django_assert_num_queries
):
    with django_assert_num_queries(4):  # sub-district, community, grid, building
        names = selectors.area_names([S1, C11, G111, G112, "", "not-a-code", f"{G111}-999"])
    assert names == {
        S1: selectors.get_node(S1).name_zh,
        C11: selectors.get_node(C11).name_zh,
        G111: selectors.get_node(G111).name_zh,
        G112: selectors.get_node(G112).name_zh,
    }


def test_area_labels_name_a_grid_with_its_community_so_alike_grids_differ(district):
    from django.utils import translation

    labels = selectors.area_labels([S1, C11, G111, G211, "", "not-a-code", f"{G111}-999"])
    # Both communities have a 第一网格: each is told apart by its community's name.
    assert labels == {
        S1: "梧桐街办事处",
        C11: "瓦屋李社区",
        G111: "瓦屋李社区第一网格",
        G211: "大里村第一网格",
    }
    with translation.override("en"):
        assert selectors.area_labels([G111])[G111] == f"Wawuli {selectors.get_node(G111).name}"
