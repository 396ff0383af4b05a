"""The units that receive matters in the demo district: without them the grid worker's and
the reporter's first report is refused (该区域尚未设置受理单位)."""

from __future__ import annotations

from fangkong.geo.models import Community, District, Subdistrict
from fangkong.governance.models import Unit
from fangkong.governance.services.intake import create_unit


def _unit_name(level: str, name: str) -> str:
    if level == "district":
        return f"{name}人民政府"
    if level == "subdistrict" and not name.endswith(("办事处", "街道")):
        return f"{name}办事处"
    return name


def ensure_case_units() -> int:
    """A receiving unit for the district, each sub-district and each community; the ones
    that exist are left alone. How many were created."""
    have = set(Unit.objects.values_list("area_code", flat=True))
    created = 0
    for level, model in (
        ("district", District),
        ("subdistrict", Subdistrict),
        ("community", Community),
    ):
        for code, name in model.objects.values_list("code", "name_zh"):
            if code in have:
                continue
            create_unit(code=f"unit-{code}", name=_unit_name(level, name), area_code=code)
            created += 1
    return created
