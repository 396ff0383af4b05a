"""Fixtures for governance: units over the small district and a case-reporting helper."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from devtools.fixtures import C11, G111, S1, D
from fangkong.governance.models import Unit
from fangkong.governance.services.intake import create_unit, report_case


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
