"""The SQLite backend queues writers on a file lock: a second writer waits, then runs."""

import fcntl
import os
import threading
import time

import pytest
from django.db import connection, connections, transaction


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    """A file database under our backend, registered as an extra connection alias."""
    settings = {
        **connection.settings_dict,
        "ENGINE": "fangkong.core.db.sqlite",
        "NAME": str(tmp_path / "q.sqlite3"),
    }
    settings["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    settings["TEST"] = {"NAME": None}
    connections.settings["queue-test"] = settings
    with django_db_blocker.unblock():
        with connections["queue-test"].cursor() as c:
            c.execute("CREATE TABLE t (n integer)")
        yield tmp_path / "q.sqlite3"
        connections["queue-test"].close()
    del connections["queue-test"]
    del connections.settings["queue-test"]


def _insert(n):
    with transaction.atomic(using="queue-test"), connections["queue-test"].cursor() as c:
        c.execute("INSERT INTO t VALUES (%s)", [n])


def test_second_writer_waits_for_the_first_to_commit(sqlite_file):
    order = []
    inside = threading.Event()

    def first():
        with transaction.atomic(using="queue-test"):
            with connections["queue-test"].cursor() as c:
                c.execute("INSERT INTO t VALUES (1)")
            # The writer holds the queue's lock: nobody else can take it now.
            fd = os.open(f"{sqlite_file}.write-lock", os.O_RDWR)
            try:
                with pytest.raises(BlockingIOError):
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            finally:
                os.close(fd)
            inside.set()
            time.sleep(0.3)
            order.append("first commits")
        connections["queue-test"].close()

    def second():
        inside.wait(5)
        _insert(2)  # queues on the file lock, not in SQLite's busy handler
        order.append("second wrote")
        connections["queue-test"].close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["first commits", "second wrote"]
    assert (sqlite_file.parent / "q.sqlite3.write-lock").exists()
    with connections["queue-test"].cursor() as c:
        c.execute("SELECT n FROM t ORDER BY n")
        assert [r[0] for r in c.fetchall()] == [1, 2]


def test_a_failed_transaction_releases_the_lock(sqlite_file):
    with pytest.raises(ZeroDivisionError), transaction.atomic(using="queue-test"):
        _insert(1)
        1 / 0  # noqa: B018
    done = threading.Event()

    def other():
        _insert(3)  # would wait forever if the rollback had kept the lock
        connections["queue-test"].close()
        done.set()

    threading.Thread(target=other).start()
    assert done.wait(5)
