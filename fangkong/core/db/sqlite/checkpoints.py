"""Checkpoints of SQLite's write-ahead log, taken off a bulk writer's path.

By default the connection whose commit leaves more than 1,000 pages in the log copies the log
back into the database (a checkpoint, with its flushes to disk) before that commit returns. A
scan import commits a chunk of 50,000 scans at a time, tens of megabytes of log each, and
paid every chunk's checkpoint in turn: 3 to 4 s of a million-scan import.

`WalCheckpoints` turns that off for the bulk writer's own connection and checkpoints from a
second connection, in a thread, while the writer goes on with its next chunk (a PASSIVE
checkpoint needs neither the write lock nor the readers to stop).

The log starts again from its beginning, so that it stops growing, only when a transaction
begins with the whole log already copied back. While the writer runs chunk after chunk that
never happens by itself, so once the log holds more than `limit_bytes` the writer waits, after
its commit, for a checkpoint of the rest: the log stays under about the limit and two chunks.
When the block ends, every frame it wrote is copied back and the connection's own setting
is restored.
"""

from __future__ import annotations

import sqlite3
import threading
from types import TracebackType

DEFAULT_LIMIT = 256 * 2**20


class WalCheckpoints:
    """Use around a bulk writer's run of transactions on `raw` (the database file at `path`);
    call `committed()` after each of its commits. Does nothing unless the database is in WAL
    mode (an in-memory test database is not)."""

    def __init__(self, raw: sqlite3.Connection, path: str, *, limit_bytes: int = DEFAULT_LIMIT):
        self._raw, self._path, self._limit = raw, path, limit_bytes
        self._own: sqlite3.Connection | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._restore: int | None = None
        self._page_size = 0
        self._backfilled = False
        self.log_frames = 0  # frames in the log at the last checkpoint
        self.checkpoints = 0

    def __enter__(self) -> WalCheckpoints:
        if self._raw.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            return self
        self._page_size = self._raw.execute("PRAGMA page_size").fetchone()[0]
        self._own = sqlite3.connect(
            self._path, timeout=20, isolation_level=None, check_same_thread=False
        )
        self._restore = self._raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        self._raw.execute("PRAGMA wal_autocheckpoint=0")
        return self

    def committed(self) -> None:
        """After a commit of the writer: start the checkpoint of what it wrote, or, when the
        log has grown past the limit, take it now, so the next transaction restarts the log."""
        if self._own is None:
            return
        self._join()
        if self.log_frames * self._page_size > self._limit:
            self._checkpoint()
            self._raise_failure()
            if self._backfilled:
                self.log_frames = 0  # the writer's next transaction starts the log again
        else:
            self._thread = threading.Thread(
                target=self._checkpoint, name="wal-checkpoint", daemon=True
            )
            self._thread.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._own is None:
            return
        try:
            self._join()
            self._checkpoint()  # what the last commits left, if the thread did not see it
        finally:
            self._own.close()
            self._own = None
            if self._restore is not None:
                self._raw.execute(f"PRAGMA wal_autocheckpoint={int(self._restore)}")
        if kind is None:
            self._raise_failure()

    def _checkpoint(self) -> None:
        try:
            _busy, log, done = self._own.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            self._error = exc
        else:
            self.log_frames, self._backfilled = max(log, 0), done >= log
            self.checkpoints += 1

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._raise_failure()

    def _raise_failure(self) -> None:
        # A checkpoint that failed loses nothing (the log keeps every frame) but must not pass
        # unseen: the log would grow without end.
        if self._error is not None:
            error, self._error = self._error, None
            raise error
