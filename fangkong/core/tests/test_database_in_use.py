"""The suite runs on the database FANGKONG_TEST_DB names, so a green PostgreSQL run is one."""

import os

import pytest
from django.db import connection

# FANGKONG_TEST_DB → (Django vendor, our backend, what the server says it is)
EXPECTED = {
    "sqlite": ("sqlite", "fangkong.core.db.sqlite", "SELECT 'SQLite ' || sqlite_version()"),
    "postgresql": ("postgresql", "fangkong.core.db.postgresql", "SELECT version()"),
}


@pytest.mark.django_db
def test_the_database_in_use_is_the_one_fangkong_test_db_names():
    named = os.environ.get("FANGKONG_TEST_DB", "sqlite")
    assert named in EXPECTED, f"FANGKONG_TEST_DB={named!r} names no database the suite knows"
    vendor, engine, ask = EXPECTED[named]
    assert connection.vendor == vendor
    assert connection.settings_dict["ENGINE"] == engine
    with connection.cursor() as cursor:
        cursor.execute(ask)
        (answer,) = cursor.fetchone()
    assert answer.startswith("SQLite " if vendor == "sqlite" else "PostgreSQL ")
