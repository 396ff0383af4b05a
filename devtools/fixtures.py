"""Shared pytest fixtures: a small real area tree, users of every role, residents."""

from __future__ import annotations

import pytest

from fangkong.accounts.models import Role
from fangkong.accounts.services import create_user

D = "410172"
S1, S2 = f"{D}-001", f"{D}-002"
C11, C21 = f"{S1}-001", f"{S2}-001"
G111, G112, G211 = f"{C11}-001", f"{C11}-002", f"{C21}-001"
PASSWORD = "correct-horse-battery-staple-42"


def postgresql_only(reason: str) -> pytest.MarkDecorator:
    """Run the test on PostgreSQL only, saying why: the SQLite half of `make test` deselects
    it (the root conftest), the PostgreSQL half runs it."""
    return pytest.mark.postgresql(reason=reason)


def small_district() -> dict:
    """Two sub-districts, a community in each, three grids, buildings with households."""

    def square(x: float, y: float, size: float = 0.01) -> dict:
        return {
            "type": "Polygon",
            "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
        }

    def grid(code: str, name: str, x: float, compound: str | None) -> dict:
        return {
            "code": code,
            "name_zh": name,
            "name_en": name,
            "geometry": square(x, 34.8),
            "buildings": [
                {
                    "code": f"{code}-{b:03d}",
                    "name_zh": f"{b}号楼",
                    "floors": 3,
                    "entrances": 2,
                    "rooms_per_floor": 2,
                    "compound": compound,
                    "geometry": square(x + b * 0.001, 34.801, 0.0005),
                }
                for b in (1, 2)
            ],
        }

    return {
        "district": {
            "code": D,
            "name_zh": "高新区",
            "name_en": "High-tech Zone",
            "geometry": square(113.5, 34.75, 0.2),
            "subdistricts": [
                {
                    "code": S1,
                    "name_zh": "梧桐街办事处",
                    "name_en": "Wutong Street",
                    "communities": [
                        {
                            "code": C11,
                            "name_zh": "瓦屋李社区",
                            "name_en": "Wawuli",
                            "kind": "community",
                            "compounds": [{"code": f"{C11}-C01", "name_zh": "瓦屋李新居"}],
                            "grids": [
                                grid(G111, "第一网格", 113.55, f"{C11}-C01"),
                                grid(G112, "第二网格", 113.56, None),
                            ],
                            "places": [
                                {
                                    "code": f"{C11}-P01",
                                    "name_zh": "瓦屋李采样小屋",
                                    "kind": "sampling_site",
                                    "grid": G111,
                                }
                            ],
                        }
                    ],
                },
                {
                    "code": S2,
                    "name_zh": "枫杨办事处",
                    "name_en": "Fengyang",
                    "communities": [
                        {
                            "code": C21,
                            "name_zh": "大里村",
                            "name_en": "Dali",
                            "kind": "village",
                            "grids": [grid(G211, "第一网格", 113.6, None)],
                        },
                    ],
                },
            ],
        }
    }


@pytest.fixture
def district(db):
    from fangkong.geo.services import import_district

    import_district(small_district())
    return D


@pytest.fixture
def make_user(district):
    counter = iter(range(10_000))

    def make(role: str = Role.DISTRICT_COMMANDER, scope_code: str = D, **extra):
        return create_user(
            username=f"{role}-{next(counter)}",
            password=PASSWORD,
            role=role,
            scope_code=scope_code,
            **extra,
        )

    return make


@pytest.fixture
def commander(make_user):
    return make_user(Role.DISTRICT_COMMANDER, D)


@pytest.fixture
def grid_worker(make_user):
    return make_user(Role.GRID_WORKER, G111)


def _id_number(region: str, birth: str, seq: int) -> str:
    from fangkong.core.documents import check_character

    body = f"{region}{birth}{seq:03d}"
    return body + check_character(body)


@pytest.fixture
def id_number():
    return _id_number


def _resident_documents() -> dict[str, str]:
    return {
        "张伟": _id_number("410172", "19900101", 11),
        "王芳": _id_number("410102", "19450302", 22),
        "李娜": _id_number("410105", "20230115", 24),
        "刘洋": _id_number("411302", "19851120", 33),
        "陈静": _id_number("410172", "19700707", 44),
        "杨磊": _id_number("410181", "19991231", 55),
    }


@pytest.fixture
def resident_documents():
    """The ID numbers of the six `residents`, by name."""
    return _resident_documents()


@pytest.fixture
def residents(district, commander):
    """Six residents: three in grid 111, two in 112, one in 211; tags on some."""
    from fangkong.geo.models import Household
    from fangkong.people.services import prepare_resident, register_resident

    homes = {
        g: list(Household.objects.filter(area_code=g).order_by("code")[:3])
        for g in (G111, G112, G211)
    }
    docs = _resident_documents()
    people = [
        ("张伟", docs["张伟"], "13812345678", G111, 0, {"student"}),
        ("王芳", docs["王芳"], "13912345678", G111, 1, {"elderly_alone"}),
        ("李娜", docs["李娜"], "", G111, 0, {"infant"}),
        ("刘洋", docs["刘洋"], "13700001111", G112, 0, set()),
        ("陈静", docs["陈静"], "13600002222", G112, 1, {"medical_trips"}),
        ("杨磊", docs["杨磊"], "13500003333", G211, 0, set()),
    ]
    out = []
    for name, doc, phone, grid, home, tags in people:
        data = prepare_resident(
            name=name,
            document_type="resident_id",
            document_number=doc,
            phone=phone,
            household=homes[grid][home],
            tags=tags,
        )
        out.append(register_resident(data=data, user=commander))
    return out
