"""Fixtures for tracing: the small district, venues, and CSV files of scans."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from devtools.fixtures import G111, D
from fangkong.tracing.services.scans import CSV_COLUMNS

__all__ = ["G111", "D"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (tuples in CSV_COLUMNS order) to a file; returns its path."""
    counter = iter(range(1000))

    def write(rows, header=CSV_COLUMNS) -> Path:
        path = tmp_path / f"scans-{next(counter)}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            out.writerows(rows)
        return path

    return write


@pytest.fixture
def scan_device(commander):
    """A device token of the venue-code platform (a district commander's role)."""
    from fangkong.accounts.models import Role
    from fangkong.accounts.services import create_device_token

    _token, clear = create_device_token(
        name="场所码平台", role=Role.DISTRICT_COMMANDER, scope_code=D, created_by=commander
    )
    return clear
