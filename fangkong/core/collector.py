"""Python's cycle collector, paused for the length of a bulk load.

A file import allocates millions of short-lived containers (the CSV reader's lists, the
rows' tuples): every 700 of them start a collection, and every few hundred of those a full
one that walks every object alive, the import's caches included. Measured on a million venue
scans: 5 s of a 26 s import on SQLite, 5 s of 37 on PostgreSQL. The loads themselves make
no reference cycles (their rows are plain tuples and strings), so nothing waits for the
collector that reference counting would not free at once.

The collector is one for the whole process: while a load runs, another thread's cycles wait
for it too, and are collected when the last load ends.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_loads = 0
_was_enabled = False


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector off inside the block; on again when the last such block (of any
    thread) ends, if it was on when the first began."""
    global _loads, _was_enabled
    with _lock:
        if _loads == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _loads += 1
    try:
        yield
    finally:
        with _lock:
            _loads -= 1
            if _loads == 0 and _was_enabled:
                gc.enable()
