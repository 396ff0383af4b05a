"""The PostgreSQL backend's health check: no round trip for a healthy idle connection, a
full check when the server has written something, and a dropped connection is unusable."""

import time

import pytest
from django.db import connection, connections

from devtools.fixtures import postgresql_only

pytestmark = postgresql_only("the health check of fangkong.core.db.postgresql")


@pytest.mark.django_db(transaction=True)
def test_health_check_notices_a_connection_the_server_dropped():
    assert connection.settings_dict["ENGINE"] == "fangkong.core.db.postgresql"
    other = connections.create_connection("default")
    try:
        other.ensure_connection()
        assert other.is_usable()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone()[0] is True
        deadline = time.monotonic() + 5
        while other.is_usable() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not other.is_usable()
        # What Django does at a request's start: close it, and the next query reconnects.
        other.close_if_unusable_or_obsolete()
        with other.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_health_check_of_a_live_connection_with_something_to_read():
    other = connections.create_connection("default")
    try:
        other.ensure_connection()
        other.connection.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("LISTEN fangkong_health")
        with connection.cursor() as cursor:
            cursor.execute("NOTIFY fangkong_health")
        time.sleep(0.05)
        # The notification waits on the socket: the check asks the server, which answers.
        assert other.is_usable()
        with other.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        other.close()
