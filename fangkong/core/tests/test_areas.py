import pytest

from fangkong.core.areas import (
    AreaCode,
    child_code,
    common_ancestor,
    grid_code_15,
    level_of,
    parent_code,
)

HOUSEHOLD = "410172-002-005-012-003-0101"


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("district", "410172"),
        ("subdistrict", "410172-002"),
        ("community", "410172-002-005"),
        ("grid", "410172-002-005-012"),
        ("building", "410172-002-005-012-003"),
        ("household", HOUSEHOLD),
    ],
)
def test_a_code_names_its_ancestor_at_every_level(level, expected):
    assert AreaCode(HOUSEHOLD).upto(level) == expected
    assert getattr(AreaCode(HOUSEHOLD), level, expected) == expected


def test_an_ancestor_above_a_code_is_the_code_itself():
    community = AreaCode("410172-002-005")
    assert community.grid == community
    assert community.depth == 3
    assert community.level == "community"


def test_a_code_is_a_string_wherever_one_is_expected():
    code = AreaCode("410172-002")
    assert code == "410172-002"
    assert {"410172-002": 1}[code] == 1
    assert code.district.startswith("410172")


def test_parse_refuses_a_malformed_code():
    with pytest.raises(ValueError, match="malformed"):
        AreaCode.parse("410172-2")
    assert AreaCode.parse(" 410172-002 ") == "410172-002"


def test_parent_child_and_grid_code():
    assert parent_code("410172-002") == "410172"
    assert parent_code("410172") is None
    assert child_code("410172-002", 5) == "410172-002-005"
    assert level_of("410172-002-005-012") == "grid"
    assert grid_code_15(HOUSEHOLD) == "410172002005012"
    with pytest.raises(ValueError):
        grid_code_15("410172-002")


def test_contains_is_a_subtree_test_not_a_text_prefix():
    sub = AreaCode("410172-002")
    assert sub.contains("410172-002-005")
    assert sub.contains("410172-002")
    assert not sub.contains("410172-0021")


def test_lineage_runs_from_the_district_down_to_the_area():
    assert AreaCode("410172-002-005").lineage == ["410172", "410172-002", "410172-002-005"]


def test_the_common_ancestor_is_the_deepest_area_holding_every_code():
    assert common_ancestor([HOUSEHOLD, "410172-002-005-013"]) == "410172-002-005"
    assert common_ancestor(["410172-002", "410172-003-001"]) == "410172"
    assert common_ancestor([HOUSEHOLD]) == HOUSEHOLD
