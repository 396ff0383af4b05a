"""Fixtures for zones: the small district with its six residents, and a designation helper."""

import datetime as dt

import pytest
from django.utils import timezone

from devtools.fixtures import C11, G111, G112, G211, D

COMPOUND = f"{C11}-C01"  # 瓦屋李新居: buildings 1 and 2 of grid 111
B1111 = f"{G111}-001"  # 张伟, 王芳 (elderly, alone) and 李娜 live here
B1112 = f"{G111}-002"
B1121 = f"{G112}-001"  # 刘洋 and 陈静 (medical trips)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Users are made in almost every test here; argon2 would spend most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(residents):
    return {r.name: r for r in residents}


@pytest.fixture
def designate(commander):
    from fangkong.zones.services.designation import designate_zone

    def make(kind="sealed", members=(COMPOUND,), **extra):
        extra.setdefault("user", commander)
        return designate_zone(kind=kind, members=list(members), **extra)

    return make


@pytest.fixture
def days_ago():
    def at(days: float, hour: int = 8) -> dt.datetime:
        base = timezone.localtime() - dt.timedelta(days=days)
        return base.replace(hour=hour, minute=0, second=0, microsecond=0)

    return at


__all__ = ["G111", "G112", "G211", "D"]
