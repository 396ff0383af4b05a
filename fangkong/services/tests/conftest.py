"""Fixtures for services: a request-raising helper over the small district's residents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.services.services.requests import LineIn, raise_request


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(text: str) -> dt.datetime:
    """An aware time in the district's zone from 'YYYY-MM-DD HH:MM'."""
    return timezone.make_aware(dt.datetime.fromisoformat(text))


T0 = "2026-06-13 09:00"


@pytest.fixture
def wang(residents):
    """王芳: 81, living alone, in grid 111."""
    return residents[1]


@pytest.fixture
def raise_for(grid_worker, wang):
    def make(**extra):
        extra.setdefault("user", grid_worker)
        extra.setdefault("kind", "supplies")
        extra.setdefault("channel", "grid_worker")
        extra.setdefault("resident", wang)
        extra.setdefault("now", at(T0))
        if extra["kind"] == "supplies":
            extra.setdefault("lines", [LineIn("大米", 2, "袋"), LineIn("食用油", 1, "桶")])
        return raise_request(**extra)

    return make
