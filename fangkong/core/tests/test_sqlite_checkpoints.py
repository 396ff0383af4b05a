"""A bulk writer's checkpoints run beside it, and its write-ahead log stays bounded."""

import os
import sqlite3

import pytest

from fangkong.core.db.sqlite.checkpoints import WalCheckpoints

pytestmark = pytest.mark.sqlite

CHUNKS, ROWS, ROW_BYTES = 30, 400, 1024


def _database(path) -> sqlite3.Connection:
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA wal_autocheckpoint=777")
    raw.execute("CREATE TABLE t (b blob)")
    return raw


def _write_chunk(raw: sqlite3.Connection) -> None:
    raw.execute("BEGIN IMMEDIATE")
    raw.executemany("INSERT INTO t VALUES (?)", ([os.urandom(ROW_BYTES)] for _ in range(ROWS)))
    raw.execute("COMMIT")


def test_the_log_restarts_under_its_limit_while_a_thread_checkpoints(tmp_path):
    path = str(tmp_path / "bulk.sqlite3")
    raw = _database(path)
    limit = 2 * 2**20
    largest = 0
    with WalCheckpoints(raw, path, limit_bytes=limit) as wal:
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        for _ in range(CHUNKS):
            _write_chunk(raw)
            wal.committed()
            largest = max(largest, os.path.getsize(path + "-wal"))
    written = CHUNKS * ROWS * ROW_BYTES  # 12 MB: what the log would hold with no restart
    assert largest < limit + 4 * ROWS * ROW_BYTES < written / 2
    assert wal.checkpoints >= CHUNKS
    # The writer's own setting is back, and every frame is in the database file.
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 777
    _busy, log, done = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert log == done
    raw.close()
    again = sqlite3.connect(path)
    assert again.execute("SELECT count(*) FROM t").fetchone()[0] == CHUNKS * ROWS
    again.close()


def test_without_the_checkpoints_the_same_writes_grow_the_log(tmp_path):
    # What the test above guards against: autocheckpoints off and nobody checkpointing.
    path = str(tmp_path / "bulk.sqlite3")
    raw = _database(path)
    raw.execute("PRAGMA wal_autocheckpoint=0")
    for _ in range(CHUNKS):
        _write_chunk(raw)
    assert os.path.getsize(path + "-wal") > CHUNKS * ROWS * ROW_BYTES
    raw.close()


def test_the_setting_is_restored_when_the_writer_fails(tmp_path):
    path = str(tmp_path / "bulk.sqlite3")
    raw = _database(path)
    with pytest.raises(ZeroDivisionError), WalCheckpoints(raw, path) as wal:
        _write_chunk(raw)
        wal.committed()
        1 / 0  # noqa: B018 - the writer's own failure
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 777
    raw.close()


def test_a_database_without_a_log_is_left_alone():
    raw = sqlite3.connect(":memory:", isolation_level=None)
    raw.execute("CREATE TABLE t (b blob)")
    with WalCheckpoints(raw, ":memory:") as wal:
        _write_chunk(raw)
        wal.committed()
    assert wal.checkpoints == 0
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    raw.close()
