"""Fixtures for tracing: the small district, venues, and CSV files of scans."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from devtools.fixtures import G111, D
from fangkong.tracing.services.exposures import decide_exposure, subject_token
from fangkong.tracing.services.scan_checks import CSV_COLUMNS, person_key
from fangkong.tracing.services.scans import import_scans

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


@pytest.fixture
def contact(district, commander, id_number, write_csv):
    """A close contact accepted from a supermarket visit on 13 June."""
    case = id_number("410172", "19900101", 11)
    other = id_number("410102", "19450302", 22)
    rows = [
        ("a1", "V-S", "超市", "supermarket", "resident_id", case, "2022-06-13T10:00:00+08:00"),
        ("b1", "V-S", "超市", "supermarket", "resident_id", other, "2022-06-13T10:10:00+08:00"),
    ]
    import_scans(path=write_csv(rows))
    index, masked = person_key(document_type="resident_id", document_number=case)
    return decide_exposure(
        user=commander,
        subject=subject_token(index=index, masked=masked),
        source_id="b1",
        decision="accepted",
        tier="close",
    )
