"""Fixtures for governance: units over the small district and a case-reporting helper."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from devtools.fixtures import C11, G111, S1, D
from fangkong.governance.models import Unit
from fangkong.governance.services.intake import create_unit, report_case
from fangkong.governance.services.wages import create_company, create_project


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def units(district) -> dict[str, Unit]:
    return {
        "district": create_unit(code="hr-bureau", name="区人社局", area_code=D),
        "subdistrict": create_unit(code="wutong", name="梧桐街办事处", area_code=S1),
        "community": create_unit(code="wawuli", name="瓦屋李社区", area_code=C11),
    }


def at(text: str) -> dt.datetime:
    """An aware time in the district's zone from 'YYYY-MM-DD HH:MM'."""
    return timezone.make_aware(dt.datetime.fromisoformat(text))


@pytest.fixture
def report(units, grid_worker):
    def make(**extra):
        extra.setdefault("user", grid_worker)
        extra.setdefault("kind", "wage_arrears")
        extra.setdefault("source", "grid_patrol")
        extra.setdefault("title", "工地拖欠工资")
        extra.setdefault("area_code", G111)
        extra.setdefault("now", at("2026-09-28 09:00"))
        return report_case(**extra)

    return make


@pytest.fixture
def site(district):
    builder = create_company(name="高新置业", credit_code="91410100MA0000001X", area_code=D)
    general = create_company(name="中建某局", credit_code="91410100MA0000002X", area_code=D)
    sub = create_company(name="劳务分包公司", credit_code="91410100MA0000003X", area_code=C11)
    project = create_project(
        name="瓦屋李安置房",
        area_code=C11,
        builder=builder,
        general_contractor=general,
        subcontractors=[sub],
        contract_value=Decimal("80000000"),
        wage_account="6222000000000000",
        deposit=Decimal("1600000"),
    )
    return {"builder": builder, "general": general, "sub": sub, "project": project}
