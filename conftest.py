"""Test-wide setup: which database the suite runs on, and whether a browser is required.

`make test` runs the suite twice: on SQLite (the default) and with
FANGKONG_TEST_DB=postgresql on a throwaway PostgreSQL cluster started here from Debian's
binaries. With CI=true a missing PostgreSQL or Chromium fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

from devtools.pgcluster import PostgresUnavailable, start_cluster

pytest_plugins = ["devtools.fixtures"]

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("FANGKONG_CHROMIUM", "/usr/bin/chromium")
_cluster = None


def pytest_configure(config):
    global _cluster
    if os.environ.get("FANGKONG_TEST_DB") != "postgresql":
        # A file, not Django's in-memory default: the browser tests' live server answers
        # requests on several threads, and an in-memory database is one connection shared by
        # all of them ("bad parameter or other API misuse" under concurrent requests).
        import tempfile

        from django.conf import settings

        folder = tempfile.mkdtemp(prefix="fangkong-test-")
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = os.path.join(
            folder, "test.sqlite3"
        )
        return
    try:
        _cluster = start_cluster()
    except PostgresUnavailable as exc:
        raise pytest.UsageError(
            f"PostgreSQL tests requested but no server could start: {exc}"
        ) from exc
    from django.conf import settings

    # Mutate in place: Django's connection handler holds this very dict.
    db = settings.DATABASES["default"]
    db.update(
        {
            "ENGINE": "fangkong.core.db.postgresql",
            "NAME": "fangkong",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": str(_cluster.port),
            "CONN_MAX_AGE": 0,
            "OPTIONS": {},
        }
    )
    db.setdefault("TEST", {})["NAME"] = "test_fangkong"
    # pytest-django set Django up before this hook: a connection object of the old backend
    # may already exist. Drop it so the next use builds a PostgreSQL one from the new settings.
    from django.db import connections

    if "default" in connections:
        connections["default"].close()
        del connections["default"]


def pytest_unconfigure(config):
    if _cluster is not None:
        _cluster.stop()


def pytest_collection_modifyitems(config, items):
    # A test for the other database is deselected, not skipped: a skip in CI's output would
    # read as a test that did not run, and the other half of `make test` runs it.
    db = os.environ.get("FANGKONG_TEST_DB", "sqlite")
    other = "sqlite" if db == "postgresql" else "postgresql"
    kept = [item for item in items if not item.get_closest_marker(other)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i.get_closest_marker(other)])
        items[:] = kept
    if not _is_root() and any(item.get_closest_marker("root") for item in items):
        if CI:
            raise pytest.UsageError("CI=true: the disk-fault tests need root (mounts)")
        for item in items:
            if item.get_closest_marker("root"):
                item.add_marker(pytest.mark.skip(reason="mounting a filesystem needs root; CI is"))
    have_browser = os.path.exists(CHROMIUM)
    if have_browser:
        return
    if CI and any(item.get_closest_marker("e2e") for item in items):
        raise pytest.UsageError(f"CI=true: browser tests need Chromium at {CHROMIUM}")
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium); runs in CI"
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.skipif(True, reason=reason))


def _is_root() -> bool:
    return os.geteuid() == 0


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (a request made in English by an earlier test
    must not leak into the next one, as it cannot between real requests)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def pytest_report_header(config):
    db = os.environ.get("FANGKONG_TEST_DB", "sqlite")
    return [f"fangkong: database={db} chromium={'yes' if shutil.which(CHROMIUM) else 'no'} ci={CI}"]


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test's database reuses primary keys, so what an earlier test cached (a station, its
    round and bindings; population counts) must not answer for the next test's rows."""
    from django.core.cache import cache

    from fangkong.testing.services.registration import clear_station_cache

    clear_station_cache()
    cache.clear()  # e.g. population counts, keyed by ids a later test's database reuses
    yield
