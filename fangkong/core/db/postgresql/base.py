"""PostgreSQL with a health check that costs no round trip.

Django checks a kept connection at the start of each request with `SELECT 1`: for a device
posting a batch every few milliseconds that was one round trip in eight, about 3 % of the
server's CPU. A connection the server has dropped (a restart, an administrator's
`pg_terminate_backend`, a crashed backend) has something to read while idle: the server's
"terminating connection" error, or the end of the stream. So an idle connection with nothing
to read is taken as usable; one with something to read gets the full `SELECT 1`.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return super().is_usable() if readable else True
